/*
 * deal: what a deal is, the same way for every program, from a snapshot
 * (one record per deal, handed on at once) or a history (records with
 * `at`, folded per id at the end: the stage path in time order and the
 * latest value of every other field).  DESIGN.md section 2.
 */
#ifndef SALESPIPE_DEAL_H
#define SALESPIPE_DEAL_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

/* One visit of a stage: entered at `at`. */
typedef struct sp_visit {
	int64_t at;
	int stage;
} sp_visit;

typedef struct sp_deal {
	const char *id;		/* "" when the record has no id */
	const char *key;	/* group key (see group_key), keylen bytes */
	size_t keylen;
	int stage;		/* index into the stage list */
	int kind;		/* SP_OPEN, SP_WON, SP_LOST */
	int has_amount;
	int64_t amount;		/* minor units */
	const char *currency;	/* "" when none */
	int has_created;
	int64_t created_at;	/* created_at; history: else the first `at` */
	int has_closed;
	int64_t closed_at;	/* won/lost only: closed_at; history: else when
				   it entered its closing stage; snapshot:
				   else close_date */
	int has_close_date;
	int64_t close_date;
	int has_prob;
	int prob_bp;		/* the record's probability, if any */
	int lost_stage;		/* lost deals: the last open stage reached
				   (history), or the lost_stage field, or -1 */
	int max_stage;		/* history: highest open stage index reached,
				   -1 if none; snapshot: the reached_stage
				   field (as pipeline writes it), or -1 */
	const sp_visit *path;	/* history: visits in time order (repeats of
				   the same stage in a row merged); else NULL */
	size_t npath;
	const char *file;	/* snapshot: the record's place; history: the
				   last record of the id */
	long line;
	const sp_rec *rec;	/* snapshot: the record; history: NULL */
	/* SP_NEED_ALL (history) only: */
	const char *const *vals;	/* vals[slot]: the latest non-empty
					   value of that field, or NULL */
	size_t nvals;
	int64_t last_at;	/* `at` of the id's latest record */
	int has_pushes;		/* SP_NEED_PUSHES or SP_NEED_ALL: */
	int pushes;		/* records that moved close_date later */
	int category;		/* SP_NEED_CATEGORY: SP_FC_* of the
				   forecast_category field, -1 when none */
} sp_deal;

/*
 * Which fields deals_add must parse (others are left unparsed, zero; on a
 * history created_at is always known, from the field or the first `at`).
 */
enum {
	SP_NEED_AMOUNT = 1, SP_NEED_CREATED = 2, SP_NEED_CLOSED = 4,
	SP_NEED_CLOSE_DATE = 8, SP_NEED_PROB = 16,
	SP_NEED_NO_STAGE = 32,	/* stage optional (then kind is open, stage
				   -1) and unchecked: for programs that only
				   read other fields, snapshots only */
	SP_NEED_ALL = 64,	/* history: also the latest value of every
				   field (vals), the time of the last record
				   (last_at) and close_date pushes */
	SP_NEED_CATEGORY = 128,	/* forecast_category (category) */
	SP_NEED_PUSHES = 256	/* close_date pushes: history, counted;
				   snapshot, the close_date_pushes field */
};

/* Called once per deal; returns 0, or -1 with e set (a bad deal). */
typedef int (*sp_deal_fn)(void *ctx, const sp_deal *d, sp_error *e);

typedef struct sp_deals_opts {
	const int *group_slots;	/* -g fields, may be NULL */
	size_t ngroup;
	const char *datefmt;	/* --date-format, may be NULL */
	int need;		/* SP_NEED_* */
	int has_as_of;		/* history: ignore records after as_of */
	int64_t as_of;
	sp_deal_fn fn;
	void *ctx;
	int prob_scale;		/* --probability-scale: 1 or 100 (0: 100) */
} sp_deals_opts;

typedef struct sp_deals sp_deals;

/*
 * A deal source over records from rd, with stage list st (both borrowed).
 * NULL when out of memory.
 */
sp_deals *deals_new(sp_reader *rd, sp_stages *st, const sp_deals_opts *o);

/*
 * Take one record.  A snapshot record (no `at` value) is turned into a
 * deal and handed to fn at once; a history record (with `at`) is kept.
 * The first good record decides: once a history, a record without `at` is
 * bad, and the other way round.  Returns 0, or -1 with e's field and
 * message set (the caller adds the record's place) for a bad record,
 * which is then not counted anywhere.
 */
int deals_add(sp_deals *ds, const sp_rec *r, sp_error *e);

/*
 * SP_NEED_ALL: the slots of the fields the history's records carried, in
 * order of first appearance (`at` included).  Sets *n.
 */
const int *deals_fields(const sp_deals *ds, size_t *n);

/* 1 once a history record was seen. */
int deals_is_history(const sp_deals *ds);

/*
 * At end of input: fold the history and hand each deal to fn, in order of
 * the ids' first appearance.  For a deal that cannot be folded or that fn
 * refuses, bad (may be NULL) is called with the error and the fold goes
 * on; without bad the fold stops there and returns -1 (e set).  Returns 0
 * otherwise.  A snapshot has nothing to fold: returns 0.
 */
int deals_finish(sp_deals *ds, void (*bad)(void *ctx, const sp_error *e),
    void *badctx, sp_error *e);

/*
 * 1 when the probabilities read so far look like fractions read as
 * percentages: the scale is 100, at least one probability was read, none
 * is above 1 (%) and one is above 0.  The program warns; nothing else
 * changes.
 */
int deals_prob_doubt(const sp_deals *ds);

void deals_free(sp_deals *ds);

#endif
