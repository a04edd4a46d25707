/*
 * agg: aggregates, the one engine of the read programs.
 *
 * An aggregate is a table of operations in the spirit of Miller's
 * mappers: a per-group state of state_size bytes with init, merge (state
 * into state), save and load (the state as JSON, for --partial and
 * --merge), fini, and rows, which turns a finished state into output rows
 * whose columns the aggregate declares as data (cols).  Adding deals to a
 * state is the program's (it reads its options); everything else, the
 * groups, the merge of tables, the partial format and the sorted output,
 * is here, with no I/O of its own but a writer and no exit().
 *
 * A group key is the -g values joined by SP_KEY_SEP, followed, when the
 * run has periods, by SP_KEY_SEP and the period label (sp_groups).
 */
#ifndef SALESPIPE_AGG_H
#define SALESPIPE_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "salespipe/err.h"
#include "salespipe/field.h"
#include "salespipe/rec.h"
#include "salespipe/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Column types: how a value is written (count, money and duration are
 * numbers, ratio a ratio the writer rounds once, text a string). */
enum { SP_AGG_COUNT, SP_AGG_MONEY, SP_AGG_RATIO, SP_AGG_DURATION,
	SP_AGG_TEXT };

typedef struct sp_agg_col {
	const char *name;
	int type;		/* SP_AGG_* */
} sp_agg_col;

/* A row being built by rows(): the group and period cells are filled,
 * the aggregate fills its own columns (0 .. ncols-1) and emits. */
typedef struct sp_agg_row sp_agg_row;

/* Groups of one aggregate's states. */
typedef struct sp_agg_table sp_agg_table;

typedef struct sp_agg {
	const char *name;	/* the program: checked by --merge */
	size_t state_size;
	void (*init)(void *ctx, void *state);
	void (*fini)(void *ctx, void *state);	/* may be NULL */
	/* from into into; from is fini'd afterwards (it may be emptied) */
	int (*merge)(void *ctx, void *into, void *from, sp_error *e);
	/* the state as a JSON value (NULL: out of memory) and back; load
	   gets a state after init and fails with e on a bad value */
	json_t *(*save)(void *ctx, const void *state);
	int (*load)(void *ctx, void *state, const json_t *v, sp_error *e);
	/* the output rows of one group: fill cells, sp_agg_emit each row */
	int (*rows)(void *ctx, void *state, sp_agg_row *r, sp_error *e);
	const sp_agg_col *cols;	/* the aggregate's columns, in order */
	size_t ncols;
	void *ctx;		/* the program's options, read-only while
				   states are added to (threads share it) */
	/* may be NULL: called once after the output (the answer, the
	   partial states or --explain's rows) and before the run's closing
	   messages, for the program's warnings about the whole answer */
	void (*end)(void *ctx);
	/* the name of the period column (the output's, sp_agg_columns);
	   NULL: "period" */
	const char *period_col;
	/* 1: --period without --every only keeps the times inside it
	   (cli_agg_at gives NULL outside): no period column, no key part,
	   the label "".  0: --period is a period of the key, as --every's
	   buckets are.  With --every the buckets are the key's either way. */
	int period_filter;
	/* may be NULL: called once with the whole table (after reading, or
	   after --merge) before the first row is written, not with
	   --partial or --explain: what needs every group (rates over all
	   of them, a check that must fail the run before any output).
	   -1 (e set) fails the run. */
	int (*prepare)(void *ctx, sp_agg_table *t, sp_error *e);
	/* 1: every deal makes groups of its own whose keys sort after
	   every earlier deal's (pipeline: a row per deal, in the fold's
	   order), so a run that writes its answer may write the deals'
	   groups as soon as they are made (sp_agg_drain; the driver does
	   so 32 deals at a time) and keep no more than those */
	int in_order;
} sp_agg;


sp_agg_table *sp_agg_table_new(const sp_agg *a);
/* The state of key, made (init) on first use; NULL when out of memory. */
void *sp_agg_get(sp_agg_table *t, const char *key, size_t keylen);
size_t sp_agg_count(const sp_agg_table *t);
/* Every group of from into into (from is left empty). */
int sp_agg_merge(sp_agg_table *into, sp_agg_table *from, sp_error *e);
void sp_agg_table_free(sp_agg_table *t);

/*
 * Calls fn with every group in key order (bytewise), the way the output
 * is sorted.  fn returning nonzero stops and is returned.
 */
int sp_agg_each(sp_agg_table *t, int (*fn)(void *arg, const char *key,
    size_t keylen, void *state), void *arg);

/*
 * Output.  The columns: the nkey group columns (names), then the period
 * column (a->period_col, "period" when NULL) when has_period, then the
 * aggregate's.  sp_agg_write writes every group
 * in key order through rows(); *mixed is set when a money cell was left
 * empty because its sum mixes currencies.
 */
int sp_agg_columns(const sp_agg *a, sp_writer *w, const char *const *names,
    size_t nkey, int has_period);
int sp_agg_write(sp_agg_table *t, sp_writer *w, size_t nkey,
    int has_period, int *mixed, sp_error *e);

/*
 * sp_agg_write of every group t has now (the columns written before),
 * then t emptied (fini on each state): for sp_agg.in_order, whose output
 * is the same written a deal at a time as at the end.
 */
int sp_agg_drain(sp_agg_table *t, sp_writer *w, size_t nkey,
    int has_period, int *mixed, sp_error *e);

/* Cells of the row being built (col: the aggregate's column index).  A
 * cell not set is empty.  The value is copied. */
void sp_agg_set(sp_agg_row *r, size_t col, const char *text);
/* The same without the copy: text must live until the row's sp_agg_emit
 * (a cell the state keeps as text). */
void sp_agg_set_ref(sp_agg_row *r, size_t col, const char *text);
void sp_agg_set_count(sp_agg_row *r, size_t col, int64_t n);
/* "" when the sum mixes currencies (then *mixed of sp_agg_write) */
void sp_agg_set_money(sp_agg_row *r, size_t col, const sp_money_sum *s);
/* num/den as sp_ratio_text ("" when den is 0) */
void sp_agg_set_ratio(sp_agg_row *r, size_t col, int64_t num, int64_t den);
void sp_agg_set_money_ratio(sp_agg_row *r, size_t col,
    const sp_money_sum *num, const sp_money_sum *den);
/* The key parts of the row's group: -g values, then the period label
 * ("" when the run has no periods). */
const char *sp_agg_row_group(const sp_agg_row *r, size_t i);
const char *sp_agg_row_period(const sp_agg_row *r);
/* Write the row and clear the aggregate's cells.  -1 on write error. */
int sp_agg_emit(sp_agg_row *r, sp_error *e);

/*
 * The partial format (salespipe-records(5)), JSON lines:
 *	{"salespipe":"partial","version":1,"program":P,"options":{...},
 *	 "source":{...}}
 * then one line per group:
 *	{"group":[v,...],"period":L,"state":{...}}
 * ("period" iff has_period, whatever a->period_col names the column;
 * the saving and the loading run must decide has_period alike).
 * sp_agg_save writes the groups (after a header the caller writes);
 * sp_agg_load_group reads one group line into t, merging with a group
 * already there.
 */
int sp_agg_save(sp_agg_table *t, FILE *fp, size_t nkey, int has_period,
    sp_error *e);
int sp_agg_load_group(sp_agg_table *t, const json_t *line, size_t nkey,
    int has_period, sp_error *e);

/* Helpers for save/load of the common parts of states. */
json_t *sp_agg_money_save(const sp_money_sum *s);
int sp_agg_money_load(sp_money_sum *s, const json_t *v, sp_error *e);
/* a distribution (exact quantiles need every value): its values as a
 * JSON array of integers; load adds them to d */
json_t *sp_agg_dist_save(const sp_dist *d);
int sp_agg_dist_load(sp_dist *d, const json_t *v, const char *what,
    sp_error *e);
/* an int64 as a JSON integer; load checks the type */
int sp_agg_int_load(int64_t *n, const json_t *v, const char *what,
    sp_error *e);
/* a member of object o, NULL with e set when missing */
const json_t *sp_agg_member(const json_t *o, const char *name, sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
