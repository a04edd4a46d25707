/*
 * index: the index of a journal's history that the write programs' checks
 * read (which ids exist, the stage of each id at a time, which id holds a
 * duplicate key).  The kind of record it indexes (sp_kind) is declared in
 * entry.h, which includes this header.
 */
#ifndef SALESPIPE_INDEX_H
#define SALESPIPE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sp_kind;

/* The most sets of fields beyond the first that name a duplicate
 * (sp_kind.dup_more). */
#define SP_DUP_MORE 2

/*
 * A history index: for each id, when it first appears, its stage changes
 * in input order, and for each duplicate key the id that has it.  Built
 * from a journal's records and from the entries a program makes.
 */
typedef struct sp_index sp_index;

/* A new index for ids of kind k with stage list st (borrowed). */
sp_index *sp_index_new(const struct sp_kind *k, sp_stages *st);
void sp_index_free(sp_index *x);

/*
 * Add one history record: id (idlen bytes), at, stage (-1 when the record
 * changes no stage), dup key (duplen 0: none).  Returns 0 or -1 (memory).
 */
int sp_index_add(sp_index *x, const char *id, size_t idlen, int64_t at,
    int stage, const char *dup, size_t duplen);

/*
 * Read every record of a journal's text (n bytes, named path) into x.
 * Only records whose id is one of ids[0..nids-1] are needed when ids is
 * not NULL; a JSON lines journal is then only parsed on the lines that may
 * hold them (lines holding an id's bytes or any backslash).  Returns 0, or
 * -1 with e naming the journal line that is not a good history record.
 * For a CSV journal, *header (may be NULL) gets its field names
 * (malloc'd, NULL-ended; free with sp_index_header_free).
 */
int sp_index_read(sp_index *x, const char *text, size_t n, int fmt,
    const char *path, const char *const *ids, size_t nids, char ***header,
    sp_error *e);
void sp_index_header_free(char **h);

/* 1 when id appears at all. */
int sp_index_has(const sp_index *x, const char *id);

/*
 * The state of id at time t: returns 0 when it has no record at or before
 * t (then *first is its first `at`, or INT64_MIN when unknown at all);
 * else 1 with *stage its stage then (-1 when none yet) and *since the
 * `at` that set it.
 */
int sp_index_state(const sp_index *x, const char *id, int64_t t, int *stage,
    int64_t *since, int64_t *first);

/* Map one more duplicate key to id when no id holds it yet (a record's
 * key of its kind's dup_more); 0 or -1 (memory). */
int sp_index_add_dup(sp_index *x, const char *id, size_t idlen,
    const char *dup, size_t duplen);

/* The id holding duplicate key dup, or NULL. */
const char *sp_index_dup(const sp_index *x, const char *dup, size_t duplen);

/* The highest n of the ids "<prefix>n" seen (0 when none). */
int64_t sp_index_max_number(const sp_index *x);

/*
 * What one journal record says, as the index reads it: its id, its at,
 * its stage as written (stagelen 0: none; not looked up in a stage list),
 * its duplicate key (the lower-cased values of the kind's dup_fields
 * joined by '\0'; duplen 0: none) and the line it starts on.  Borrowed:
 * valid during the call it is passed to.
 */
typedef struct sp_index_item {
	const char *id;
	size_t idlen;
	int64_t at;
	const char *stage;
	size_t stagelen;
	const char *dup;
	size_t duplen;
	/* the keys of the kind's dup_more (sp_dup_key_make), morelen 0:
	   none */
	const char *more[SP_DUP_MORE];
	size_t morelen[SP_DUP_MORE];
	long line;
} sp_index_item;

/* Called on each record; 0 goes on, -1 (e set) stops the read. */
typedef int (*sp_index_fn)(void *ctx, const sp_index_item *it, sp_error *e);

/*
 * Read every record of a journal's text (n bytes, format fmt, named path)
 * of kind k, as sp_index_read does but without a stage list, and call
 * fn(ctx, item) on each in order; line_base is added to every line (the
 * lines before text).  Returns 0, or -1 with e naming the first record
 * that is not a good history record (no id, no at or a bad one, or not a
 * record at all) or fn's error.
 */
int sp_index_scan(const struct sp_kind *k, const char *text, size_t n,
    int fmt, const char *path, long line_base, sp_index_fn fn, void *ctx,
    sp_error *e);

/* A byte range of a journal's text: one record (and the blank lines that
 * follow it). */
typedef struct sp_index_range {
	uint64_t off;
	uint32_t len;
} sp_index_range;

/*
 * Read into x the records at the nr byte ranges r of a journal's text (n
 * bytes, named path), sorted by offset and distinct; a CSV journal's
 * header is its first hdrlen bytes, and *header (may be NULL) gets its
 * field names as sp_index_read gives them.  The records are read as one
 * input, so an error names no useful line: returns 0, or -1 with e set
 * when a record is not what an index said it was (read the journal with
 * sp_index_read instead, which names it).
 */
int sp_index_read_ranges(sp_index *x, const char *text, size_t n, int fmt,
    const char *path, size_t hdrlen, const sp_index_range *r, size_t nr,
    char ***header, sp_error *e);

/* The number n of an id "<prefix>n" of kind k (at most 18 digits), the one
 * sp_index_max_number counts; -1 for any other id. */
int64_t sp_index_id_number(const struct sp_kind *k, const char *id,
    size_t idlen);

#ifdef __cplusplus
}
#endif

#endif
