/*
 * Unit tests of deal: snapshot records turned into deals, and histories
 * folded per id (include/salespipe/deal.h, DESIGN.md section 2).  Times
 * are UTC seconds worked out with date -u -d DATE +%s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/deal.h"
#include "salespipe/group.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

/* date -u -d ... +%s */
#define T_2025_12_01		1764547200LL
#define T_2026_01_01		1767225600LL
#define T_2026_01_05		1767571200LL
#define T_2026_01_10		1768003200LL
#define T_2026_01_15		1768435200LL
#define T_2026_01_20		1768867200LL
#define T_2026_01_31_12		1769860800LL	/* 2026-01-31T12:00:00Z */
#define T_2026_02_01		1769904000LL
#define T_2026_02_01_09		1769936400LL	/* 2026-02-01T09:00:00Z */
#define T_2026_02_03_10		1770112800LL	/* 2026-02-03T10:00:00Z */
#define T_2026_02_05		1770249600LL
#define T_2026_02_10		1770681600LL
#define T_2026_03_01		1772323200LL
#define T_2026_03_02_08		1772438400LL	/* 2026-03-02T08:00:00Z */
#define DAY			86400LL

/* The default deal stages, by index. */
enum { QUAL, DISC, PROP, NEGO, WON, LOST };

#define MAXPATH 64
#define MAXDEALS 64

/* A deal as handed to fn, copied (fn's pointers live only during fn). */
struct got {
	char id[32];
	char key[64];
	size_t keylen;
	int stage, kind;
	int has_amount;
	int64_t amount;
	char currency[8];
	int has_created;
	int64_t created_at;
	int has_closed;
	int64_t closed_at;
	int has_close_date;
	int64_t close_date;
	int has_prob, prob_bp;
	int lost_stage, max_stage;
	int has_path;
	sp_visit path[MAXPATH];
	size_t npath;
	char file[32];
	long line;
	int has_rec;
	int as_of_open;
	size_t seq;
	size_t nfields;
	int has_then;		/* SP_NEED_FROM: d->then, copied */
	sp_deal_then then;
	char then_currency[8];
	unsigned changed;	/* d->changed: bit slot */
};

struct run {
	struct got d[MAXDEALS];
	size_t n;
	sp_error add_err[16];	/* sp_deals_add failures, in order */
	long add_line[16];	/* ... and the records' lines */
	size_t nadd_err;
	sp_error fold_err[16];	/* deals_finish's bad() calls */
	size_t nfold_err;
	int finish_rc;
	int history;
	const char *refuse;	/* fn refuses the deal with this id */
	int as_of_need;		/* extra need bits for run_opts (as-of tests) */
	char left[MAXDEALS][32];	/* left_out: ids, and why */
	int left_why[MAXDEALS];
	size_t nleft;
};

static void
left_collect(void *ctx, const sp_deal *d, int why, int64_t as_of)
{
	struct run *run = ctx;

	(void)as_of;
	assert_true(run->nleft < MAXDEALS);
	snprintf(run->left[run->nleft], sizeof(run->left[0]), "%s", d->id);
	run->left_why[run->nleft++] = why;
}

static int
collect(void *ctx, const sp_deal *d, sp_error *e)
{
	struct run *run = ctx;
	struct got *g;

	if (run->refuse != NULL && strcmp(d->id, run->refuse) == 0)
		return sp_err_set(e, NULL, "refused %s", d->id);
	assert_true(run->n < MAXDEALS);
	g = &run->d[run->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", d->id);
	assert_true(d->keylen < sizeof(g->key));
	memcpy(g->key, d->key, d->keylen);
	g->keylen = d->keylen;
	g->stage = d->stage;
	g->kind = d->kind;
	g->has_amount = d->has_amount;
	g->amount = d->amount;
	snprintf(g->currency, sizeof(g->currency), "%s", d->currency);
	g->has_created = d->has_created;
	g->created_at = d->created_at;
	g->has_closed = d->has_closed;
	g->closed_at = d->closed_at;
	g->has_close_date = d->has_close_date;
	g->close_date = d->close_date;
	g->has_prob = d->has_prob;
	g->prob_bp = d->prob_bp;
	g->lost_stage = d->lost_stage;
	g->max_stage = d->max_stage;
	g->has_path = d->path != NULL;
	assert_true(d->npath <= MAXPATH);
	if (d->npath > 0)
		memcpy(g->path, d->path, d->npath * sizeof(*d->path));
	g->npath = d->npath;
	snprintf(g->file, sizeof(g->file), "%s", d->file ? d->file : "");
	g->line = d->line;
	g->has_rec = d->rec != NULL;
	g->as_of_open = d->as_of_open;
	g->seq = d->seq;
	g->nfields = d->nfields;
	if (d->changed != NULL) {
		size_t k;
		for (k = 0; k < d->nvals && k < 32; k++)
			if (d->changed[k])
				g->changed |= 1u << k;
	}
	if ((g->has_then = d->then != NULL)) {
		g->then = *d->then;
		snprintf(g->then_currency, sizeof(g->then_currency), "%s",
		    d->then->currency ? d->then->currency : "");
	}
	return 0;
}

static void
fold_bad(void *ctx, const sp_error *e)
{
	struct run *run = ctx;

	assert_true(run->nfold_err < 16);
	run->fold_err[run->nfold_err++] = *e;
}

/*
 * Read text (CSV or JSON lines), feed every record to a deal source with
 * the default stages, finish it (with a bad() callback unless strict).
 * groups: comma-separated -g fields or NULL; as_of: 0 for none.
 */
static int64_t run_from;		/* SP_NEED_FROM: sp_deals_opts.from */
static const char *run_pair_old;	/* two snapshots: the old one's name */
static char *const *run_paths;		/* read these files, not text */

static struct run *
run_opts(const char *text, int need, const char *groups, int64_t as_of,
    int strict, const char *refuse)
{
	struct run *run = calloc(1, sizeof(*run));
	sp_read_opts ro;
	sp_deals_opts o;
	sp_reader *rd;
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_deals *ds;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int slots[4], k;
	size_t ng = 0;

	assert_non_null(run);
	assert_non_null(st);
	run->refuse = refuse;
	memset(&ro, 0, sizeof(ro));
	if (run_paths != NULL) {
		size_t np = 0;
		while (run_paths[np] != NULL)
			np++;
		rd = sp_reader_open((char **)run_paths, np, &ro, &e);
	} else
		rd = sp_reader_open_mem(text, strlen(text), "t.in", &ro, &e);
	assert_non_null(rd);
	if (groups != NULL) {
		char buf[128], *p, *save = NULL;
		snprintf(buf, sizeof(buf), "%s", groups);
		for (p = strtok_r(buf, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save))
			slots[ng++] = sp_reader_slot(rd, p);
	}
	memset(&o, 0, sizeof(o));
	o.group_slots = ng > 0 ? slots : NULL;
	o.ngroup = ng;
	o.need = need;
	o.has_as_of = as_of != 0;
	o.as_of = as_of;
	o.fn = collect;
	o.ctx = run;
	o.left_out = left_collect;
	o.left_ctx = run;
	o.from = run_from;
	o.pair_old = run_pair_old;
	assert_non_null(ds = sp_deals_new(rd, st, &o));
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k != 1)
			fail_msg("reader: %s:%ld: %s", e.file, e.line, e.msg);
		if (sp_deals_add(ds, r, &e) < 0) {
			assert_true(run->nadd_err < 16);
			run->add_line[run->nadd_err] = r->line;
			run->add_err[run->nadd_err++] = e;
		}
	}
	run->history = sp_deals_is_history(ds);
	run->finish_rc = sp_deals_finish(ds, strict ? NULL : fold_bad, run, &e);
	if (strict && run->finish_rc < 0)
		run->fold_err[run->nfold_err++] = e;
	sp_deals_free(ds);
	sp_rec_free(r);
	sp_reader_close(rd);
	sp_stages_free(st);
	return run;
}

static struct run *
run_deals(const char *text, int need)
{
	return run_opts(text, need, NULL, 0, 0, NULL);
}

#define ALL_NEEDS (SP_NEED_AMOUNT | SP_NEED_CREATED | SP_NEED_CLOSED | \
	SP_NEED_CLOSE_DATE | SP_NEED_PROB)

static const struct got *
deal(const struct run *run, const char *id)
{
	size_t i;

	for (i = 0; i < run->n; i++)
		if (strcmp(run->d[i].id, id) == 0)
			return &run->d[i];
	fail_msg("no deal '%s'", id);
	return NULL;
}

/* The path of g must be stages[i] at times[i], i < n. */
static void
assert_path(const struct got *g, const int *stages, const int64_t *times,
    size_t n)
{
	size_t i;

	assert_true(g->has_path);
	if (g->npath != n)
		fail_msg("deal %s: %zu visits, want %zu", g->id, g->npath, n);
	for (i = 0; i < n; i++) {
		if (g->path[i].stage != stages[i] || g->path[i].at != times[i])
			fail_msg("deal %s visit %zu: stage %d at %lld, want "
			    "stage %d at %lld", g->id, i, g->path[i].stage,
			    (long long)g->path[i].at, stages[i],
			    (long long)times[i]);
	}
}

static void
assert_no_errors(const struct run *run)
{
	if (run->nadd_err > 0)
		fail_msg("deals_add: line %ld: field '%s': %s",
		    run->add_line[0], run->add_err[0].field,
		    run->add_err[0].msg);
	if (run->nfold_err > 0)
		fail_msg("fold: field '%s': %s", run->fold_err[0].field,
		    run->fold_err[0].msg);
	assert_int_equal(run->finish_rc, 0);
}

/* ---- snapshots ------------------------------------------------------ */

static void
test_snapshot(void **state)
{
	struct run *run = run_opts(
	    "id,stage,amount,currency,created_at,close_date,closed_at,"
	    "probability,owner\n"
	    "D1,won,100.50,USD,2026-01-01,2026-02-01,2026-02-03T10:00:00Z,90,"
	    "Ann\n"
	    "D2,lost,7,EUR,2026-01-05,2026-02-05,,,Bob\n"
	    "D3,negotiation,,,2026-01-10,2026-03-01,2026-02-03T10:00:00Z,,\n"
	    ",Qualification,1,,,,,,\n",
	    ALL_NEEDS, "owner", 0, 1, NULL);
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->history, 0);
	assert_int_equal(run->n, 4);
	/* handed on at once, in input order */
	assert_string_equal(run->d[0].id, "D1");
	assert_string_equal(run->d[3].id, "");

	g = deal(run, "D1");
	assert_int_equal(g->stage, WON);
	assert_int_equal(g->kind, SP_WON);
	assert_true(g->has_amount);
	assert_int_equal(g->amount, 100500000);
	assert_string_equal(g->currency, "USD");
	assert_true(g->has_created);
	assert_int_equal(g->created_at, T_2026_01_01);
	assert_true(g->has_closed);
	assert_int_equal(g->closed_at, T_2026_02_03_10);	/* closed_at */
	assert_true(g->has_close_date);
	assert_int_equal(g->close_date, T_2026_02_01);
	assert_true(g->has_prob);
	assert_int_equal(g->prob_bp, 9000);
	assert_int_equal(g->lost_stage, -1);
	assert_int_equal(g->max_stage, -1);
	assert_false(g->has_path);
	assert_int_equal(g->npath, 0);
	assert_true(g->has_rec);
	assert_string_equal(g->file, "t.in");
	assert_int_equal(g->line, 2);
	assert_int_equal(g->keylen, 3);
	assert_memory_equal(g->key, "Ann", 3);

	g = deal(run, "D2");
	assert_int_equal(g->kind, SP_LOST);
	assert_int_equal(g->amount, 7000000);
	assert_string_equal(g->currency, "EUR");
	assert_true(g->has_closed);
	assert_int_equal(g->closed_at, T_2026_02_05);	/* else close_date */
	assert_false(g->has_prob);
	assert_int_equal(g->lost_stage, -1);
	assert_int_equal(g->line, 3);

	g = deal(run, "D3");
	assert_int_equal(g->kind, SP_OPEN);
	assert_int_equal(g->stage, NEGO);
	assert_false(g->has_amount);
	assert_string_equal(g->currency, "");
	assert_false(g->has_closed);	/* open: closed_at does not count */
	assert_true(g->has_close_date);
	assert_int_equal(g->close_date, T_2026_03_01);
	assert_int_equal(g->keylen, 0);

	g = &run->d[3];		/* stage names compare case-insensitively */
	assert_int_equal(g->stage, QUAL);
	assert_int_equal(g->amount, 1000000);
	free(run);
}

static void
test_snapshot_lost_stage(void **state)
{
	struct run *run = run_deals("id,stage,lost_stage\n"
	    "L1,lost,proposal\nL2,won,proposal\nL3,LOST,Discovery\nL4,lost,\n",
	    0);

	(void)state;
	assert_no_errors(run);
	assert_int_equal(deal(run, "L1")->lost_stage, PROP);
	assert_int_equal(deal(run, "L2")->lost_stage, -1);
	assert_int_equal(deal(run, "L3")->lost_stage, DISC);
	assert_int_equal(deal(run, "L3")->kind, SP_LOST);
	assert_int_equal(deal(run, "L4")->lost_stage, -1);
	free(run);
}

static void
test_snapshot_need(void **state)
{
	struct run *run;

	(void)state;
	/* fields a program does not need are not parsed, so not checked */
	run = run_deals("id,stage,amount,created_at\nD1,won,abc,never\n", 0);
	assert_no_errors(run);
	assert_int_equal(run->n, 1);
	assert_false(run->d[0].has_amount);
	assert_false(run->d[0].has_created);
	free(run);
	/* SP_NEED_NO_STAGE: stage optional and unchecked */
	run = run_deals("id,stage,amount\nD1,,5\nD2,nosuch,6\n",
	    SP_NEED_NO_STAGE | SP_NEED_AMOUNT);
	assert_no_errors(run);
	assert_int_equal(run->n, 2);
	assert_int_equal(run->d[0].stage, -1);
	assert_int_equal(run->d[0].kind, SP_OPEN);
	assert_int_equal(run->d[1].amount, 6000000);
	free(run);
	/* ... and histories are refused */
	run = run_deals("id,at,stage\nD1,2026-01-01,won\n", SP_NEED_NO_STAGE);
	assert_int_equal(run->nadd_err, 1);
	assert_string_equal(run->add_err[0].field, "at");
	assert_int_equal(run->n, 0);
	free(run);
}

static void
test_snapshot_errors(void **state)
{
	struct run *run = run_deals(
	    "id,stage,amount,created_at,closed_at,lost_stage,probability\n"
	    "B1,,1,,,,\n"
	    "B2,closing,1,,,,\n"
	    "B3,won,1.2345678,,,,\n"
	    "B4,won,1,2026-02-30,,,\n"
	    "B5,won,1,,yesterday,,\n"
	    "B6,lost,1,,,nowhere,\n"
	    "B7,won,1,,,,101\n"
	    "OK,won,1,,,,\n",
	    ALL_NEEDS);
	static const char *const field[] = { "stage", "stage", "amount",
		"created_at", "closed_at", "lost_stage", "probability" };
	size_t i;

	(void)state;
	assert_int_equal(run->nadd_err, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(run->add_line[i], (long)i + 2);
		if (strcmp(run->add_err[i].field, field[i]) != 0)
			fail_msg("line %zu: field '%s', want '%s' (%s)", i + 2,
			    run->add_err[i].field, field[i],
			    run->add_err[i].msg);
	}
	/* unknown stages are named with the known ones */
	assert_non_null(strstr(run->add_err[1].msg, "closing"));
	assert_non_null(strstr(run->add_err[1].msg, "qualification"));
	/* a bad record is not counted anywhere */
	assert_int_equal(run->n, 1);
	assert_string_equal(run->d[0].id, "OK");
	free(run);
}

static void
test_snapshot_fn_refuses(void **state)
{
	struct run *run = run_opts("id,stage\nD1,won\nD2,lost\n", 0, NULL, 0,
	    0, "D1");

	(void)state;
	assert_int_equal(run->nadd_err, 1);
	assert_non_null(strstr(run->add_err[0].msg, "refused D1"));
	assert_int_equal(run->n, 1);
	free(run);
}

/* A snapshot lists a deal once: a repeat is refused naming the first. */
static void
test_snapshot_repeated_id(void **state)
{
	struct run *run = run_deals("id,stage,amount\n"
	    "D1,won,1\nD2,bad-stage,2\nD2,lost,3\nD1,lost,4\n,won,5\n"
	    ",won,6\nD2,won,7\n", SP_NEED_AMOUNT);

	(void)state;
	/* line 3 bad (unknown stage) does not hold D2: line 4 is D2's first */
	assert_int_equal(run->nadd_err, 3);
	assert_int_equal(run->add_line[0], 3);
	assert_int_equal(run->add_line[1], 5);
	assert_string_equal(run->add_err[1].field, "id");
	assert_non_null(strstr(run->add_err[1].msg,
	    "'D1' is listed again: first at t.in:2 (kept)"));
	assert_int_equal(run->add_line[2], 8);
	assert_non_null(strstr(run->add_err[2].msg, "first at t.in:4"));
	/* records without an id are not compared */
	assert_int_equal(run->n, 4);
	/* amounts in micro-units */
	assert_int_equal(deal(run, "D1")->amount, 1000000);
	assert_int_equal(deal(run, "D2")->amount, 3000000);
	free(run);
}

/*
 * SP_NEED_RECORDS: every good record handed on at once, in input order:
 * `at` and a repeated id are ordinary, no stage is read, a bad amount is
 * the record's, nothing is left out as of a time.
 */
static void
test_records(void **state)
{
	struct run *run = run_opts("id,at,owner,amount\n"
	    "A1,2026-01-05T10:00:00Z,ann,1.5\n"
	    "A1,2026-01-01T00:00:00Z,bob,2\n"
	    ",2026-02-01,ann,x\n"
	    ",2026-02-01,cy,\n", SP_NEED_RECORDS | SP_NEED_AMOUNT, "owner",
	    T_2026_01_01, 0, NULL);

	(void)state;
	assert_int_equal(run->nadd_err, 1);
	assert_int_equal(run->add_line[0], 4);
	assert_string_equal(run->add_err[0].field, "amount");
	assert_int_equal(run->history, 0);
	assert_int_equal(run->nleft, 0);
	assert_int_equal(run->n, 3);
	assert_string_equal(run->d[0].id, "A1");
	assert_string_equal(run->d[1].id, "A1");
	assert_string_equal(run->d[2].id, "");
	assert_int_equal(run->d[0].amount, 1500000);
	assert_int_equal(run->d[1].amount, 2000000);
	assert_int_equal(run->d[2].has_amount, 0);
	assert_int_equal(run->d[0].line, 2);
	assert_int_equal(run->d[1].line, 3);
	assert_int_equal(run->d[2].line, 5);
	assert_true(run->d[0].has_rec && run->d[2].has_rec);
	assert_int_equal(run->d[0].stage, -1);
	assert_int_equal(run->d[0].keylen, 3);
	assert_memory_equal(run->d[0].key, "ann", 3);
	assert_memory_equal(run->d[1].key, "bob", 3);
	assert_memory_equal(run->d[2].key, "cy", 2);
	assert_int_equal(run->nfold_err, 0);
	assert_int_equal(run->finish_rc, 0);
	free(run);
}

/* A snapshot as of a time: what existed, what had closed, what is unknown. */
static void
test_snapshot_as_of(void **state)
{
	static const char text[] = "id,stage,created_at,close_date,closed_at\n"
	    "A,won,2026-01-01,2026-01-10,\n"		/* closed by T */
	    "B,won,2026-01-01,2026-02-10,\n"		/* closed after T */
	    "C,lost,2026-01-01,2026-01-20,2026-02-03T10:00:00Z\n" /* after */
	    "D,proposal,2026-01-05,2026-03-01,\n"	/* open */
	    "E,won,2026-02-05,2026-02-10,\n"		/* created after T */
	    "F,won,2026-01-01,,\n"			/* no close time */
	    "G,won,,2026-02-01,\n";			/* closed at T: in */
	struct run *run = run_opts(text, SP_NEED_AMOUNT, NULL, T_2026_02_01,
	    0, NULL);
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->n, 3);
	assert_string_equal(run->d[0].id, "A");
	assert_string_equal(run->d[1].id, "D");
	assert_string_equal(run->d[2].id, "G");
	assert_int_equal(run->nleft, 4);
	assert_string_equal(run->left[0], "B");
	assert_int_equal(run->left_why[0], SP_LEFT_CLOSED_AFTER);
	assert_string_equal(run->left[1], "C");
	assert_int_equal(run->left_why[1], SP_LEFT_CLOSED_AFTER);
	assert_string_equal(run->left[2], "E");
	assert_int_equal(run->left_why[2], SP_LEFT_CREATED_AFTER);
	assert_string_equal(run->left[3], "F");
	assert_int_equal(run->left_why[3], SP_LEFT_NO_CLOSE_TIME);
	free(run);

	/* SP_NEED_AS_OF_OPEN: B and C handed on as open, stage unknown */
	run = run_opts(text, SP_NEED_AMOUNT | SP_NEED_AS_OF_OPEN, NULL,
	    T_2026_02_01, 0, NULL);
	assert_no_errors(run);
	assert_int_equal(run->n, 5);
	assert_int_equal(run->nleft, 2);
	g = deal(run, "B");
	assert_int_equal(g->kind, SP_OPEN);
	assert_int_equal(g->stage, -1);
	assert_int_equal(g->max_stage, -1);
	assert_false(g->has_closed);
	assert_true(g->as_of_open);
	g = deal(run, "C");
	assert_int_equal(g->kind, SP_OPEN);
	assert_true(g->as_of_open);
	g = deal(run, "A");
	assert_int_equal(g->kind, SP_WON);
	assert_false(g->as_of_open);
	free(run);

	/* without as_of: every deal as in the export */
	run = run_opts(text, SP_NEED_AMOUNT, NULL, 0, 0, NULL);
	assert_int_equal(run->n, 7);
	assert_int_equal(run->nleft, 0);
	free(run);
}

/* ---- histories ------------------------------------------------------ */

static void
test_history_out_of_order(void **state)
{
	struct run *run = run_deals("id,at,stage,amount\n"
	    "D1,2026-01-10,discovery,200\n"
	    "D1,2026-01-01,qualification,100\n"
	    "D1,2026-01-20,proposal,\n",
	    SP_NEED_AMOUNT | SP_NEED_CREATED | SP_NEED_CLOSED);
	static const int st[] = { QUAL, DISC, PROP };
	static const int64_t at[] = { T_2026_01_01, T_2026_01_10,
		T_2026_01_20 };
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->history, 1);
	assert_int_equal(run->n, 1);
	g = &run->d[0];
	assert_string_equal(g->id, "D1");
	assert_path(g, st, at, 3);
	assert_int_equal(g->stage, PROP);
	assert_int_equal(g->kind, SP_OPEN);
	/* the amount with the latest at, not the last one read */
	assert_true(g->has_amount);
	assert_int_equal(g->amount, 200000000);
	assert_true(g->has_created);
	assert_int_equal(g->created_at, T_2026_01_01);
	assert_false(g->has_closed);
	assert_int_equal(g->max_stage, PROP);
	assert_int_equal(g->lost_stage, -1);
	assert_false(g->has_rec);
	assert_string_equal(g->file, "t.in");
	assert_int_equal(g->line, 4);	/* the id's last record */
	free(run);
}

static void
test_history_ties(void **state)
{
	struct run *run = run_deals("id,at,stage\n"
	    "A,2026-01-01,qualification\n"
	    "B,2026-01-01,discovery\n"
	    "A,2026-01-01,discovery\n"
	    "B,2026-01-01,qualification\n", 0);
	static const int qd[] = { QUAL, DISC }, dq[] = { DISC, QUAL };
	static const int64_t at[] = { T_2026_01_01, T_2026_01_01 };

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->n, 2);
	assert_string_equal(run->d[0].id, "A");
	assert_path(deal(run, "A"), qd, at, 2);
	assert_int_equal(deal(run, "A")->stage, DISC);
	assert_path(deal(run, "B"), dq, at, 2);
	assert_int_equal(deal(run, "B")->stage, QUAL);
	assert_int_equal(deal(run, "B")->max_stage, DISC);
	free(run);
}

/*
 * n records of one id: pairs sharing one day, pairs in falling time order,
 * each pair qualification then discovery.  Sorted by time with input
 * order breaking ties, the path alternates q, d, q, d ...
 */
static void
assert_many_ties(size_t n)
{
	char *text = malloc(64 * n + 32), *p = text;
	int st[MAXPATH];
	int64_t at[MAXPATH];
	struct run *run;
	size_t k;

	assert_true(n % 2 == 0 && n <= MAXPATH && n <= 56);
	p += sprintf(p, "id,at,stage\n");
	for (k = 0; k < n; k++) {
		int day = 1 + (int)((n - 1 - k) / 2);
		p += sprintf(p, "M,2026-01-%02d,%s\n", day,
		    k % 2 == 0 ? "qualification" : "discovery");
	}
	for (k = 0; k < n; k++) {
		st[k] = k % 2 == 0 ? QUAL : DISC;
		at[k] = T_2026_01_01 + (int64_t)(k / 2) * DAY;
	}
	run = run_deals(text, 0);
	assert_no_errors(run);
	assert_int_equal(run->n, 1);
	assert_path(&run->d[0], st, at, n);
	assert_int_equal(run->d[0].stage, DISC);
	assert_int_equal(run->d[0].line, (long)n + 1);
	free(run);
	free(text);
}

static void
test_history_many_ties(void **state)
{
	(void)state;
	assert_many_ties(20);	/* a short path */
	assert_many_ties(56);	/* a long one */
}

static void
test_history_repeats_merged(void **state)
{
	struct run *run = run_deals("id,at,stage\n"
	    "E,2026-01-01,qualification\n"
	    "E,2026-01-05,qualification\n"
	    "E,2026-01-15,discovery\n"
	    "E,2026-01-10,discovery\n"
	    "E,2026-01-20,Qualification\n", 0);
	static const int st[] = { QUAL, DISC, QUAL };
	static const int64_t at[] = { T_2026_01_01, T_2026_01_10,
		T_2026_01_20 };

	(void)state;
	assert_no_errors(run);
	/* a stage repeated in a row is one visit, entered the first time */
	assert_path(&run->d[0], st, at, 3);
	assert_int_equal(run->d[0].stage, QUAL);
	assert_int_equal(run->d[0].max_stage, DISC);
	free(run);
}

/*
 * Ids that arrive sorted need no id table until one does not: then every
 * earlier id must still be found.  "A", "AB", then D01..D50
 * (qualification on day 1, discovery on day 2), all ascending; then out of
 * order: D07 again (proposal, day 9), "A" again (a prefix of a later id),
 * a new C9 (before D50), D50 again, a new E1.
 */
static void
test_history_sorted_then_not(void **state)
{
	char text[4096], *p = text;
	struct run *run;
	int k;
	static const int qd[] = { QUAL, DISC }, qdp[] = { QUAL, DISC, PROP };
	static const int q[] = { QUAL }, qp[] = { QUAL, PROP };
	static const int64_t at2[] = { T_2026_01_01, T_2026_01_01 + DAY };
	static const int64_t at3[] = { T_2026_01_01, T_2026_01_01 + DAY,
		T_2026_01_01 + 8 * DAY };
	static const int64_t at1[] = { T_2026_01_01 };
	static const int64_t atp[] = { T_2026_01_01, T_2026_01_01 + 8 * DAY };

	(void)state;
	p += sprintf(p, "id,at,stage\nA,2026-01-01,qualification\n"
	    "AB,2026-01-01,qualification\n");
	for (k = 1; k <= 50; k++)
		p += sprintf(p, "D%02d,2026-01-01,qualification\n"
		    "D%02d,2026-01-02,discovery\n", k, k);
	p += sprintf(p, "D07,2026-01-09,proposal\n"
	    "A,2026-01-09,proposal\n"
	    "C9,2026-01-01,qualification\n"
	    "D50,2026-01-09,proposal\n"
	    "E1,2026-01-01,qualification\n");
	run = run_deals(text, 0);
	assert_no_errors(run);
	/* A, AB, D01..D50, C9, E1: each once */
	assert_int_equal(run->n, 2 + 50 + 2);
	assert_path(deal(run, "D07"), qdp, at3, 3);
	assert_path(deal(run, "D50"), qdp, at3, 3);
	assert_path(deal(run, "D08"), qd, at2, 2);
	assert_path(deal(run, "A"), qp, atp, 2);
	assert_path(deal(run, "AB"), q, at1, 1);
	assert_path(deal(run, "C9"), q, at1, 1);
	assert_path(deal(run, "E1"), q, at1, 1);
	/* header, A, AB, 100 records of D01..D50, then D07's proposal */
	assert_int_equal(deal(run, "D07")->line, 104);
	free(run);
}

static void
test_history_latest_wins(void **state)
{
	struct run *run = run_deals("id,at,stage,amount,currency,probability\n"
	    "F,2026-01-10,qualification,300,USD,10\n"
	    "F,2026-01-20,discovery,,,\n"
	    "F,2026-01-05,,100,EUR,50\n"
	    "F,2026-01-10,,400,,\n",
	    SP_NEED_AMOUNT | SP_NEED_CREATED | SP_NEED_PROB);
	static const int st[] = { QUAL, DISC };
	static const int64_t at[] = { T_2026_01_10, T_2026_01_20 };
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	g = &run->d[0];
	assert_path(g, st, at, 2);
	/* equal at: the later record wins; an earlier at never does */
	assert_int_equal(g->amount, 400000000);
	assert_string_equal(g->currency, "USD");
	assert_true(g->has_prob);
	assert_int_equal(g->prob_bp, 1000);
	/* created: the first at, though read third and without a stage */
	assert_int_equal(g->created_at, T_2026_01_05);
	assert_int_equal(g->line, 5);
	free(run);
}

static void
test_history_created_field(void **state)
{
	struct run *run = run_deals("id,at,stage,created_at\n"
	    "G,2026-01-10,qualification,\n"
	    "G,2026-01-15,discovery,2025-12-01\n"
	    "H,2026-01-10,qualification,\n",
	    SP_NEED_CREATED);

	(void)state;
	assert_no_errors(run);
	assert_true(deal(run, "G")->has_created);
	assert_int_equal(deal(run, "G")->created_at, T_2025_12_01);
	assert_true(deal(run, "H")->has_created);
	assert_int_equal(deal(run, "H")->created_at, T_2026_01_10);
	free(run);
}

static void
test_history_closed_at(void **state)
{
	struct run *run = run_deals("id,at,stage,closed_at\n"
	    /* entered won: closed then */
	    "W1,2026-01-01,qualification,\n"
	    "W1,2026-02-01,won,\n"
	    /* closed_at given with the close */
	    "W2,2026-01-01,qualification,\n"
	    "W2,2026-02-01,won,2026-01-31T12:00:00Z\n"
	    /* reopened and won again: the old closed_at no longer counts */
	    "W3,2026-01-01,qualification,\n"
	    "W3,2026-02-01,won,2026-02-01T09:00:00Z\n"
	    "W3,2026-02-10,negotiation,\n"
	    "W3,2026-03-01,won,\n"
	    /* reopened and won again with a new closed_at */
	    "W4,2026-01-01,qualification,\n"
	    "W4,2026-02-01,won,2026-02-01T09:00:00Z\n"
	    "W4,2026-02-10,negotiation,\n"
	    "W4,2026-03-01,won,2026-03-02T08:00:00Z\n"
	    /* a correction after the close counts */
	    "W5,2026-01-01,qualification,\n"
	    "W5,2026-02-01,won,\n"
	    "W5,2026-02-05,,2026-01-31T12:00:00Z\n"
	    /* lost */
	    "W6,2026-01-01,qualification,\n"
	    "W6,2026-02-10,lost,\n"
	    /* reopened and still open */
	    "W7,2026-01-01,qualification,\n"
	    "W7,2026-02-01,won,2026-02-01T09:00:00Z\n"
	    "W7,2026-02-10,negotiation,\n",
	    SP_NEED_CREATED | SP_NEED_CLOSED);
	static const int st3[] = { QUAL, WON, NEGO, WON };
	static const int64_t at3[] = { T_2026_01_01, T_2026_02_01,
		T_2026_02_10, T_2026_03_01 };
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->n, 7);
	g = deal(run, "W1");
	assert_int_equal(g->kind, SP_WON);
	assert_true(g->has_closed);
	assert_int_equal(g->closed_at, T_2026_02_01);
	assert_int_equal(deal(run, "W2")->closed_at, T_2026_01_31_12);
	g = deal(run, "W3");
	assert_path(g, st3, at3, 4);
	assert_int_equal(g->kind, SP_WON);
	assert_int_equal(g->max_stage, NEGO);
	assert_int_equal(g->closed_at, T_2026_03_01);
	assert_int_equal(deal(run, "W4")->closed_at, T_2026_03_02_08);
	assert_int_equal(deal(run, "W5")->closed_at, T_2026_01_31_12);
	g = deal(run, "W6");
	assert_int_equal(g->kind, SP_LOST);
	assert_int_equal(g->closed_at, T_2026_02_10);
	g = deal(run, "W7");
	assert_int_equal(g->kind, SP_OPEN);
	assert_false(g->has_closed);
	free(run);
}

static void
test_history_lost_stage(void **state)
{
	struct run *run = run_deals("id,at,stage,lost_stage\n"
	    "L1,2026-01-01,qualification,\n"
	    "L1,2026-01-05,discovery,\n"
	    "L1,2026-01-10,proposal,\n"
	    "L1,2026-01-20,lost,\n"
	    /* backwards before the loss: the last open stage, not the max */
	    "L2,2026-01-01,qualification,\n"
	    "L2,2026-01-05,proposal,\n"
	    "L2,2026-01-10,discovery,\n"
	    "L2,2026-01-20,lost,\n"
	    /* the field wins over the path */
	    "L3,2026-01-01,qualification,\n"
	    "L3,2026-01-20,lost,negotiation\n"
	    /* lost straight away */
	    "L4,2026-01-20,lost,\n"
	    /* lost, then reopened: open */
	    "L5,2026-01-01,qualification,\n"
	    "L5,2026-01-05,lost,\n"
	    "L5,2026-01-10,discovery,\n", 0);

	(void)state;
	assert_no_errors(run);
	assert_int_equal(deal(run, "L1")->lost_stage, PROP);
	assert_int_equal(deal(run, "L1")->max_stage, PROP);
	assert_int_equal(deal(run, "L2")->lost_stage, DISC);
	assert_int_equal(deal(run, "L2")->max_stage, PROP);
	assert_int_equal(deal(run, "L3")->lost_stage, NEGO);
	assert_int_equal(deal(run, "L3")->max_stage, QUAL);
	assert_int_equal(deal(run, "L4")->lost_stage, -1);
	assert_int_equal(deal(run, "L4")->max_stage, -1);
	assert_int_equal(deal(run, "L4")->kind, SP_LOST);
	assert_int_equal(deal(run, "L5")->kind, SP_OPEN);
	assert_int_equal(deal(run, "L5")->lost_stage, -1);
	assert_int_equal(deal(run, "L5")->max_stage, DISC);
	free(run);
}

/* SP_NEED_FROM: each deal as of from beside the deal as of the end. */
static void
test_history_then(void **state)
{
	struct run *run;
	const struct got *g;

	(void)state;
	run_from = T_2026_01_10;
	run = run_opts("id,at,stage,amount,currency,close_date\n"
	    "D1,2026-01-01,qualification,100,EUR,2026-02-01\n"
	    "D1,2026-01-10,discovery,200,,\n"	/* at == from: then */
	    "D1,2026-01-20,proposal,300,USD,2026-03-01\n"
	    "D2,2026-01-20,qualification,5,EUR,\n"
	    "D3,2026-01-01,won,7,EUR,2026-01-01\n"
	    "D3,2026-01-15,qualification,,,\n"
	    "D3,2026-01-20,lost,,,\n"
	    "D4,2026-01-01,lost,9,EUR,2026-01-01\n"
	    "D4,2026-01-15,,10,,\n",
	    SP_NEED_AMOUNT | SP_NEED_CLOSE_DATE | SP_NEED_FROM, NULL, 0, 0,
	    NULL);
	run_from = 0;
	assert_no_errors(run);
	assert_int_equal(run->n, 4);
	g = deal(run, "D1");
	assert_true(g->has_then);
	assert_true(g->then.exists);
	assert_int_equal(g->then.stage, DISC);
	assert_int_equal(g->then.kind, SP_OPEN);
	assert_int_equal(g->then.amount, 200000000);
	assert_string_equal(g->then_currency, "EUR");
	assert_true(g->then.has_close_date);
	assert_int_equal(g->then.close_date, T_2026_02_01);
	assert_int_equal(g->then.value, sp_money_of_micro(200000000));
	assert_false(g->then.reopened);
	assert_int_equal(g->stage, PROP);
	assert_int_equal(g->amount, 300000000);
	assert_string_equal(g->currency, "USD");
	assert_int_equal(g->close_date, T_2026_03_01);
	g = deal(run, "D2");		/* created after from */
	assert_true(g->has_then);
	assert_false(g->then.exists);
	g = deal(run, "D3");		/* won then, open between, lost now */
	assert_int_equal(g->then.kind, SP_WON);
	assert_true(g->then.reopened);
	assert_int_equal(g->kind, SP_LOST);
	g = deal(run, "D4");		/* lost both times: not reopened */
	assert_int_equal(g->then.kind, SP_LOST);
	assert_false(g->then.reopened);
	assert_int_equal(g->then.amount, 9000000);
	assert_int_equal(g->amount, 10000000);
	free(run);
}

/* SP_NEED_FROM over two snapshots (sp_deals_opts.pair_old). */
static void
test_pair_then(void **state)
{
	char dir[] = "/tmp/test_deal.XXXXXX", oldp[64], newp[64];
	char *paths[3];
	struct run *run;
	const struct got *g;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(oldp, sizeof(oldp), "%s/old.csv", dir);
	snprintf(newp, sizeof(newp), "%s/new.csv", dir);
	assert_non_null(fp = fopen(oldp, "w"));
	fputs("id,stage,amount,close_date\n"
	    "A,qualification,100,2026-02-01\n"
	    "B,won,50,2026-01-05\n"
	    "C,lost,60,2026-01-05\n"
	    "E,discovery,1,2026-02-01\n", fp);
	fclose(fp);
	assert_non_null(fp = fopen(newp, "w"));
	fputs("id,stage,amount,close_date\n"
	    "A,proposal,120,2026-02-01\n"
	    "B,discovery,50,2026-03-01\n"
	    "C,lost,60,2026-01-05\n"
	    "D,qualification,10,2026-02-01\n"
	    "D,qualification,10,2026-02-01\n", fp);
	fclose(fp);
	paths[0] = oldp;
	paths[1] = newp;
	paths[2] = NULL;
	run_paths = paths;
	run_pair_old = oldp;
	run = run_opts(NULL, SP_NEED_AMOUNT | SP_NEED_CLOSE_DATE |
	    SP_NEED_FROM, NULL, T_2026_02_10, 0, NULL);
	run_paths = NULL;
	run_pair_old = NULL;
	/* D listed twice in the new snapshot */
	assert_int_equal(run->nadd_err, 1);
	assert_int_equal(run->add_line[0], 6);
	assert_string_equal(run->add_err[0].field, "id");
	assert_non_null(strstr(run->add_err[0].msg, "line 5"));
	assert_int_equal(run->n, 5);
	g = deal(run, "A");
	assert_true(g->then.exists);
	assert_int_equal(g->then.stage, QUAL);
	assert_int_equal(g->then.amount, 100000000);
	assert_int_equal(g->stage, PROP);
	assert_int_equal(g->amount, 120000000);
	assert_int_equal(g->created_at, T_2026_02_10);
	g = deal(run, "B");		/* won then, open now */
	assert_int_equal(g->then.kind, SP_WON);
	assert_true(g->then.reopened);
	g = deal(run, "C");		/* lost both times, unchanged */
	assert_false(g->then.reopened);
	g = deal(run, "D");
	assert_false(g->then.exists);
	g = deal(run, "E");		/* only in the old one: unchanged */
	assert_int_equal(g->then.stage, DISC);
	assert_int_equal(g->stage, DISC);
	assert_true(g->then.gone);
	assert_false(deal(run, "A")->then.gone);
	free(run);
	/* SP_NEED_ALL: which values the new snapshot changed (slots in the
	   order deal.c asks the reader for them: id 0, at 1, stage 2,
	   amount 3, currency 4, created_at 5, closed_at 6, close_date 7) */
	run_paths = paths;
	run_pair_old = oldp;
	run = run_opts(NULL, SP_NEED_AMOUNT | SP_NEED_CLOSE_DATE |
	    SP_NEED_FROM | SP_NEED_ALL, NULL, T_2026_02_10, 0, NULL);
	run_paths = NULL;
	run_pair_old = NULL;
	assert_int_equal(run->n, 5);
	assert_int_equal(deal(run, "A")->changed, 1u << 2 | 1u << 3);
	assert_int_equal(deal(run, "B")->changed, 1u << 2 | 1u << 7);
	assert_int_equal(deal(run, "C")->changed, 0);
	assert_int_equal(deal(run, "D")->changed,
	    1u << 0 | 1u << 2 | 1u << 3 | 1u << 7);
	assert_int_equal(deal(run, "E")->changed, 0);
	free(run);
	unlink(oldp);
	unlink(newp);
	rmdir(dir);
}

static void
test_history_as_of(void **state)
{
	struct run *run = run_opts("id,at,stage,amount\n"
	    "D1,2026-01-01,qualification,100\n"
	    "D2,2026-01-20,qualification,5\n"
	    "D1,2026-01-10,discovery,200\n"
	    "D1,2026-01-20,proposal,300\n"
	    "D3,2026-01-01,qualification,1\n"
	    "D3,2026-01-15,won,2\n",
	    SP_NEED_AMOUNT | SP_NEED_CLOSED, NULL, T_2026_01_15, 0, NULL);
	static const int st[] = { QUAL, DISC };
	static const int64_t at[] = { T_2026_01_01, T_2026_01_10 };
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	/* D2 did not exist yet */
	assert_int_equal(run->n, 2);
	assert_string_equal(run->d[0].id, "D1");
	assert_string_equal(run->d[1].id, "D3");
	g = deal(run, "D1");
	assert_path(g, st, at, 2);
	assert_int_equal(g->stage, DISC);
	assert_int_equal(g->amount, 200000000);
	assert_int_equal(g->line, 4);	/* the last record it kept */
	g = deal(run, "D3");		/* at == --as-of is included */
	assert_int_equal(g->kind, SP_WON);
	assert_int_equal(g->closed_at, T_2026_01_15);
	assert_int_equal(g->amount, 2000000);
	free(run);
}

static void
test_history_group_key(void **state)
{
	struct run *run = run_opts("id,at,stage,owner,region\n"
	    "K1,2026-01-01,qualification,A,East\n"
	    "K1,2026-01-10,discovery,B,\n"
	    "K1,2026-01-05,,C,West\n"
	    "K1,2026-01-20,,,\n"
	    "K2,2026-01-01,qualification,,North\n",
	    0, "owner,region", 0, 0, NULL);
	const struct got *g;

	(void)state;
	assert_no_errors(run);
	g = deal(run, "K1");
	/* latest value of each field, empty meaning unchanged */
	assert_int_equal(g->keylen, 6);
	assert_memory_equal(g->key, "B\0West", 6);
	g = deal(run, "K2");
	assert_int_equal(g->keylen, 6);
	assert_memory_equal(g->key, "\0North", 6);
	free(run);
}

static void
test_first_appearance_order(void **state)
{
	struct run *run = run_deals("id,at,stage\n"
	    "Z,2026-01-10,qualification\n"
	    "A,2026-01-01,qualification\n"
	    "M,2026-01-05,qualification\n"
	    "A,2026-01-20,won\n", 0);

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->n, 3);
	assert_string_equal(run->d[0].id, "Z");
	assert_string_equal(run->d[1].id, "A");
	assert_string_equal(run->d[2].id, "M");
	free(run);
}

/* ---- parts of one history, folded each on its own (--threads) ------- */

/* A deal source over text (name: its file name), deals to run. */
static sp_deals *
part_open(const char *text, const char *name, struct run *run,
    sp_reader **rdp, sp_stages *st)
{
	sp_read_opts ro;
	sp_deals_opts o;
	sp_rec *r = sp_rec_new();
	sp_deals *ds;
	sp_error e;
	int k;

	memset(&ro, 0, sizeof(ro));
	assert_non_null(*rdp = sp_reader_open_mem(text, strlen(text), name,
	    &ro, &e));
	memset(&o, 0, sizeof(o));
	o.need = SP_NEED_AMOUNT | SP_NEED_ALL;
	o.fn = collect;
	o.ctx = run;
	assert_non_null(ds = sp_deals_new(*rdp, st, &o));
	while ((k = sp_reader_next(*rdp, r, &e)) != 0) {
		assert_int_equal(k, 1);
		assert_int_equal(sp_deals_add(ds, r, &e), 0);
	}
	sp_rec_free(r);
	return ds;
}

static void
test_parts_split(void **state)
{
	/* a's last deal (A2) goes on in b: b's records are the later ones,
	   so of A2's two records at 01-05 b's wins (proposal after
	   discovery, its amount), and its path is sorted across both */
	static const char a_text[] = "id,at,stage,amount\n"
	    "A1,2026-01-01,qualification,100\n"
	    "A2,2026-01-02,qualification,200\n"
	    "A2,2026-01-05,discovery,\n";
	static const char b_text[] = "id,at,stage,amount\n"
	    "A2,2026-01-05,proposal,250\n"
	    "A2,2026-01-03,discovery,\n"
	    "B1,2026-01-04,qualification,50\n";
	static const int st2[] = { QUAL, DISC, PROP };
	static const int64_t at2[] = { T_2026_01_01 + DAY,
		T_2026_01_01 + 2 * DAY, T_2026_01_01 + 4 * DAY };
	struct run *run = calloc(1, sizeof(*run));
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_reader *ra, *rb, *rc;
	sp_deals *a, *b, *c;
	sp_error e;
	const struct got *g;

	(void)state;
	assert_non_null(run);
	a = part_open(a_text, "a", run, &ra, st);
	b = part_open(b_text, "b", run, &rb, st);
	assert_int_equal(sp_deals_follows(a, b), 1);
	assert_int_equal(sp_deals_follows(b, a), -1);
	assert_int_equal(sp_deals_fields_union(a, b), 0);
	assert_int_equal(sp_deals_fields_copy(b, a), 0);
	assert_int_equal(sp_deals_take_first(a, b, &e), 0);
	assert_int_equal(sp_deals_count(a), 2);
	assert_int_equal(sp_deals_count(b), 1);
	assert_int_equal(sp_deals_follows(a, b), 0);
	sp_deals_set_seq(b, sp_deals_count(a));
	assert_int_equal(sp_deals_finish(a, NULL, NULL, &e), 0);
	assert_int_equal(sp_deals_finish(b, NULL, NULL, &e), 0);
	assert_int_equal(run->n, 3);
	assert_string_equal(run->d[0].id, "A1");
	assert_int_equal(run->d[0].seq, 0);
	g = &run->d[1];
	assert_string_equal(g->id, "A2");
	assert_int_equal(g->seq, 1);
	assert_path(g, st2, at2, 3);
	assert_int_equal(g->amount, 250000000);
	assert_string_equal(g->file, "b");	/* its last record */
	assert_int_equal(g->line, 3);
	assert_int_equal(g->nfields, 4);
	assert_string_equal(run->d[2].id, "B1");
	assert_int_equal(run->d[2].seq, 2);
	assert_int_equal(run->d[2].amount, 50000000);

	/* a part whose ids are not sorted, or whose slots mean other
	   names: fold them merged */
	c = part_open("id,at,stage,owner\nC2,2026-01-01,qualification,x\n"
	    "C1,2026-01-02,qualification,y\n", "c", run, &rc, st);
	assert_int_equal(sp_deals_follows(b, c), -1);
	assert_int_equal(sp_deals_fields_union(a, c), 1);
	sp_deals_free(a);
	sp_deals_free(b);
	sp_deals_free(c);
	sp_reader_close(ra);
	sp_reader_close(rb);
	sp_reader_close(rc);
	sp_stages_free(st);
	free(run);
}

static void
test_mixing(void **state)
{
	struct run *run;

	(void)state;
	run = run_deals("id,at,stage\nD1,2026-01-01,qualification\n"
	    "D2,,won\nD1,2026-01-05,won\n", 0);
	assert_int_equal(run->history, 1);
	assert_int_equal(run->nadd_err, 1);
	assert_int_equal(run->add_line[0], 3);
	assert_string_equal(run->add_err[0].field, "at");
	assert_int_equal(run->n, 1);
	assert_int_equal(run->d[0].kind, SP_WON);
	free(run);

	run = run_deals("id,at,stage\nD1,,won\nD2,2026-01-01,qualification\n"
	    "D3,,lost\n", 0);
	assert_int_equal(run->history, 0);
	assert_int_equal(run->nadd_err, 1);
	assert_int_equal(run->add_line[0], 3);
	assert_string_equal(run->add_err[0].field, "at");
	assert_int_equal(run->n, 2);
	free(run);
}

static void
test_history_errors(void **state)
{
	struct run *run = run_deals("id,at,stage,amount\n"
	    ",2026-01-01,qualification,1\n"
	    "D1,2026-13-01,qualification,1\n"
	    "D1,2026-01-01,closing,1\n"
	    "D1,2026-01-01,qualification,x\n"
	    "D1,2026-01-05,discovery,2\n",
	    SP_NEED_AMOUNT);
	static const char *const field[] = { "id", "at", "stage", "amount" };
	static const int st[] = { DISC };
	static const int64_t at[] = { T_2026_01_05 };
	size_t i;

	(void)state;
	assert_int_equal(run->nadd_err, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(run->add_line[i], (long)i + 2);
		if (strcmp(run->add_err[i].field, field[i]) != 0)
			fail_msg("line %zu: field '%s', want '%s' (%s)", i + 2,
			    run->add_err[i].field, field[i],
			    run->add_err[i].msg);
	}
	/* bad records leave nothing behind */
	assert_int_equal(run->n, 1);
	assert_path(&run->d[0], st, at, 1);
	assert_int_equal(run->d[0].amount, 2000000);
	free(run);
}

static void
test_history_without_stage(void **state)
{
	static const char text[] = "id,at,stage,amount\n"
	    "N1,2026-01-01,,5\n"
	    "D1,2026-01-01,won,6\n";
	struct run *run;

	(void)state;
	/* with bad(): reported, and the fold goes on */
	run = run_deals(text, SP_NEED_AMOUNT);
	assert_int_equal(run->nadd_err, 0);
	assert_int_equal(run->finish_rc, 0);
	assert_int_equal(run->nfold_err, 1);
	assert_string_equal(run->fold_err[0].field, "stage");
	assert_non_null(strstr(run->fold_err[0].msg, "N1"));
	assert_string_equal(run->fold_err[0].file, "t.in");
	assert_int_equal(run->fold_err[0].line, 2);
	assert_int_equal(run->n, 1);
	assert_string_equal(run->d[0].id, "D1");
	free(run);
	/* without: the fold stops there */
	run = run_opts(text, SP_NEED_AMOUNT, NULL, 0, 1, NULL);
	assert_int_equal(run->finish_rc, -1);
	assert_string_equal(run->fold_err[0].field, "stage");
	assert_int_equal(run->n, 0);
	free(run);
}

static void
test_history_fn_refuses(void **state)
{
	struct run *run = run_opts("id,at,stage\n"
	    "D1,2026-01-01,won\nD2,2026-01-01,lost\n", 0, NULL, 0, 0, "D1");

	(void)state;
	assert_int_equal(run->finish_rc, 0);
	assert_int_equal(run->nfold_err, 1);
	assert_non_null(strstr(run->fold_err[0].msg, "refused D1"));
	assert_int_equal(run->n, 1);
	assert_string_equal(run->d[0].id, "D2");
	free(run);
}

static void
test_history_jsonl(void **state)
{
	struct run *run = run_deals(
	    "{\"id\":\"J1\",\"at\":\"2026-01-10\",\"stage\":\"discovery\","
	    "\"amount\":12.5}\n"
	    "{\"id\":\"J1\",\"at\":\"2026-01-01\",\"stage\":\"qualification\","
	    "\"amount\":null}\n"
	    "{\"id\":\"J1\",\"at\":\"2026-02-01\",\"stage\":\"won\"}\n",
	    SP_NEED_AMOUNT | SP_NEED_CLOSED);
	static const int st[] = { QUAL, DISC, WON };
	static const int64_t at[] = { T_2026_01_01, T_2026_01_10,
		T_2026_02_01 };

	(void)state;
	assert_no_errors(run);
	assert_path(&run->d[0], st, at, 3);
	assert_int_equal(run->d[0].amount, 12500000);
	assert_int_equal(run->d[0].closed_at, T_2026_02_01);
	assert_int_equal(run->d[0].line, 3);
	free(run);
}

/* seq: the place of an id's first record in the input (not of its
 * earliest at), every id counted: what pipeline sorts by, and what the
 * shards of --shard agree on. */
static void
test_history_seq(void **state)
{
	struct run *run = run_deals(
	    "id,at,stage\n"
	    "S-B,2026-01-10,discovery\n"
	    "S-A,2026-01-01,qualification\n"
	    "S-B,2026-01-01,qualification\n"
	    "S-C,2026-01-05,qualification\n"
	    "S-A,2026-01-15,won\n",
	    SP_NEED_ALL);

	(void)state;
	assert_no_errors(run);
	assert_int_equal(run->n, 3);
	assert_string_equal(run->d[0].id, "S-B");
	assert_int_equal(run->d[0].seq, 0);
	assert_string_equal(run->d[1].id, "S-A");
	assert_int_equal(run->d[1].seq, 1);
	assert_string_equal(run->d[2].id, "S-C");
	assert_int_equal(run->d[2].seq, 2);
	assert_int_equal(run->d[2].nfields, 3);
	free(run);
}

/* ---- --probability-scale and its doubt (issue 9 item 7) ---- */

/* Read text with scale; *doubt gets sp_deals_prob_doubt, returns the first
 * deal's prob_bp (-1: none or refused). */
static int
scaled(const char *text, int scale, int *doubt, int *nbad)
{
	struct run *run = calloc(1, sizeof(*run));
	sp_read_opts ro;
	sp_deals_opts o;
	sp_reader *rd;
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_deals *ds;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int bp;

	assert_non_null(run);
	memset(&ro, 0, sizeof(ro));
	assert_non_null(rd = sp_reader_open_mem(text, strlen(text), "t.in", &ro,
	    &e));
	memset(&o, 0, sizeof(o));
	o.need = SP_NEED_PROB;
	o.fn = collect;
	o.ctx = run;
	o.prob_scale = scale;
	assert_non_null(ds = sp_deals_new(rd, st, &o));
	*nbad = 0;
	while (sp_reader_next(rd, r, &e) == 1)
		*nbad += sp_deals_add(ds, r, &e) < 0;
	sp_deals_finish(ds, NULL, NULL, &e);
	*doubt = sp_deals_prob_doubt(ds);
	bp = run->n > 0 && run->d[0].has_prob ? run->d[0].prob_bp : -1;
	sp_deals_free(ds);
	sp_rec_free(r);
	sp_reader_close(rd);
	sp_stages_free(st);
	free(run);
	return bp;
}

static void
test_prob_scale(void **state)
{
	int doubt, nbad;

	(void)state;
	/* scale 100 (0 means 100): 0.4 is 0.4%, and all <= 1: a doubt */
	assert_int_equal(scaled("id,stage,probability\n1,won,0.4\n2,won,1\n",
	    0, &doubt, &nbad), 40);
	assert_int_equal(doubt, 1);
	assert_int_equal(scaled("id,stage,probability\n1,won,0.4\n", 100,
	    &doubt, &nbad), 40);
	assert_int_equal(doubt, 1);
	/* one above 1%: no doubt; all 0, or none at all: no doubt */
	scaled("id,stage,probability\n1,won,0.4\n2,won,1.01\n", 100, &doubt,
	    &nbad);
	assert_int_equal(doubt, 0);
	scaled("id,stage,probability\n1,won,0\n2,won,0%\n", 100, &doubt,
	    &nbad);
	assert_int_equal(doubt, 0);
	scaled("id,stage,probability\n1,won,\n", 100, &doubt, &nbad);
	assert_int_equal(doubt, 0);
	/* scale 1: 0.4 is 40%, never a doubt; 40 is refused */
	assert_int_equal(scaled("id,stage,probability\n1,won,0.4\n", 1,
	    &doubt, &nbad), 4000);
	assert_int_equal(doubt, 0);
	assert_int_equal(nbad, 0);
	assert_int_equal(scaled("id,stage,probability\n1,won,40\n", 1,
	    &doubt, &nbad), -1);
	assert_int_equal(nbad, 1);
}

/*
 * sp_deal_state_at, the as-of rule: a snapshot deal by its created_at and
 * close time, a history deal by its path (a deal won, reopened and won
 * again is open in between); and sp_deal_cycle, created to closed.
 */
static void
test_state_at(void **state)
{
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_visit path[] = { { T_2026_01_05, QUAL }, { T_2026_01_15, WON },
	    { T_2026_01_20, PROP }, { T_2026_02_05, WON } };
	sp_deal d;
	int64_t secs = 0;

	(void)state;
	assert_non_null(st);
	memset(&d, 0, sizeof(d));
	/* snapshot, won 2026-02-01, created 2026-01-01 */
	d.kind = SP_WON;
	d.has_created = 1;
	d.created_at = T_2026_01_01;
	d.has_closed = 1;
	d.closed_at = T_2026_02_01;
	assert_int_equal(sp_deal_state_at(st, &d, T_2025_12_01),
	    -SP_LEFT_CREATED_AFTER);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_01_01), SP_OPEN);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_02_01 - 1), SP_OPEN);
	/* a close at exactly t is at or before it */
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_02_01), SP_WON);
	assert_null(sp_deal_cycle(&d, &secs));
	assert_true(secs == 31 * DAY);
	/* closed with no close time: unknown */
	d.has_closed = 0;
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_03_01),
	    -SP_LEFT_NO_CLOSE_TIME);
	assert_string_equal(sp_deal_cycle(&d, &secs), "no close time");
	/* open, no created_at: open at any time */
	d.kind = SP_OPEN;
	d.has_created = 0;
	assert_int_equal(sp_deal_state_at(st, &d, T_2025_12_01), SP_OPEN);
	assert_string_equal(sp_deal_cycle(&d, &secs), "no created_at");
	/* history: the stage of the last visit at or before t */
	memset(&d, 0, sizeof(d));
	d.kind = SP_WON;
	d.has_created = 1;
	d.created_at = T_2026_01_05;
	d.has_closed = 1;
	d.closed_at = T_2026_02_05;
	d.path = path;
	d.npath = 4;
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_01_01),
	    -SP_LEFT_CREATED_AFTER);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_01_10), SP_OPEN);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_01_15), SP_WON);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_02_01), SP_OPEN);
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_02_10), SP_WON);
	/* created_at before the first visit: open until then */
	d.created_at = T_2026_01_01;
	assert_int_equal(sp_deal_state_at(st, &d, T_2026_01_01), SP_OPEN);
	sp_stages_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_state_at),
		cmocka_unit_test(test_snapshot_lost_stage),
		cmocka_unit_test(test_snapshot_need),
		cmocka_unit_test(test_snapshot_errors),
		cmocka_unit_test(test_snapshot_fn_refuses),
		cmocka_unit_test(test_snapshot_repeated_id),
		cmocka_unit_test(test_snapshot_as_of),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_history_out_of_order),
		cmocka_unit_test(test_history_ties),
		cmocka_unit_test(test_history_many_ties),
		cmocka_unit_test(test_history_repeats_merged),
		cmocka_unit_test(test_history_sorted_then_not),
		cmocka_unit_test(test_history_latest_wins),
		cmocka_unit_test(test_history_created_field),
		cmocka_unit_test(test_history_closed_at),
		cmocka_unit_test(test_history_lost_stage),
		cmocka_unit_test(test_history_as_of),
		cmocka_unit_test(test_history_group_key),
		cmocka_unit_test(test_first_appearance_order),
		cmocka_unit_test(test_parts_split),
		cmocka_unit_test(test_mixing),
		cmocka_unit_test(test_history_errors),
		cmocka_unit_test(test_history_without_stage),
		cmocka_unit_test(test_history_fn_refuses),
		cmocka_unit_test(test_history_jsonl),
		cmocka_unit_test(test_prob_scale),
		cmocka_unit_test(test_history_seq),
		cmocka_unit_test(test_history_then),
		cmocka_unit_test(test_pair_then),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
