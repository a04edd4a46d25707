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
#include "salespipe/field.h"
#include "salespipe/rates.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One visit of a stage: entered at `at`. */
typedef struct sp_visit {
	int64_t at;
	int stage;
} sp_visit;

/*
 * SP_NEED_FROM: a deal as it was at an earlier time (sp_deals_opts.from),
 * beside the deal as of the later one, from the same fold.
 */
typedef struct sp_deal_then {
	int exists;		/* the deal had a stage then; when 0, the
				   rest is zero */
	int stage;		/* index into the stage list */
	int kind;		/* SP_OPEN, SP_WON, SP_LOST */
	int has_amount;
	int64_t amount;		/* micro-units, as read */
	const char *currency;	/* "" when none */
	sp_money value;		/* as sp_deal.value (with --rates converted
				   at the rate of the deal's date then) */
	int has_close_date;
	int64_t close_date;
	int reopened;		/* closed then and reopened since: a history
				   has an open visit after then; two
				   snapshots: open now, or closed now at
				   another stage or close_date */
	int gone;		/* two snapshots: the new one does not list
				   the deal (the rest of sp_deal is as the
				   old one listed it) */
} sp_deal_then;

typedef struct sp_deal {
	const char *id;		/* "" when the record has no id */
	const char *key;	/* group key (see sp_group_key), keylen bytes */
	size_t keylen;
	int stage;		/* index into the stage list */
	int kind;		/* SP_OPEN, SP_WON, SP_LOST */
	int has_amount;
	int64_t amount;		/* micro-units, as read (before --rates) */
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
	sp_money value;		/* SP_NEED_AMOUNT, has_amount: the exact
				   amount to add up, in `currency`: with
				   rates, amount x the rate in force (see
				   sp_deals_opts.rates) and currency the
				   target; else the amount as read */
	int as_of_open;		/* SP_NEED_AS_OF_OPEN: a snapshot deal that
				   closed after as_of, handed on as it was
				   then: kind SP_OPEN, stage, max_stage,
				   lost_stage -1 (unknown), no close times */
	/* history only: */
	size_t seq;		/* the id's place in the order of first
				   appearance over the whole input (0, 1,
				   ...; every id counted, before --shard or
				   any program's filter): the same number
				   on every machine that reads the whole
				   history */
	const int *fields;	/* SP_NEED_ALL: sp_deals_fields(), so that a
				   deal's vals can be written as the
				   history's columns */
	size_t nfields;
	/* SP_NEED_FROM, history (or two snapshots, sp_deals_opts.pair_old)
	   only: the deal at sp_deals_opts.from; else NULL */
	const sp_deal_then *then;
	/* two snapshots (pair_old) with SP_NEED_ALL: changed[slot] is 1 when
	   the new snapshot gives that field a value the old one did not
	   give it (each value of a deal the old one lacks), nvals long */
	const unsigned char *changed;
} sp_deal;

/*
 * Which fields sp_deals_add must parse (others are left unparsed, zero; on a
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
	SP_NEED_PUSHES = 256,	/* close_date pushes: history, counted;
				   snapshot, the close_date_pushes field */
	SP_NEED_AS_OF_OPEN = 512,	/* snapshot with as_of: hand on a deal
				   closed after as_of as open then, of
				   unknown stage (as_of_open); without it
				   such a deal is left out */
	SP_NEED_FROM = 1024,	/* history: also each deal as it was at
				   sp_deals_opts.from (then): its stage,
				   amount, currency and close_date folded
				   from the records at or before from */
	SP_NEED_RECORDS = 2048	/* every good record handed on at once,
				   as it is (an activity, an event): rec,
				   key, file, line, id ("" when none) and
				   the fields asked for; no fold by id, no
				   repeated-id check, `at` an ordinary
				   field, nothing left out as of a time
				   (the program applies its own time
				   rule).  Implies SP_NEED_NO_STAGE */
};

/*
 * Why a snapshot deal is left out as of as_of (sp_deals_opts.left_out):
 * a snapshot knows each deal's state at its export only, so as of an
 * earlier time it can say which deals existed and which had closed, but
 * not the stage then of a deal that closed later.
 */
enum {
	SP_LEFT_CREATED_AFTER = 1,	/* created_at after as_of: not yet a
					   deal then */
	SP_LEFT_CLOSED_AFTER,		/* won or lost after as_of: open then,
					   stage unknown (without
					   SP_NEED_AS_OF_OPEN) */
	SP_LEFT_NO_CLOSE_TIME		/* won or lost with no closed_at or
					   close_date: closed by as_of or not
					   is unknown */
};

/* Called once per deal; returns 0, or -1 with e set (a bad deal). */
typedef int (*sp_deal_fn)(void *ctx, const sp_deal *d, sp_error *e);

typedef struct sp_deals_opts {
	const int *group_slots;	/* -g fields, may be NULL */
	size_t ngroup;
	const char *datefmt;	/* --date-format, may be NULL */
	int need;		/* SP_NEED_* */
	int has_as_of;		/* history: ignore records after as_of;
				   snapshot: take each deal as of as_of,
				   leaving out (SP_LEFT_*) what did not yet
				   exist or cannot be known then */
	int64_t as_of;
	sp_deal_fn fn;
	void *ctx;
	const sp_numfmt *numfmt;	/* how amounts are written; NULL:
					   the default */
	const sp_rates *rates;	/* may be NULL: convert every amount into
				   sp_rates_target() at the rate in force on
				   the deal's date: a closed deal's close
				   (closed_at, else close_date), an open
				   deal's expected close_date, else its
				   created_at, else now.  A deal without a
				   currency is taken to be in the target;
				   a currency without a rate then is a bad
				   deal */
	int64_t now;		/* the date of a deal that has none */
	const sp_tz *tz;	/* --tz for naive times, may be NULL (UTC) */
	/* may be NULL: told of each snapshot deal left out as of as_of (why
	   is SP_LEFT_*), which is then not counted anywhere */
	void (*left_out)(void *ctx, const sp_deal *d, int why,
	    int64_t as_of);
	void *left_ctx;
	int prob_scale;		/* --probability-scale: 1 or 100 (0: 100) */
	/* SP_NEED_FROM: the earlier time of sp_deal.then */
	int64_t from;
	/*
	 * SP_NEED_FROM on two snapshots (may be NULL): the name (as the
	 * reader gives sp_rec.file) of the old one.  Every record is then
	 * read as a history record at as_of (the new snapshot's time), those
	 * of pair_old first, and sp_deal.then is the deal as pair_old lists
	 * it; a record with `at`, and an id listed twice in one file, are
	 * bad.
	 */
	const char *pair_old;
	/* a snapshot's ids: the memory they may take (0: no limit), past
	   which they are spilled to disk and repeats of spilled ids are
	   found only by sp_deals_ids_check (SALESPIPE_ID_MEMORY) */
	size_t id_memory;
	/* the records are leads: their stage is the lead status, and the
	   deals' status, won_at and lost_at fields are ordinary fields */
	int leads;
} sp_deals_opts;

typedef struct sp_deals sp_deals;

/*
 * A deal source over records from rd, with stage list st (both borrowed).
 * NULL when out of memory.
 */
sp_deals *sp_deals_new(sp_reader *rd, sp_stages *st, const sp_deals_opts *o);

/*
 * Take one record.  A snapshot record (no `at` value) is turned into a
 * deal and handed to fn at once; a history record (with `at`) is kept.
 * The first good record decides: once a history, a record without `at` is
 * bad, and the other way round.  Returns 0, or -1 with e's field and
 * message set (the caller adds the record's place) for a bad record,
 * which is then not counted anywhere.
 */
int sp_deals_add(sp_deals *ds, const sp_rec *r, sp_error *e);

/*
 * SP_NEED_ALL: the slots of the fields the history's records carried, in
 * order of first appearance (`at` included).  Sets *n.
 */
const int *sp_deals_fields(const sp_deals *ds, size_t *n);

/*
 * The i-th currency code met on a deal with an amount (as written, before
 * --rates), in order of first appearance; NULL past the last.  Valid
 * until sp_deals_free.
 */
const char *sp_deals_currency(const sp_deals *ds, size_t i);

/* 1 once a history record was seen. */
int sp_deals_is_history(const sp_deals *ds);

/*
 * At end of input: fold the history and hand each deal to fn, in order of
 * the ids' first appearance.  For a deal that cannot be folded or that fn
 * refuses, bad (may be NULL) is called with the error and the fold goes
 * on; without bad the fold stops there and returns -1 (e set).  Returns 0
 * otherwise.  A snapshot has nothing to fold: returns 0.
 */
int sp_deals_finish(sp_deals *ds, void (*bad)(void *ctx, const sp_error *e),
    void *badctx, sp_error *e);

/*
 * 1 when the probabilities read so far look like fractions read as
 * percentages: the scale is 100, at least one probability was read, none
 * is above 1 (%) and one is above 0.  The program warns; nothing else
 * changes.
 */
int sp_deals_prob_doubt(const sp_deals *ds);

void sp_deals_free(sp_deals *ds);

/*
 * The reached-stage rule, the one place it is written: the highest open
 * stage deal d is known to have reached.  The furthest of max_stage (its
 * history's, or a snapshot's reached_stage field), its stage when open,
 * and the open stage it was lost from; a lost deal with none of these
 * reached the first open stage (it was in the pipeline).  -1 when
 * nothing is known (a won deal without a history or reached_stage).
 */
int sp_deal_reached(const sp_stages *st, const sp_deal *d);

/*
 * Deal d's state at time t: the one rule of "as of a time" (--as-of, and
 * velocity's as-of of each --every bucket).  A created_at or close time
 * equal to t is at or before it.  Returns SP_OPEN, SP_WON or SP_LOST, or
 * -SP_LEFT_* when d is not a deal known then: created after t, or (a
 * snapshot) closed with no close time.  A history deal (d->path) is in
 * the stage of its last visit at or before t (open before its first); a
 * snapshot deal open now was open since it was created, and one won or
 * lost at closed_at was open before it (SP_OPEN: at a stage the
 * snapshot does not record).  st: the stage list of d->path's stages.
 */
int sp_deal_state_at(const sp_stages *st, const sp_deal *d, int64_t t);

/*
 * The cycle of a closed deal, cycle-time(1)'s definition: from created_at
 * to its close time (closed_at), in seconds into *secs (negative when it
 * closes before it was created).  NULL when it has one, else why not:
 * "no created_at" or "no close time".
 */
const char *sp_deal_cycle(const sp_deal *d, int64_t *secs);

/*
 * The probability an open deal is weighted by, in basis points (10000:
 * 100%): its own (SP_NEED_PROB), else its stage's.  d->stage must be a
 * stage of st.  The one rule of the weighted pipeline (forecast,
 * scorecard).
 */
int sp_deal_prob_bp(const sp_stages *st, const sp_deal *d);

/*
 * For --threads, where parts of one snapshot are folded by one sp_deals
 * each: 1 when an id of b's records is also one of a's (a repeat one
 * fold would have refused; the caller must read again on one thread),
 * else 0.  Only reads both.
 */
int sp_deals_ids_overlap(const sp_deals *a, const sp_deals *b);

/* Change sp_deals_opts.id_memory (a part of --threads gets its share). */
void sp_deals_set_id_memory(sp_deals *ds, size_t bytes);

/* 1 when the snapshot's ids passed id_memory and were spilled to disk:
 * then only sp_deals_ids_check finds every repeated id. */
int sp_deals_ids_spilled(const sp_deals *ds);

/* Memory the snapshot's ids hold. */
size_t sp_deals_ids_bytes(const sp_deals *ds);

/*
 * After reading, the snapshot ids of v[0..n) (parts of one input in
 * order, or one fold) checked together within budget bytes of memory:
 * the number of ids listed again that no fold refused while reading
 * (their records were counted), with the earliest max of them by place
 * in bad[0..] as bad records (field "id", code SP_ERR_REPEATED_ID, the
 * message a refusal while reading gives; the id's text is known only for
 * a repeat within one fold); -1 with e set when a temporary file fails.
 * The folds' ids are dropped: a second check finds nothing.
 */
long long sp_deals_ids_check(sp_deals *const *v, size_t n, size_t budget,
    sp_error *bad, size_t max, sp_error *e);

/* Add from's probability statistics (sp_deals_prob_doubt) into into. */
void sp_deals_absorb(sp_deals *into, const sp_deals *from);

/*
 * A history's ids that sp_deals_finish will refuse for want of a stage
 * (each a bad deal then); 0 for a snapshot.
 */
size_t sp_deals_unfoldable(const sp_deals *ds);

/* 0 before the first good record, 1 a snapshot, 2 a history. */
int sp_deals_mode(const sp_deals *ds);

/*
 * For --threads: a part of an input whose first good record made it a
 * snapshot (mode 1) or a history (2) reads as the rest of that input
 * does (a record of the other kind is bad), as one sp_deals would.
 */
void sp_deals_set_mode(sp_deals *ds, int mode);

/*
 * For --threads on a history, where parts of one input are read by one
 * sp_deals each: add what from holds (records that came after into's, in
 * the same input) into into, so that the fold is the one a single
 * sp_deals would have made: each id's visits and close dates after
 * into's, the later value of each field (of equal `at`, from's), ids new
 * to into after its own.  Snapshot parts only add their statistics.
 * Returns 0; 1 when the parts cannot be merged exactly (different modes,
 * or SP_NEED_ALL fields whose slots mean other names in the two readers):
 * nothing was changed, read on one sp_deals instead; -1 with e set (out
 * of memory, into then partly merged).  from's memory moves into into:
 * after a 0 or -1, only sp_deals_free(from).
 */
int sp_deals_merge(sp_deals *into, sp_deals *from, sp_error *e);

/*
 * For --threads on a history whose parts can be folded each on its own
 * (sp_deals_finish on every part at once, the answers then taken in part
 * order), as when an export keeps each deal's records together, sorted by
 * id: a's records came before b's in one input.
 *
 * sp_deals_follows: 0 when every id of b comes after every id of a
 * (bytewise, each part read sorted by id); 1 the same but for b's first
 * id, which is a's last (a deal whose records the split cut in two: then
 * sp_deals_take_first); -1 otherwise (fold them merged: sp_deals_merge).
 *
 * sp_deals_take_first: b's first deal's records into a's last deal, as
 * sp_deals_merge would (the later record wins); b's fold then leaves it
 * out.  -1 with e set: out of memory.
 *
 * sp_deals_fields_union: (SP_NEED_ALL) from's fields into into's list of
 * fields in order of appearance; 1 when from's slots mean other names in
 * into's reader (fold them merged, see sp_deals_merge); -1 memory.  And
 * sp_deals_fields_copy: ds's list made from's (their union, so that each
 * part hands its deals on with the fields the whole input has).
 *
 * sp_deals_set_seq: the sp_deal.seq of the first deal ds hands on (the
 * deals of the parts before it); sp_deals_count: the deals it hands on.
 */
int sp_deals_follows(const sp_deals *a, const sp_deals *b);
int sp_deals_take_first(sp_deals *a, sp_deals *b, sp_error *e);
int sp_deals_fields_union(sp_deals *into, const sp_deals *from);
int sp_deals_fields_copy(sp_deals *ds, const sp_deals *from);
void sp_deals_set_seq(sp_deals *ds, size_t base);
size_t sp_deals_count(const sp_deals *ds);

#ifdef __cplusplus
}
#endif

#endif
