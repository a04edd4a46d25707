/*
 * entry: one history record being made by a write program (lead-add,
 * deal-move, ...): named values from field=value operands or an input
 * record, put in canonical form field by field, and the kinds of record
 * (deal, lead).  The index of a journal's history that the checks need
 * (ids, duplicates, the stage of each id at a time) is in index.h, which
 * this header includes.
 */
#ifndef SALESPIPE_ENTRY_H
#define SALESPIPE_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/field.h"
#include "salespipe/index.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

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
	/* more sets of fields that name a duplicate each (at most
	   SP_DUP_MORE, NULL-ended; may be NULL); a set that is the one
	   field "phone" compares phone numbers (sp_phone_key) */
	const char *const *const *dup_more;
	/* the calling code national phone numbers are read in ("1", "44";
	   NULL or "": none), for lead-add --default-country */
	const char *phone_country;
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
 * The kinds of duplicate key of kind k: 1 (dup_fields) + the sets of
 * dup_more.  Key 0 is sp_entry_dup_key's; key which >= 1 is a byte 0x01,
 * the byte '0' + which, then the lower-cased values of the set joined by
 * '\0' (a phone: its sp_phone_key), so keys of two sets never collide.
 */
size_t sp_kind_dup_count(const sp_kind *k);

/* The fields (NULL-ended) of key which of kind k. */
const char *const *sp_kind_dup_fields(const sp_kind *k, size_t which);

/*
 * Key which of kind k from the values v[i] (n[i] bytes; NULL or 0:
 * empty) of its fields in order, into *buf (grown as needed, *cap its
 * size).  Returns the length; 0 when a value is empty (or a phone has too
 * few digits): no duplicate check; (size_t)-1 on memory.
 */
size_t sp_dup_key_make(const sp_kind *k, size_t which, const char *const *v,
    const size_t *n, char **buf, size_t *cap);

/* Key which of the entry en (sp_dup_key_make of its values). */
size_t sp_entry_dup_key_n(const sp_entry *en, const sp_kind *k, size_t which,
    char **buf, size_t *cap);

/*
 * The phone number s (n bytes) in the form duplicates are compared in,
 * into out (size bytes, at least 32): the characters before the first
 * letter (an extension "x12" or "ext. 12" is left out), digits only, a
 * trunk "(0)" left out; an
 * international number (a leading '+', or "00") is '+' and its digits; a
 * national one gets '+', country and its digits without one leading trunk
 * '0' (country "1": without a leading '1' of 11 digits) when country is
 * given (not NULL or ""), else stays its digits.  Returns the length, or
 * 0 when it has fewer than 7 digits (not a phone number to compare) or
 * more than 20.
 */
size_t sp_phone_key(const char *s, size_t n, const char *country, char *out,
    size_t size);

/* 1 when s is a calling code: an optional '+' and 1 to 3 digits, the
 * first not 0. */
int sp_phone_country_ok(const char *s);

#ifdef __cplusplus
}
#endif

#endif
