/*
 * assign: what lead-assign decides with: the territory rules file
 * (salespipe-territories(5)), whose rows are tried in order and the first
 * whose conditions all hold gives a lead its owner or team; the away file
 * (owners who take no leads between two dates); and the leads of a
 * history as they stand (each id's latest value of every field).
 */
#ifndef SALESPIPE_ASSIGN_H
#define SALESPIPE_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "salespipe/err.h"
#include "salespipe/rec.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The operators of a condition. */
enum {
	SP_COND_EQ,		/* field = v */
	SP_COND_IN,		/* field in a|b|c */
	SP_COND_PREFIX,		/* field ^= v */
	SP_COND_BETWEEN,	/* field between lo..hi (numbers) */
	SP_COND_EMPTY,		/* field empty */
	SP_COND_PRESENT		/* field present */
};

/* One condition of a rule's `when`.  Owned by its rule. */
typedef struct sp_cond {
	char *text;		/* as written, blanks around it removed */
	char *field;
	int op;			/* SP_COND_* */
	char **v;		/* EQ, PREFIX: one value; IN: the values */
	size_t nv;
	int has_lo, has_hi;	/* BETWEEN: which bounds were given */
	int64_t lo, hi;		/* BETWEEN: the bounds, in millionths */
} sp_cond;

/* How a rule picks among the members of its team. */
enum { SP_HOW_ROUND_ROBIN, SP_HOW_LEAST_OPEN };

/* One row of the rules file.  Strings owned; "" when not given. */
typedef struct sp_rule {
	char *id;		/* the rule column */
	sp_cond *cond;		/* all must hold; none: every lead */
	size_t ncond;
	char *owner;		/* the target: an owner, */
	char *team;		/* or a team of the teams file */
	char *territory;	/* written with the assignment ("": none) */
	int how;		/* SP_HOW_* (team rules) */
	long daily_cap;		/* 0: none; else leads an owner takes a day */
	char **wowner;		/* weight: members with a weight, */
	long *weight;		/* and their weights (others weigh 1) */
	size_t nweight;
	long line;		/* its line in the rules file */
} sp_rule;

typedef struct sp_rules {
	sp_rule *v;
	size_t n;
} sp_rules;

/*
 * Parse a rule's `when` text into r->cond (replacing none: r must have no
 * conditions yet): conditions joined by " and ", each "field = v",
 * "field in a|b|c", "field ^= prefix", "field between lo..hi" (numbers;
 * either bound may be left out, not both), "field empty" or "field
 * present".  A field name is letters, digits, '_', '-' and '.'; values
 * have the blanks around them removed and may not be empty.  An empty or
 * blank text is no condition.  Returns 0, or -1 with e->msg saying what
 * is wrong with which condition (e->field is left for the caller).
 */
int sp_rule_parse_when(sp_rule *r, const char *when, sp_error *e);

/*
 * Read the rules file at path (ro: reader options, max_bytes set to
 * SP_MAX_OPTFILE here) into rs, which must be zeroed.  Columns: rule
 * (required, unique, not empty), when, owner, team, how (round-robin,
 * the default, or least-open; team rules only), territory, daily_cap (a
 * whole number above 0), weight ("owner=n|owner=n": round-robin team
 * rules only; n a whole number from 1 to 1000; an owner not named weighs
 * 1).  Each row has exactly one of owner and team.
 * Any other column is an error (a misspelt column must not be ignored).
 * Returns 0, or -1 with e naming file, line and field.  Free with
 * sp_rules_free (also after a failure).
 */
int sp_rules_read(sp_rules *rs, const char *path, const sp_read_opts *ro,
    sp_error *e);
void sp_rules_free(sp_rules *rs);

/* The weight of owner in rule r's weight column (1 when not named). */
long sp_rule_weight(const sp_rule *r, const char *owner);

/*
 * 1 when condition c holds for the value v (len bytes; v NULL or len 0:
 * the field is empty or absent), else 0.  Values compare after the
 * blanks around them are removed, ASCII letters in any case; between
 * reads v as a number (sp_money_parse: no thousands separators) and
 * holds for lo <= v <= hi; a value that is not a number never holds.
 */
int sp_cond_holds(const sp_cond *c, const char *v, size_t len);

/* Gives the value of field for a lead (NULL: absent), *len its length. */
typedef const char *(*sp_rule_get)(void *ctx, const char *field,
    size_t *len);

/* The index of the first rule of rs whose conditions all hold for the
 * lead that get(ctx, ...) describes, or -1 when none does. */
long sp_rules_first(const sp_rules *rs, sp_rule_get get, void *ctx);

/* One row of the away file: owner is away over [from, to). */
typedef struct sp_away_row {
	char *owner;
	int64_t from, to;	/* INT64_MIN, INT64_MAX: no bound */
	long line;
} sp_away_row;

typedef struct sp_away {
	sp_away_row *v;
	size_t n;
} sp_away;

/*
 * Read the away file at path (columns owner, from, to; ro, datefmt and tz
 * as for sp_teams_read) into a, which must be zeroed.  from and to are
 * dates or times, both inclusive: a `to` that is a date without a time
 * runs to the end of that day; either may be empty (no bound).  Returns 0,
 * or -1 with e naming file, line and field.  Free with sp_away_free.
 */
int sp_away_read(sp_away *a, const char *path, const sp_read_opts *ro,
    const char *datefmt, const sp_tz *tz, sp_error *e);
void sp_away_free(sp_away *a);

/* The line of a row that has owner away at time t, or 0 when none. */
long sp_away_at(const sp_away *a, const char *owner, int64_t t);

/*
 * The leads of a history as they stand: for each id, in order of its
 * first record, the latest non-empty value of every field and where its
 * first record is.  Values are read through the reader's slots.
 */
typedef struct sp_leads sp_leads;

/* A new fold over records of reader rd (borrowed: it must outlive the
 * fold).  NULL when out of memory.  Free with sp_leads_free. */
sp_leads *sp_leads_new(sp_reader *rd);
void sp_leads_free(sp_leads *ls);

/*
 * Fold record r (read by the fold's reader) in.  Returns 0, or -1 with e
 * set: the record has no id (e names its place and the field), or memory.
 */
int sp_leads_add(sp_leads *ls, const sp_rec *r, sp_error *e);

/* The number of leads (ids) folded. */
size_t sp_leads_count(const sp_leads *ls);

/* Lead i's value of field (its latest non-empty one), or NULL; *len set
 * when len is not NULL.  Borrowed until sp_leads_free. */
const char *sp_leads_get(const sp_leads *ls, size_t i, const char *field,
    size_t *len);

/* Where lead i's first record is: its file (borrowed) and line. */
const char *sp_leads_place(const sp_leads *ls, size_t i, long *line);

#ifdef __cplusplus
}
#endif

#endif
