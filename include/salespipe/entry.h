/*
 * entry: one history record being made by a write program (lead-add,
 * deal-move, ...): named values from field=value operands or an input
 * record, put in canonical form field by field, and the index of a
 * journal's history that the checks need (ids, duplicates, the stage of
 * each id at a time).
 */
#ifndef SALESPIPE_ENTRY_H
#define SALESPIPE_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/field.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"
#include "salespipe/tz.h"

/* What the records of a journal are about. */
typedef struct sp_kind {
	const char *noun;		/* "deal", "lead" */
	const char *prefix;		/* ids made: "D-1", "D-2", ... */
	const char *env;		/* the journal's variable */
	int stage_list;			/* SP_STAGES_DEALS, SP_STAGES_LEADS */
	const char *const *columns;	/* canonical fields after id, at, stage
					   (NULL-ended): a new CSV journal's
					   header */
	const char *const *dup_fields;	/* together they name a duplicate */
	const char *const *canonical;	/* every canonical field of the
					   kind (NULL-ended) */
} sp_kind;

extern const sp_kind sp_kind_deal, sp_kind_lead;

/*
 * An entry: name=value pairs in the order they were first set, each value
 * owned by the entry.  place/line say where it came from (for messages),
 * raw its input text (for --rejects), both may be empty.
 */
typedef struct sp_entry {
	char **name, **val;
	size_t n, cap;
	char *file;		/* "" for operands */
	long line;
	char *raw;
	int prob_scale;		/* --probability-scale of its probability
				   text: 1 or 100 (0: 100) */
} sp_entry;

/* A new empty entry, or NULL (memory).  Free with sp_entry_free. */
sp_entry *sp_entry_new(void);
void sp_entry_free(sp_entry *en);

/* Set name to the n bytes at v, replacing an earlier value; 0 or -1
 * (memory, e set). */
int sp_entry_set(sp_entry *en, const char *name, const char *v, size_t n,
    sp_error *e);

/* Remove name (nothing if absent). */
void sp_entry_unset(sp_entry *en, const char *name);

/* The value of name, or NULL. */
const char *sp_entry_get(const sp_entry *en, const char *name);

/*
 * A "field=value" operand.  The name must be letters, digits, '_', '-' or
 * '.'; an empty value sets nothing (in a history empty means unchanged).
 * Returns 0, or -1 with e naming the operand.
 */
int sp_entry_operand(sp_entry *en, const char *arg, sp_error *e);

/*
 * Put every value in canonical form, or fail naming the field:
 * surrounding blanks trimmed; no line breaks, control bytes or invalid
 * UTF-8 (every record stays one line in both formats); at, created_at,
 * closed_at: ISO 8601 UTC times ("2026-11-26T10:00:00Z"); close_date: a
 * date; amount: exact, at least two decimals ("1200.00", "9225.225");
 * probability: 0-100 without trailing zeros (read under en->prob_scale);
 * currency: three letters, upper-cased; email: lower-cased, one '@' with a
 * dotted domain; stage and lost_stage: the name as the stage list spells
 * it.  datefmt (may be NULL) is --date-format for input times.  Returns 0
 * or -1 (e set, field named).
 */
int sp_entry_normalise(sp_entry *en, sp_stages *st, const char *datefmt,
    sp_error *e);
/*
 * The same with the program's reading options: amounts read in the style
 * nf (--decimal-comma, --thousands; NULL: the default); naive date-times
 * of at, created_at, closed_at and close_date are local times in tz
 * (--tz; NULL: UTC), written as the UTC instant (close_date: its UTC
 * date), the same whatever TZ is.
 */
int sp_entry_normalise_with(sp_entry *en, sp_stages *st, const char *datefmt,
    const sp_numfmt *nf, const sp_tz *tz, sp_error *e);

/*
 * The canonical field of kind k that name looks like a misspelling of, or
 * NULL: name is canonical itself, or no canonical name is near it.  Near
 * means, compared case-insensitively, at most one edit (a letter added,
 * removed or changed, or two neighbours swapped) per three letters of the
 * canonical name beyond its first, and at most two: "amont" and "Amount"
 * are near "amount", "ID" near "id", but "uid" is not near "id" nor
 * "team" near "name".
 */
const char *sp_entry_resembles(const sp_kind *k, const char *name);

/*
 * Refuse a field of en whose name looks like a misspelt canonical field
 * of kind k (sp_entry_resembles), unless it is one of allow[0..nallow-1]
 * (--allow-field).  Returns 0, or -1 with e naming the field, the
 * canonical name it resembles and --allow-field.
 */
int sp_entry_check_names(const sp_entry *en, const sp_kind *k,
    char *const *allow, size_t nallow, sp_error *e);

/*
 * The lower-cased values of k->dup_fields joined by '\0' into *buf (grown
 * as needed, *cap its size); returns the length, 0 when any of them is
 * empty (no duplicate check), (size_t)-1 on memory.
 */
size_t sp_entry_dup_key(const sp_entry *en, const sp_kind *k, char **buf,
    size_t *cap);

/*
 * A history index: for each id, when it first appears, its stage changes
 * in input order, and for each duplicate key the id that has it.  Built
 * from a journal's records and from the entries a program makes.
 */
typedef struct sp_index sp_index;

/* A new index for ids of kind k with stage list st (borrowed). */
sp_index *sp_index_new(const sp_kind *k, sp_stages *st);
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

/* The id holding duplicate key dup, or NULL. */
const char *sp_index_dup(const sp_index *x, const char *dup, size_t duplen);

/* The highest n of the ids "<prefix>n" seen (0 when none). */
int64_t sp_index_max_number(const sp_index *x);

#endif
