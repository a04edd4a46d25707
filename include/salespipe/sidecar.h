/*
 * sidecar: the index file kept next to a journal (JOURNAL.idx), so that a
 * write program checks a few records against a journal of millions
 * without reading it whole: which ids exist and where their records are,
 * which record first holds a duplicate key, the id with the highest
 * number.  It is a cache of the journal, read and written only under the
 * journal's lock (sp_journal_open): it may lag behind the journal but
 * never claims more than it holds, and whatever is wrong with it (missing,
 * stale, torn by a crash, another file's) makes the next writer build it
 * again from the journal.  lib/sidecar.c opens with the design.
 */
#ifndef SALESPIPE_SIDECAR_H
#define SALESPIPE_SIDECAR_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/index.h"
#include "salespipe/journal.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sp_kind;

typedef struct sp_sidecar sp_sidecar;

/* What sp_sidecar_open did (*how). */
enum {
	SP_SIDECAR_NONE = 0,	/* no index: the journal is not a regular
				   file, or JOURNAL.idx cannot be made or
				   written (a read-only directory) */
	SP_SIDECAR_FRESH,	/* up to date: used as it was */
	SP_SIDECAR_TAIL,	/* behind: the records appended since it was
				   written were indexed */
	SP_SIDECAR_BUILT,	/* missing, empty, torn by a crash, stale,
				   another journal's, or of another kind:
				   built from the whole journal */
	SP_SIDECAR_REFUSED,	/* the journal cannot be indexed (a record
				   that is not a good history record, or a
				   line that ends in a lone CR): the index
				   says so until the journal changes */
	SP_SIDECAR_FOREIGN	/* JOURNAL.idx is not a salespipe index (or
				   not a regular file): left as it is */
};

/*
 * The index of journal j (open, locked; borrowed until sp_sidecar_close)
 * of records of kind k, named sp_journal_path(j) with ".idx" appended.
 * Checks it against the journal and brings it up to date (see *how);
 * writes it only through the steps that keep a kill at any moment from
 * leaving an index that claims what it does not hold.  Returns the index
 * with *how SP_SIDECAR_FRESH, _TAIL or _BUILT; or, with _REFUSED, an index
 * that answers nothing (sp_sidecar_usable 0) but is kept up to date by
 * sp_sidecar_update; or NULL with *how _NONE or _FOREIGN, e saying why,
 * which is not an error: read the journal instead.  Close with
 * sp_sidecar_close.
 */
sp_sidecar *sp_sidecar_open(sp_journal *j, const struct sp_kind *k, int *how,
    sp_error *e);

/* 1 when s answers (not refused). */
int sp_sidecar_usable(const sp_sidecar *s);

/*
 * Read into x (sp_index_new of the same kind) the records of the journal
 * that the checks of a batch need: every record of ids[0..nids-1], the
 * first record holding each duplicate key dups[i] (duplens[i] bytes, as
 * sp_entry_dup_key makes them), and with max the record of the id with
 * the highest number, all in journal order through the one record reader.
 * x then answers sp_index_has and sp_index_state for those ids,
 * sp_index_dup for those keys and sp_index_max_number as an index of the
 * whole journal would.  For a CSV journal *header (may be NULL) gets its
 * field names, as from sp_index_read.  Returns 0; 1 when those records are
 * more than half of the journal (read it whole with sp_index_read: it
 * costs less); -1 with e set when a record does not read back as it was
 * indexed (the journal was changed under the index): read the journal
 * with sp_index_read, which names the record.  On 1 and -1, x may hold
 * some of the records: use a new one.
 */
int sp_sidecar_load(sp_sidecar *s, sp_index *x, const char *const *ids,
    size_t nids, const char *const *dups, const size_t *duplens,
    size_t ndups, int max, char ***header, sp_error *e);

/* 1 when the journal has a record of id (idlen bytes). */
int sp_sidecar_has(const sp_sidecar *s, const char *id, size_t idlen);

/*
 * The i-th distinct stage value of the journal (as written, any case),
 * for i from 0: 1 with *name (borrowed) and *len set, 0 past the last.
 * A stage list that lacks one of them makes the journal a bad history.
 */
int sp_sidecar_stage(const sp_sidecar *s, size_t i, const char **name,
    size_t *len);

/*
 * After appends to j under the same lock: index what the journal gained
 * (or, refused, note its new size).  Returns 0, or -1 with e set when the
 * index could not be written: it is then left marked as torn, and the
 * next writer builds it again (the appends are in the journal whatever
 * happens here).
 */
int sp_sidecar_update(sp_sidecar *s, sp_journal *j, sp_error *e);

/* Unmap and close (the journal's lock is the caller's).  Accepts NULL. */
void sp_sidecar_close(sp_sidecar *s);

/*
 * For tests: the journal bytes the index covers, the highest id number,
 * and a walk over every id (what 0: its records, in journal order) and
 * every duplicate key (what 1: the first record holding it), in no
 * particular order; fn returning non-zero stops the walk and is returned.
 * -1 when out of memory.
 */
uint64_t sp_sidecar_covered(const sp_sidecar *s);
int64_t sp_sidecar_max_number(const sp_sidecar *s);
int sp_sidecar_walk(const sp_sidecar *s, int (*fn)(void *ctx, int what,
    const char *key, size_t len, const sp_index_range *r, size_t nr),
    void *ctx);

#ifdef __cplusplus
}
#endif

#endif
