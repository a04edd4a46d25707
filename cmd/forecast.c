/*
 * forecast: what a period will bring in, by several methods side by side
 * (weighted pipeline, forecast categories, the stage conversion seen in
 * the history, the trend of past bookings, Monte Carlo), with quotas; and
 * forecast precision: frozen calls in a ledger, their scores, backtests.
 *
 * The methods are one aggregate on the engine (agg.h): a state per group
 * and target period, the group's own part (stage conversion, wins, slips)
 * in the state of its first period; every method is computed from the
 * merged states in rows().  --calibration is a second aggregate.  --score
 * and --backtest run passes over the input as of several times into the
 * same states (the ledger side is lib/fcledger.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/model.h"
#include "salespipe/quota.h"
#include "salespipe/stats.h"
#include "../lib/fcledger.h"

static const char usage[] =
    "usage: forecast [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                [--period period] [--every month|quarter|year]\n"
    "                [--fiscal-start month] [--now time] [--as-of time]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--rates file] [--currency code]\n"
    "                [--explain]\n"
    "                [--method name[,name...]] [--calibration]\n"
    "                [--min-sample n] [--quota file] [--trials n] [--seed n]\n"
    "                [--mc-prob weighted|history] [--season n]\n"
    "                [--record ledger] [--score ledger] [--backtest]\n"
    "                [--horizon days[,days...]] [--spreadsheet-safe]\n"
    "                [--partial | --merge] [--shard k/n] [--threads n]\n"
    "                [--progress | --no-progress]\n"
    "                [--probability-scale 1|100] [file ...]\n";

enum { M_WEIGHTED = 1, M_CATEGORY = 2, M_HISTORY = 4, M_TREND = 8, M_MC = 16 };
static const char *const method_names[] = { "weighted", "category",
	"history", "trend", "montecarlo" };
#define NMETHODS 5

enum { OPT_METHOD = 1, OPT_CALIBRATION, OPT_MIN_SAMPLE, OPT_QUOTA,
	OPT_TRIALS, OPT_SEED, OPT_MC_PROB, OPT_SEASON, OPT_RECORD, OPT_SCORE,
	OPT_BACKTEST, OPT_HORIZON };

#define NEED (SP_NEED_AMOUNT | SP_NEED_CLOSED | SP_NEED_CLOSE_DATE | \
	SP_NEED_PROB | SP_NEED_CATEGORY | SP_NEED_PUSHES | SP_NEED_CREATED)

/* An open deal of the period, for the simulation. */
struct mcdeal {
	char *id;
	int64_t micro;			/* its amount in micro-units */
	int stage, bp;
};

/*
 * The state of one group in one target period.  The period's part: the
 * deals won in it and the deals open with a close_date in it.  The
 * group's part (is_group, in the state of the group's first period): its
 * closed deals and wins, whatever their period.
 */
struct fst {
	sp_money_sum booked, pipeline;
	sp_money wnum;			/* sum of exact amount x basis points */
	int64_t open_n;
	sp_money_sum cat[SP_FC_OMITTED + 1];	/* open amounts by category */
	sp_money *stage_amt;		/* open amounts by stage */
	struct mcdeal *mc;
	size_t mc_n, mc_cap;
	int noprob;			/* the lowest stage without a
					   probability an open deal took 0%
					   from, or -1 */
	int is_group;
	char *key;			/* the group's key (messages) */
	size_t keylen;
	int64_t *closed_s, *won_s;	/* closed deals that reached stage s */
	sp_money_sum won_amt, closed_amt;
	sp_money_sum wins_cur;		/* the currency of the wins (trend) */
	int64_t *wins;			/* (close time, micro-units) of won
					   deals */
	size_t nwins, wincap;
	int64_t slip_n, slip_pushed;	/* won deals with a close_date */
	int64_t as_of_closed;		/* snapshot deals closed after --as-of */
};

/* --calibration's state: a group's closed deals by stage reached. */
struct cst {
	int64_t *closed_s, *won_s;
};

struct fc {
	sp_cli *c;
	size_t ns;			/* stages */
	int methods;
	int calibration;
	long min_sample;
	const char *quota_path, *record_path, *score_path;
	long trials;
	unsigned long long seed;
	int mc_history;
	int season;
	int backtest;
	long *horizons;
	size_t nhorizons;
	char *spool;			/* stdin, kept for several passes */
	size_t spooln;
	int64_t t;			/* the time the deals are taken at */
	sp_period *per;			/* target periods */
	size_t np;
	/* quotas */
	sp_quotas q;			/* --quota (lib/quota.c) */
	/* the whole run, made from every group before the first row */
	int prepared;
	int64_t *all_closed_s, *all_won_s;
	int64_t slip_n, slip_pushed;
	sp_groups *gmap;		/* group key -> its struct fst * */
	/*
	 * rows() needs the whole merged table before its first row (rates
	 * over every group, the trend checks and the --as-of refusal that
	 * fail the run before any output): the engine's prepare hook
	 * (fst_prepare) lists its states here.  See prepare_engine.
	 */
	struct fst **live;
	size_t nlive, livecap;
	/* warned after the output */
	int noprob_weighted, noprob_fallback;
	char **stage_names;		/* copies: cli_finish frees the list */
	size_t nnoprob;			/* stages the file gave no probability */
	/* --record: the calls, written once the output is out */
	FILE *lfp;
	char *lbuf;
	size_t llen;
	sp_writer *lw;
	/* the passes of --score and --backtest */
	int report;			/* report bad records (first pass) */
	int history;			/* the input is a history */
	int64_t first_t;		/* earliest created_at seen */
	sp_groups *pass;		/* group key -> struct pgroup * */
	int as_of_given;		/* --as-of */
};

static sp_cli *cli;

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		cli_oom(cli);
	return p;
}

/* The aggregate's state operations. */

static void
fst_init(void *ctx, void *p)
{
	struct fc *x = ctx;
	struct fst *s = p;
	int k;

	memset(s, 0, sizeof(*s));
	sp_money_sum_init(&s->booked);
	sp_money_sum_init(&s->pipeline);
	for (k = 0; k <= SP_FC_OMITTED; k++)
		sp_money_sum_init(&s->cat[k]);
	sp_money_sum_init(&s->won_amt);
	sp_money_sum_init(&s->closed_amt);
	sp_money_sum_init(&s->wins_cur);
	s->noprob = -1;
	s->stage_amt = xcalloc(x->ns, sizeof(*s->stage_amt));
	s->closed_s = xcalloc(x->ns, sizeof(*s->closed_s));
	s->won_s = xcalloc(x->ns, sizeof(*s->won_s));
}

static void
fst_fini(void *ctx, void *p)
{
	struct fst *s = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < s->mc_n; i++)
		free(s->mc[i].id);
	free(s->mc);
	free(s->stage_amt);
	free(s->closed_s);
	free(s->won_s);
	free(s->wins);
	free(s->key);
	s->mc = NULL;
	s->stage_amt = NULL;
	s->closed_s = s->won_s = s->wins = NULL;
	s->key = NULL;
	s->mc_n = s->nwins = 0;
}

static int
grow(void **v, size_t *cap, size_t n, size_t size, sp_error *e)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if (c < n + 1)
		c = n + 1;
	if ((p = realloc(*v, c * size)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

static void
noprob_min(int *into, int s)
{
	if (s >= 0 && (*into < 0 || s < *into))
		*into = s;
}

static int
fst_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct fc *x = ctx;
	struct fst *a = into, *b = from;
	size_t s;
	int k;

	if (sp_money_sum_merge(&a->booked, &b->booked, e) < 0 ||
	    sp_money_sum_merge(&a->pipeline, &b->pipeline, e) < 0 ||
	    sp_money_sum_merge(&a->won_amt, &b->won_amt, e) < 0 ||
	    sp_money_sum_merge(&a->closed_amt, &b->closed_amt, e) < 0 ||
	    sp_money_sum_merge(&a->wins_cur, &b->wins_cur, e) < 0)
		return -1;
	for (k = 0; k <= SP_FC_OMITTED; k++)
		if (sp_money_sum_merge(&a->cat[k], &b->cat[k], e) < 0)
			return -1;
	if (sp_money_add(&a->wnum, b->wnum) < 0)
		return sp_err_set(e, "amount", "sum of amounts overflows");
	for (s = 0; s < x->ns; s++) {
		if (sp_money_add(&a->stage_amt[s], b->stage_amt[s]) < 0)
			return sp_err_set(e, "amount", "sum of amounts "
			    "overflows");
		a->closed_s[s] += b->closed_s[s];
		a->won_s[s] += b->won_s[s];
	}
	a->open_n += b->open_n;
	noprob_min(&a->noprob, b->noprob);
	/* the deals move: from is fini'd after */
	if (grow((void **)&a->mc, &a->mc_cap, a->mc_n + b->mc_n,
	    sizeof(*a->mc), e) < 0)
		return -1;
	if (b->mc_n > 0)
		memcpy(a->mc + a->mc_n, b->mc, b->mc_n * sizeof(*b->mc));
	a->mc_n += b->mc_n;
	b->mc_n = 0;
	if (grow((void **)&a->wins, &a->wincap, a->nwins + b->nwins,
	    2 * sizeof(*a->wins), e) < 0)
		return -1;
	if (b->nwins > 0)
		memcpy(a->wins + 2 * a->nwins, b->wins, 2 * b->nwins *
		    sizeof(*b->wins));
	a->nwins += b->nwins;
	a->slip_n += b->slip_n;
	a->slip_pushed += b->slip_pushed;
	a->as_of_closed += b->as_of_closed;
	if (b->is_group) {
		a->is_group = 1;
		if (a->key == NULL) {
			a->key = b->key;
			a->keylen = b->keylen;
			b->key = NULL;
		}
	}
	return 0;
}

static json_t *
sum_save(sp_money v)
{
	sp_money_sum s;

	sp_money_sum_init(&s);
	s.v = v;
	return sp_agg_money_save(&s);
}

static int
sum_load(sp_money *v, const json_t *j, sp_error *e)
{
	sp_money_sum s;

	sp_money_sum_init(&s);
	if (sp_agg_money_load(&s, j, e) < 0)
		return -1;
	*v = s.v;
	return 0;
}

/* The stage list's names: a partial's stage indexes are of this list. */
static json_t *
stages_save(const struct fc *x)
{
	json_t *a = json_array();
	size_t s;

	for (s = 0; a != NULL && s < x->ns; s++)
		if (json_array_append_new(a, json_string(
		    x->stage_names[s])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
stages_check(const struct fc *x, const json_t *v, sp_error *e)
{
	size_t s;

	if ((v = sp_agg_member(v, "stages", e)) == NULL)
		return -1;
	if (!json_is_array(v) || json_array_size(v) != x->ns)
		goto other;
	for (s = 0; s < x->ns; s++)
		if (!json_is_string(json_array_get(v, s)) ||
		    strcmp(json_string_value(json_array_get(v, s)),
		    x->stage_names[s]) != 0)
			goto other;
	return 0;
other:
	return sp_err_set(e, "stages", "the partial was made with another "
	    "stage list: merge with the stages it was made with");
}

static json_t *
counts_save(const int64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
counts_load(int64_t *v, size_t n, const json_t *o, const char *what,
    sp_error *e)
{
	const json_t *a;
	size_t i;

	if ((a = sp_agg_member(o, what, e)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != n)
		return sp_err_set(e, what, "not a list of %zu counts", n);
	for (i = 0; i < n; i++)
		if (sp_agg_int_load(&v[i], json_array_get(a, i), what, e) < 0)
			return -1;
	return 0;
}

/* The group's key as its -g values (a key joins them with NUL bytes,
 * which a JSON line does not carry). */
static json_t *
key_save(const struct fc *x, const struct fst *s)
{
	json_t *a = json_array();
	const char **parts = calloc(x->c->nby + 1, sizeof(*parts));
	char *buf = NULL;
	size_t cap = 0, i;

	if (a == NULL || parts == NULL || sp_group_key_split(s->key ?
	    s->key : "", s->keylen, x->c->nby, parts, &buf, &cap) < 0)
		goto oom;
	for (i = 0; i < x->c->nby; i++)
		if (json_array_append_new(a, json_string(parts[i])) < 0)
			goto oom;
	free(parts);
	free(buf);
	return a;
oom:
	json_decref(a);
	free(parts);
	free(buf);
	return NULL;
}

static int
key_load(const struct fc *x, struct fst *s, const json_t *a, sp_error *e)
{
	size_t i, n, len = 0;
	char *k;

	if (!json_is_array(a) || json_array_size(a) != x->c->nby)
		return sp_err_set(e, "key", "not a list of %zu -g values",
		    x->c->nby);
	for (i = 0; i < x->c->nby; i++) {
		if (!json_is_string(json_array_get(a, i)))
			return sp_err_set(e, "key", "not a list of strings");
		len += json_string_length(json_array_get(a, i)) + 1;
	}
	if ((s->key = k = malloc(len + 1)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (i = 0, len = 0; i < x->c->nby; i++) {
		if (i > 0)
			k[len++] = SP_KEY_SEP;
		n = json_string_length(json_array_get(a, i));
		memcpy(k + len, json_string_value(json_array_get(a, i)), n);
		len += n;
	}
	k[len] = '\0';
	s->keylen = len;
	return 0;
}

static json_t *
fst_save(void *ctx, const void *p)
{
	struct fc *x = ctx;
	const struct fst *s = p;
	json_t *o = json_object(), *cat = json_array(), *sa = json_array(),
	    *mc = json_array(), *g;
	size_t i;
	int k, bad = o == NULL || cat == NULL || sa == NULL || mc == NULL;

	for (k = 0; !bad && k <= SP_FC_OMITTED; k++)
		bad |= json_array_append_new(cat, sp_agg_money_save(
		    &s->cat[k])) < 0;
	for (i = 0; !bad && i < x->ns; i++)
		bad |= json_array_append_new(sa, sum_save(s->stage_amt[i])) < 0;
	for (i = 0; !bad && i < s->mc_n; i++)
		bad |= json_array_append_new(mc, json_pack("[s,I,i,i]",
		    s->mc[i].id, (json_int_t)s->mc[i].micro, s->mc[i].stage,
		    s->mc[i].bp)) < 0;
	if (bad || json_object_set_new(o, "stages", stages_save(x)) < 0 ||
	    json_object_set_new(o, "booked", sp_agg_money_save(&s->booked)) <
	    0 || json_object_set_new(o, "pipeline", sp_agg_money_save(
	    &s->pipeline)) < 0 ||
	    json_object_set_new(o, "wnum", sum_save(s->wnum)) < 0 ||
	    json_object_set_new(o, "open_n", json_integer(s->open_n)) < 0 ||
	    json_object_set_new(o, "noprob", json_integer(s->noprob)) < 0)
		goto oom;
	json_object_set_new(o, "cat", cat);
	json_object_set_new(o, "stage_amt", sa);
	json_object_set_new(o, "mc", mc);
	cat = sa = mc = NULL;
	if (!s->is_group)
		return o;
	if ((g = json_object()) == NULL ||
	    json_object_set_new(o, "group", g) < 0)
		goto oom;
	if ((mc = json_array()) == NULL)
		goto oom;
	for (i = 0; i < 2 * s->nwins; i++)
		if (json_array_append_new(mc, json_integer(s->wins[i])) < 0)
			goto oom;
	json_object_set_new(g, "wins", mc);
	mc = NULL;
	if (json_object_set_new(g, "key", key_save(x, s)) < 0 ||
	    json_object_set_new(g, "closed_s", counts_save(s->closed_s,
	    x->ns)) < 0 ||
	    json_object_set_new(g, "won_s", counts_save(s->won_s, x->ns)) < 0 ||
	    json_object_set_new(g, "won_amt", sp_agg_money_save(
	    &s->won_amt)) < 0 ||
	    json_object_set_new(g, "closed_amt", sp_agg_money_save(
	    &s->closed_amt)) < 0 ||
	    json_object_set_new(g, "wins_cur", sp_agg_money_save(
	    &s->wins_cur)) < 0 ||
	    json_object_set_new(g, "slip_n", json_integer(s->slip_n)) < 0 ||
	    json_object_set_new(g, "slip_pushed", json_integer(
	    s->slip_pushed)) < 0 ||
	    json_object_set_new(g, "as_of_closed", json_integer(
	    s->as_of_closed)) < 0)
		goto oom;
	return o;
oom:
	json_decref(o);
	json_decref(cat);
	json_decref(sa);
	json_decref(mc);
	return NULL;
}

static int
fst_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct fc *x = ctx;
	struct fst *s = p;
	const json_t *a, *g, *m;
	int64_t n;
	size_t i;
	int k;

	if (stages_check(x, v, e) < 0 ||
	    (a = sp_agg_member(v, "booked", e)) == NULL ||
	    sp_agg_money_load(&s->booked, a, e) < 0 ||
	    (a = sp_agg_member(v, "pipeline", e)) == NULL ||
	    sp_agg_money_load(&s->pipeline, a, e) < 0 ||
	    (a = sp_agg_member(v, "wnum", e)) == NULL ||
	    sum_load(&s->wnum, a, e) < 0 ||
	    (a = sp_agg_member(v, "open_n", e)) == NULL ||
	    sp_agg_int_load(&s->open_n, a, "open_n", e) < 0 ||
	    (a = sp_agg_member(v, "noprob", e)) == NULL ||
	    sp_agg_int_load(&n, a, "noprob", e) < 0)
		return -1;
	if (n < -1 || n >= (int64_t)x->ns)
		return sp_err_set(e, "noprob", "not a stage");
	s->noprob = (int)n;
	if ((a = sp_agg_member(v, "cat", e)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != SP_FC_OMITTED + 1)
		return sp_err_set(e, "cat", "not a list of categories");
	for (k = 0; k <= SP_FC_OMITTED; k++)
		if (sp_agg_money_load(&s->cat[k], json_array_get(a, k), e) < 0)
			return -1;
	if ((a = sp_agg_member(v, "stage_amt", e)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != x->ns)
		return sp_err_set(e, "stage_amt", "not a list by stage");
	for (i = 0; i < x->ns; i++)
		if (sum_load(&s->stage_amt[i], json_array_get(a, i), e) < 0)
			return -1;
	if ((a = sp_agg_member(v, "mc", e)) == NULL)
		return -1;
	if (!json_is_array(a))
		return sp_err_set(e, "mc", "not a list of deals");
	for (i = 0; i < json_array_size(a); i++) {
		const char *id;
		json_int_t micro;
		int st, bp;
		if (json_unpack(json_array_get(a, i), "[s,I,i,i]", &id, &micro,
		    &st, &bp) < 0 || st < 0 || st >= (int)x->ns || bp < 0 ||
		    bp > 10000)
			return sp_err_set(e, "mc", "deal %zu is not [id, "
			    "micro-units, stage, basis points]", i + 1);
		if (grow((void **)&s->mc, &s->mc_cap, s->mc_n, sizeof(*s->mc),
		    e) < 0)
			return -1;
		if ((s->mc[s->mc_n].id = strdup(id)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		s->mc[s->mc_n].micro = micro;
		s->mc[s->mc_n].stage = st;
		s->mc[s->mc_n].bp = bp;
		s->mc_n++;
	}
	if ((g = json_object_get(v, "group")) == NULL)
		return 0;
	s->is_group = 1;
	if ((a = sp_agg_member(g, "key", e)) == NULL)
		return -1;
	if (key_load(x, s, a, e) < 0)
		return -1;
	if (counts_load(s->closed_s, x->ns, g, "closed_s", e) < 0 ||
	    counts_load(s->won_s, x->ns, g, "won_s", e) < 0 ||
	    (a = sp_agg_member(g, "won_amt", e)) == NULL ||
	    sp_agg_money_load(&s->won_amt, a, e) < 0 ||
	    (a = sp_agg_member(g, "closed_amt", e)) == NULL ||
	    sp_agg_money_load(&s->closed_amt, a, e) < 0 ||
	    (a = sp_agg_member(g, "wins_cur", e)) == NULL ||
	    sp_agg_money_load(&s->wins_cur, a, e) < 0 ||
	    (a = sp_agg_member(g, "slip_n", e)) == NULL ||
	    sp_agg_int_load(&s->slip_n, a, "slip_n", e) < 0 ||
	    (a = sp_agg_member(g, "slip_pushed", e)) == NULL ||
	    sp_agg_int_load(&s->slip_pushed, a, "slip_pushed", e) < 0 ||
	    (a = sp_agg_member(g, "as_of_closed", e)) == NULL ||
	    sp_agg_int_load(&s->as_of_closed, a, "as_of_closed", e) < 0 ||
	    (m = sp_agg_member(g, "wins", e)) == NULL)
		return -1;
	if (!json_is_array(m) || json_array_size(m) % 2 != 0)
		return sp_err_set(e, "wins", "not a list of (time, amount)");
	s->nwins = json_array_size(m) / 2;
	if (grow((void **)&s->wins, &s->wincap, s->nwins, 2 * sizeof(*s->wins),
	    e) < 0)
		return -1;
	for (i = 0; i < 2 * s->nwins; i++)
		if (sp_agg_int_load(&s->wins[i], json_array_get(m, i), "wins",
		    e) < 0)
			return -1;
	return 0;
}

/* A closed deal into its group's part: the stages it reached; with
 * amounts (for --quota's win rate by value, which needs one currency per
 * group) when sums is set; a win's time and amount for the trend. */
static int
add_closed(struct fc *x, struct fst *g, const sp_deal *d, int sums,
    sp_error *e)
{
	const sp_stages *st = x->c->stages;
	int top = sp_deal_reached(st, d), s, won = d->kind == SP_WON;
	size_t cl = strlen(d->currency);

	for (s = 0; s < (int)st->n; s++) {
		if (st->v[s].kind != SP_OPEN || (!won && s > top) ||
		    !sp_stages_same_pipeline(st, s, d->stage))
			continue;
		g->closed_s[s]++;
		g->won_s[s] += won;
	}
	if (sums && d->has_amount) {
		sp_money_sum c = g->closed_amt;
		if (sp_money_sum_add(&c, d->value, d->currency, cl, e) < 0 ||
		    (won && sp_money_sum_add(&g->won_amt, d->value, d->currency,
		    cl, e) < 0))
			return -1;
		g->closed_amt = c;
	}
	if (won && d->has_closed) {
		if (grow((void **)&g->wins, &g->wincap, g->nwins,
		    2 * sizeof(*g->wins), e) < 0)
			return -1;
		g->wins[2 * g->nwins] = d->closed_at;
		g->wins[2 * g->nwins + 1] = 0;
		if (d->has_amount && (sp_money_to_micro(d->value,
		    &g->wins[2 * g->nwins + 1]) < 0 || sp_money_sum_add(
		    &g->wins_cur, 0, d->currency, cl, e) < 0))
			return sp_err_set(e, "amount", "out of range");
		g->nwins++;
	}
	if (d->kind == SP_WON && d->has_close_date) {
		g->slip_n++;
		g->slip_pushed += d->has_pushes && d->pushes > 0;
	}
	return 0;
}

static int
add_open(struct fc *x, struct fst *p, const sp_deal *d, sp_error *e)
{
	const sp_stages *st = x->c->stages;
	int bp = sp_deal_prob_bp(st, d), cat = d->category >= 0 ? d->category :
	    st->v[d->stage].category;
	sp_money amount = d->has_amount ? d->value : 0;
	int64_t micro;
	size_t cl = strlen(d->currency);
	sp_money_sum pl = p->pipeline, ct = p->cat[cat];
	sp_money wn = p->wnum, sa = p->stage_amt[d->stage];

	if (sp_money_sum_add(&pl, amount, d->currency, cl, e) < 0 ||
	    sp_money_sum_add(&ct, amount, d->currency, cl, e) < 0)
		return -1;
	/* the weighted sum stays exact: amount x basis points, rounded
	   once when printed */
	if (sp_money_add_weighted(&wn, amount, bp) < 0 ||
	    sp_money_add(&sa, amount) < 0 ||
	    sp_money_to_micro(amount, &micro) < 0)
		return sp_err_set(e, "amount", "sum of amounts overflows");
	if (grow((void **)&p->mc, &p->mc_cap, p->mc_n, sizeof(*p->mc), e) < 0)
		return -1;
	if ((p->mc[p->mc_n].id = strdup(d->id)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	p->mc[p->mc_n].micro = micro;
	p->mc[p->mc_n].stage = d->stage;
	p->mc[p->mc_n].bp = bp;
	p->mc_n++;
	p->pipeline = pl;
	p->cat[cat] = ct;
	p->wnum = wn;
	p->open_n++;
	p->stage_amt[d->stage] = sa;
	if (!d->has_prob && (st->v[d->stage].flags & SP_STAGE_NO_PROB))
		noprob_min(&p->noprob, d->stage);
	return 0;
}

/* The state of a group's first period holds the group's part. */
static int
mark_group(struct fst *g, const sp_deal *d, sp_error *e)
{
	if (g->is_group)
		return 0;
	g->is_group = 1;
	if ((g->key = malloc(d->keylen + 1)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (d->keylen > 0)
		memcpy(g->key, d->key, d->keylen);
	g->key[d->keylen] = '\0';
	g->keylen = d->keylen;
	return 0;
}

/* Where a deal's states are: the engine's run, or a pass of our own. */
typedef struct fst *(*state_fn)(void *arg, const sp_deal *d, size_t i);

/* One deal into the states of its group: state(arg, d, i) is the state
 * of target period i. */
static int
add_core(struct fc *x, const sp_deal *d, state_fn state, void *arg,
    sp_error *e)
{
	sp_cli *c = x->c;
	struct fst *g = state(arg, d, 0), *s;
	char why[160], a[48];
	size_t i;

	if (mark_group(g, d, e) < 0)
		return -1;
	if (d->kind != SP_OPEN && add_closed(x, g, d, x->quota_path != NULL,
	    e) < 0)
		return -1;
	for (i = 0; i < x->np; i++) {
		const sp_period *p = &x->per[i];
		s = state(arg, d, i);
		if (d->kind == SP_WON && d->has_closed &&
		    sp_period_contains(p, d->closed_at)) {
			if (sp_money_sum_add(&s->booked, d->has_amount ?
			    d->value : 0, d->currency, strlen(d->currency),
			    e) < 0)
				return -1;
			if (c->explain && x->report) {
				snprintf(why, sizeof(why), "won in the period "
				    "%s", d->has_amount ? sp_money_format_exact(
				    d->value, a) : "0.00");
				cli_explain(c, d, p->label, "booked", "counted",
				    why);
			}
		} else if (d->kind == SP_OPEN && d->has_close_date &&
		    sp_period_contains(p, d->close_date)) {
			if (add_open(x, s, d, e) < 0)
				return -1;
			if (c->explain && x->report) {
				int bp = sp_deal_prob_bp(c->stages, d);
				snprintf(why, sizeof(why), "open in %s, closing "
				    "in the period: %s x %d.%02d%%",
				    c->stages->v[d->stage].name, d->has_amount ?
				    sp_money_format_exact(d->value, a) : "0.00",
				    bp / 100, bp % 100);
				cli_explain(c, d, p->label, "open", "counted",
				    why);
			}
		} else if (c->explain && x->report)
			cli_explain(c, d, p->label, "open", "excluded",
			    d->kind != SP_OPEN ? (d->kind == SP_WON ?
			    "won outside the period" : "lost") :
			    d->has_close_date ? "close_date outside the period" :
			    "open without a close_date");
	}
	return 0;
}

/*
 * ENGINE GAP: cli_agg_deals folds as of --as-of only, and forecast takes
 * the deals as of now without it (a history's records after now are not
 * yet true; a snapshot's close or created_at after now is a data error,
 * left out and warned).  forecast_run sets has_as_of for the fold, and
 * the first deal puts it back (cli_as_of_warn words its warnings by it).
 * A snapshot deal closed after the time comes as_of_open
 * (SP_NEED_AS_OF_OPEN): after --as-of, the methods that read the open
 * pipeline refuse the run (counted, see prepare_engine), the others
 * leave it out exactly; after now it is left out and warned.  1: the
 * deal counts.
 */
static int
admit(struct fc *x, const sp_deal *d, int refuse)
{
	sp_cli *c = x->c;

	if (!x->as_of_given)
		__atomic_store_n(&c->has_as_of, 0, __ATOMIC_RELAXED);
	if (!d->as_of_open)
		return 1;
	if (!x->as_of_given) {
		cli_left_out(c, d, SP_LEFT_CLOSED_AFTER, c->cal.now);
		return 0;
	}
	if (refuse)
		return 1;
	if (c->explain)
		cli_explain(c, d, "", "as_of", "excluded", "closed after "
		    "the as-of time: open then, at a stage the snapshot "
		    "does not record");
	return 0;
}

/* --as-of on a snapshot: the methods that read the open pipeline. */
static int
refusing(const struct fc *x)
{
	return x->as_of_given && (x->methods & ~M_TREND) != 0;
}

static struct fst *
engine_state(void *arg, const sp_deal *d, size_t i)
{
	struct fc *x = cli_agg_ctx(arg);
	const char *label;
	struct fst *s = cli_agg_at(arg, d, x->per[i].start, &label);

	if (s == NULL)		/* a target period is in the --period */
		abort();
	return s;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct fc *x = cli_agg_ctx(run);
	struct fst *g;

	if (!admit(x, d, refusing(x)))
		return 0;
	if (d->as_of_open) {
		g = engine_state(run, d, 0);
		g->as_of_closed++;
		if (x->c->explain)
			cli_explain(x->c, d, "", "as_of", "excluded", "closed "
			    "after the as-of time: open then, at a stage the "
			    "snapshot does not record");
		return mark_group(g, d, e);
	}
	return add_core(x, d, engine_state, run, e);
}

/* num / den rounded half away from zero. */
static int64_t
div_round(__int128 num, __int128 den)
{
	__int128 q;
	int neg = (num < 0) != (den < 0);

	if (num < 0)
		num = -num;
	if (den < 0)
		den = -den;
	q = (2 * num + den) / (2 * den);
	return (int64_t)(neg ? -q : q);
}

/* The observed rate of stage s for group g (won, closed), falling back to
 * every deal when g has fewer than --min-sample; 0 closed: none. */
static void
rate_of(const struct fc *x, const struct fst *g, int s, int64_t *won,
    int64_t *closed)
{
	if (g != NULL && g->closed_s[s] >= x->min_sample) {
		*won = g->won_s[s];
		*closed = g->closed_s[s];
	} else {
		*won = x->all_won_s[s];
		*closed = x->all_closed_s[s];
	}
}

/* The history method's open value: sum over stages of amount x rate,
 * exact to the 10^-15 unit (rounded there once). */
static sp_money
history_open(struct fc *x, const struct fst *g, const struct fst *p)
{
	const sp_stages *st = x->c->stages;
	sp_money whole = 0;
	long double frac = 0;
	int64_t won, closed;
	size_t s;

	for (s = 0; s < st->n; s++) {
		sp_money num, den;
		if (p->stage_amt[s] == 0)
			continue;
		rate_of(x, g, (int)s, &won, &closed);
		if (closed > 0) {
			num = p->stage_amt[s] * won;
			den = closed;
		} else {	/* no evidence: the configured probability */
			num = p->stage_amt[s] * st->v[s].prob_bp;
			den = 10000;
			if (st->v[s].flags & SP_STAGE_NO_PROB)
				noprob_min(&x->noprob_fallback, (int)s);
		}
		whole += num / den;
		frac += (long double)(num % den) / (long double)den;
	}
	return whole + (sp_money)llroundl(frac);
}

/* The --every unit of the trend: --every, else the one whose bucket is the
 * period itself; -1 when none is. */
static int
trend_unit(const struct fc *x)
{
	static const int units[] = { SP_EVERY_MONTH, SP_EVERY_QUARTER,
	    SP_EVERY_YEAR, SP_EVERY_WEEK };
	sp_period b;
	size_t i;

	if (x->c->every != SP_EVERY_NONE)
		return x->c->every;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		sp_period_bucket(x->per[0].start, units[i], &x->c->cal, &b);
		if (b.start == x->per[0].start && b.end == x->per[0].end)
			return units[i];
	}
	return -1;
}

static int
season_of(const struct fc *x, int unit)
{
	if (x->season > 0)
		return x->season;
	switch (unit) {
	case SP_EVERY_MONTH:
		return 12;
	case SP_EVERY_QUARTER:
		return 4;
	case SP_EVERY_WEEK:
		return 52;
	default:
		return 0;
	}
}

/* Wins by time, then amount: an order that does not depend on the input's
 * (or on how it was split). */
static int
cmp_win(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

struct trend_out {
	int ok;
	double f, lo, hi;
	sp_trend m;
	size_t buckets;
	char why[200];
};

/*
 * The trend forecast of period x->per[pi] for group g, which booked
 * booked in it.  The model forecasts the bucket's total Y; what the
 * period has booked by T, B, is part of it and a total is never below 0,
 * so the forecast is of max(B, 0) + max(0, Y - max(B, 0)): the model's
 * 10%, 50% and 90% points cut at max(B, 0) (a monotone map keeps
 * quantiles).
 */
static void
trend_for(struct fc *x, struct fst *g, sp_money booked, size_t pi,
    struct trend_out *o)
{
	const sp_period *p = &x->per[pi];
	double floor = booked > 0 ? (double)booked / (double)SP_MONEY_UNIT : 0;
	sp_calendar *cal = &x->c->cal;
	int unit = trend_unit(x), h;
	sp_period b, now;
	double *y = NULL;
	size_t n = 0, cap = 0, i = 0;
	int64_t t;
	__int128 sum;
	sp_error e;

	memset(o, 0, sizeof(*o));
	if (unit < 0) {
		snprintf(o->why, sizeof(o->why), "the period is not one month, "
		    "quarter, year or week: give --every");
		return;
	}
	sp_period_bucket(x->t, unit, cal, &now);
	if (p->start < now.start) {
		snprintf(o->why, sizeof(o->why), "the period starts before %s, "
		    "the bucket of the forecast's time: a trend forecasts "
		    "only from there on", now.label);
		return;
	}
	if (g->nwins > 0)
		qsort(g->wins, g->nwins, 2 * sizeof(int64_t), cmp_win);
	/* bookings per bucket, from the first win's to the last complete */
	if (g->nwins > 0)
		for (sp_period_bucket(g->wins[0], unit, cal, &b); b.start <
		    now.start; sp_period_bucket(b.end, unit, cal, &b)) {
			if (n == cap) {
				double *v;
				cap = cap ? cap * 2 : 64;
				if ((v = realloc(y, cap * sizeof(*v))) == NULL)
					cli_oom(x->c);
				y = v;
			}
			for (sum = 0; i < g->nwins && g->wins[2 * i] < b.end;
			    i++)
				sum += g->wins[2 * i + 1];
			y[n++] = (double)sum / SP_MICRO_UNIT;
		}
	o->buckets = n;
	if (n < 4) {
		snprintf(o->why, sizeof(o->why), "needs at least 4 complete "
		    "buckets of bookings before %s, has %zu", now.label, n);
		free(y);
		return;
	}
	sp_err_clear(&e);
	if (sp_trend_fit(y, n, season_of(x, unit), &o->m, &e) < 0) {
		snprintf(o->why, sizeof(o->why), "%.190s", e.msg);
		free(y);
		return;
	}
	free(y);
	/* h: the buckets from the last complete one to the period's */
	for (h = 1, t = now.start; t < p->start; h++) {
		sp_period_bucket(t, unit, cal, &b);
		t = b.end;
	}
	o->f = sp_trend_forecast(&o->m, h, &o->lo, &o->hi);
	o->f = fmax(o->f, floor);
	o->lo = fmax(o->lo, floor);
	o->hi = fmax(o->hi, floor);
	o->ok = 1;
}

/* A value in currency units (double) as two-decimal text. */
static char *
units_format(double v, char *buf)
{
	return sp_money_format_cents((int64_t)llround(v * 100.0), buf);
}

struct mc_out {
	int64_t mean, p10, p50, p90;	/* micro-units */
};

/* The simulation draws deal by deal in id order: the same draws however
 * the deals came in or were split. */
static int
cmp_mc(const void *a, const void *b)
{
	const struct mcdeal *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	if (d != 0)
		return d;
	if (x->micro != y->micro)
		return (x->micro > y->micro) - (x->micro < y->micro);
	if (x->stage != y->stage)
		return x->stage - y->stage;
	return x->bp - y->bp;
}

static void
mc_for(struct fc *x, struct fst *g, struct fst *p, struct mc_out *o)
{
	uint32_t *thr = xcalloc(p->mc_n, sizeof(*thr));
	int64_t *amt = xcalloc(p->mc_n, sizeof(*amt));
	int64_t *tot = xcalloc((size_t)x->trials, sizeof(*tot));
	double slip = x->slip_n > 0 ? (double)x->slip_pushed /
	    (double)x->slip_n : 0;
	__int128 sum = 0;
	sp_dist dist;
	sp_error e;
	size_t i;
	int64_t base;

	if (p->mc_n > 0)
		qsort(p->mc, p->mc_n, sizeof(*p->mc), cmp_mc);
	for (i = 0; i < p->mc_n; i++) {
		double pr = p->mc[i].bp / 10000.0;
		amt[i] = p->mc[i].micro;
		if (x->mc_history) {
			int64_t won, closed;
			rate_of(x, g, p->mc[i].stage, &won, &closed);
			if (closed > 0)
				pr = (double)won / (double)closed;
			else if (x->c->stages->v[p->mc[i].stage].flags &
			    SP_STAGE_NO_PROB)
				noprob_min(&x->noprob_fallback, p->mc[i].stage);
		}
		thr[i] = sp_prob_threshold(pr * (1 - slip));
	}
	sp_err_clear(&e);
	/* the simulation adds micro-units (a converted amount rounded to
	   the micro-unit): its totals are estimates anyway */
	if (sp_money_to_micro(p->booked.v, &base) < 0) {
		sp_err_set(&e, "amount", "the booked amount overflows a total");
		cli_fail(x->c, &e);
	}
	if (sp_montecarlo(amt, thr, p->mc_n, base, (size_t)x->trials, x->seed,
	    tot, &e) < 0)
		cli_fail(x->c, &e);
	sp_dist_init(&dist);
	for (i = 0; i < (size_t)x->trials; i++) {
		sum += tot[i];
		if (sp_dist_add(&dist, tot[i]) < 0)
			cli_oom(x->c);
	}
	sp_dist_finish(&dist);
	o->mean = div_round(sum, x->trials);
	o->p10 = (int64_t)llround(sp_dist_quantile(&dist, 0.10));
	o->p50 = (int64_t)llround(sp_dist_quantile(&dist, 0.50));
	o->p90 = (int64_t)llround(sp_dist_quantile(&dist, 0.90));
	sp_dist_free(&dist);
	free(thr);
	free(amt);
	free(tot);
}

/* The headline value of each method for one row (cents, rounded
 * half-to-even once from the exact value). */
struct row {
	int has[NMETHODS];
	int64_t v[NMETHODS];
};

/* The columns of the forecast rows, each with the method that gives it
 * (0: --quota); built for the run by fc_columns. */
enum { C_BOOKED, C_WEIGHTED, C_PIPELINE, C_OPEN_DEALS, C_EXPECTED,
	C_CLOSED, C_COMMIT, C_BEST_CASE, C_OPEN_PIPELINE,
	C_HISTORY, C_HISTORY_OPEN, C_CONFIGURED_OPEN, C_HISTORY_RATE,
	C_CONFIGURED_RATE,
	C_TREND, C_TREND_LOW, C_TREND_HIGH, C_TREND_MODEL, C_TREND_ALPHA,
	C_TREND_BETA, C_TREND_GAMMA, C_TREND_SEASON, C_TREND_BUCKETS,
	C_MC_MEAN, C_MC_P10, C_MC_P50, C_MC_P90, C_MC_TRIALS, C_MC_SLIP,
	C_QUOTA, C_ATTAINMENT, C_GAP, C_COVERAGE, C_COVERAGE_NEEDED,
	NCOLS };

static const struct fc_col {
	sp_agg_col col;
	int method;
} fc_cols[NCOLS] = {
	{ { "booked", SP_AGG_MONEY }, M_WEIGHTED },
	{ { "weighted", SP_AGG_MONEY }, M_WEIGHTED },
	{ { "pipeline", SP_AGG_MONEY }, M_WEIGHTED },
	{ { "open_deals", SP_AGG_COUNT }, M_WEIGHTED },
	{ { "expected_deal_value", SP_AGG_MONEY }, M_WEIGHTED },
	{ { "closed", SP_AGG_MONEY }, M_CATEGORY },
	{ { "commit", SP_AGG_MONEY }, M_CATEGORY },
	{ { "best_case", SP_AGG_MONEY }, M_CATEGORY },
	{ { "open_pipeline", SP_AGG_MONEY }, M_CATEGORY },
	{ { "history", SP_AGG_MONEY }, M_HISTORY },
	{ { "history_open", SP_AGG_MONEY }, M_HISTORY },
	{ { "configured_open", SP_AGG_MONEY }, M_HISTORY },
	{ { "history_rate", SP_AGG_RATIO }, M_HISTORY },
	{ { "configured_rate", SP_AGG_RATIO }, M_HISTORY },
	{ { "trend", SP_AGG_MONEY }, M_TREND },
	{ { "trend_low", SP_AGG_MONEY }, M_TREND },
	{ { "trend_high", SP_AGG_MONEY }, M_TREND },
	{ { "trend_model", SP_AGG_TEXT }, M_TREND },
	{ { "trend_alpha", SP_AGG_COUNT }, M_TREND },
	{ { "trend_beta", SP_AGG_COUNT }, M_TREND },
	{ { "trend_gamma", SP_AGG_COUNT }, M_TREND },
	{ { "trend_season", SP_AGG_COUNT }, M_TREND },
	{ { "trend_buckets", SP_AGG_COUNT }, M_TREND },
	{ { "mc_mean", SP_AGG_MONEY }, M_MC },
	{ { "mc_p10", SP_AGG_MONEY }, M_MC },
	{ { "mc_p50", SP_AGG_MONEY }, M_MC },
	{ { "mc_p90", SP_AGG_MONEY }, M_MC },
	{ { "mc_trials", SP_AGG_COUNT }, M_MC },
	{ { "mc_slip", SP_AGG_RATIO }, M_MC },
	{ { "quota", SP_AGG_MONEY }, 0 },
	{ { "attainment", SP_AGG_RATIO }, 0 },
	{ { "gap", SP_AGG_MONEY }, 0 },
	{ { "coverage", SP_AGG_RATIO }, 0 },
	{ { "coverage_needed", SP_AGG_RATIO }, 0 }
};

static sp_agg_col run_cols[NCOLS];
static int colat[NCOLS];	/* the column's index in run_cols, or -1 */

static size_t
fc_columns(const struct fc *x)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NCOLS; i++) {
		colat[i] = -1;
		if (fc_cols[i].method != 0 ? (x->methods & fc_cols[i].method) != 0 :
		    x->quota_path != NULL) {
			colat[i] = (int)n;
			run_cols[n++] = fc_cols[i].col;
		}
	}
	return n;
}

static void
cell(sp_agg_row *r, int col, const char *text)
{
	if (r != NULL && colat[col] >= 0)
		sp_agg_set(r, (size_t)colat[col], text);
}

/*
 * The values of one row (group part g, period state p, target period i)
 * into rv; with r, the row's cells too.
 */
static void
compute(struct fc *x, struct fst *g, struct fst *p, size_t i, struct row *rv,
    sp_agg_row *r)
{
	sp_cli *c = x->c;
	char b[48];
	int hq, cat, j;
	/* every sum of the row is exact; each printed value is rounded
	   half-to-even to the cent once, from its exact value */
	sp_money booked = p->booked.v, wopen = p->wnum;	/* x 10^4 */
	sp_money weighted = booked * 10000 + wopen, commit, best, open_all,
	    hist;
	/* a group whose amounts mix currencies has no money values */
	int mixed = p->booked.mixed || p->pipeline.mixed, trend_mixed;
	struct trend_out to;
	struct mc_out mo;

	for (cat = 0; cat <= SP_FC_OMITTED; cat++)
		mixed |= p->cat[cat].mixed;
	if (mixed && r != NULL)
		c->mixed = 1;	/* cli_finish warns */
#define MONEY(val) (mixed ? "" : sp_money_format_exact((val), b))
	memset(rv, 0, sizeof(*rv));
	rv->has[0] = !mixed;
	sp_money_to_cents(sp_money_div_even(weighted, 10000), &rv->v[0]);
	cell(r, C_BOOKED, MONEY(booked));
	cell(r, C_WEIGHTED, mixed ? "" : sp_money_format_div(weighted, 10000,
	    b));
	cell(r, C_PIPELINE, MONEY(p->pipeline.v));
	cell(r, C_OPEN_DEALS, sp_count_format(p->open_n, b));
	cell(r, C_EXPECTED, p->open_n > 0 && !mixed ? sp_money_format_div(
	    p->wnum, (sp_money)10000 * p->open_n, b) : "");
	/* an open deal marked closed is the rep's commit */
	commit = booked + p->cat[SP_FC_COMMIT].v + p->cat[SP_FC_CLOSED].v;
	best = commit + p->cat[SP_FC_BEST_CASE].v;
	open_all = p->cat[SP_FC_PIPELINE].v + p->cat[SP_FC_BEST_CASE].v +
	    p->cat[SP_FC_COMMIT].v + p->cat[SP_FC_CLOSED].v;
	rv->has[1] = !mixed;
	sp_money_to_cents(commit, &rv->v[1]);
	cell(r, C_CLOSED, MONEY(booked));
	cell(r, C_COMMIT, MONEY(commit));
	cell(r, C_BEST_CASE, MONEY(best));
	cell(r, C_OPEN_PIPELINE, MONEY(open_all));
	hist = history_open(x, g, p);
	rv->has[2] = !mixed;
	sp_money_to_cents(booked + hist, &rv->v[2]);
	cell(r, C_HISTORY, MONEY(booked + hist));
	cell(r, C_HISTORY_OPEN, MONEY(hist));
	cell(r, C_CONFIGURED_OPEN, mixed ? "" : sp_money_format_div(wopen,
	    10000, b));
	/* the rates behind them, weighted by amount */
	cell(r, C_HISTORY_RATE, mixed ? "" : sp_ratio_text_money(hist,
	    p->pipeline.v, b));
	cell(r, C_CONFIGURED_RATE, mixed ? "" : sp_ratio_text_money(wopen,
	    p->pipeline.v * 10000, b));
	if (x->methods & M_TREND) {
		trend_mixed = g->wins_cur.mixed;
		if (trend_mixed && r != NULL)
			c->mixed = 1;
		if (trend_mixed)
			memset(&to, 0, sizeof(to));
		else
			trend_for(x, g, booked, i, &to);
		rv->has[3] = to.ok;
		rv->v[3] = to.ok ? (int64_t)llround(to.f * 100) : 0;
		cell(r, C_TREND, to.ok ? units_format(to.f, b) : "");
		cell(r, C_TREND_LOW, to.ok ? units_format(to.lo, b) : "");
		cell(r, C_TREND_HIGH, to.ok ? units_format(to.hi, b) : "");
		cell(r, C_TREND_MODEL, !to.ok ? "" : to.m.model == SP_TREND_HW ?
		    "holt-winters" : "holt");
		snprintf(b, sizeof(b), "%.2f", to.m.alpha);
		cell(r, C_TREND_ALPHA, to.ok ? b : "");
		snprintf(b, sizeof(b), "%.2f", to.m.beta);
		cell(r, C_TREND_BETA, to.ok ? b : "");
		snprintf(b, sizeof(b), "%.2f", to.m.gamma);
		cell(r, C_TREND_GAMMA, to.ok && to.m.model == SP_TREND_HW ? b :
		    "");
		cell(r, C_TREND_SEASON, to.ok && to.m.model == SP_TREND_HW ?
		    sp_count_format(to.m.season, b) : "");
		cell(r, C_TREND_BUCKETS, trend_mixed ? "" :
		    sp_count_format((int64_t)to.buckets, b));
	}
	if (x->methods & M_MC) {
		if (!mixed)
			mc_for(x, g, p, &mo);
		else
			memset(&mo, 0, sizeof(mo));
		rv->has[4] = !mixed;
		sp_money_to_cents(sp_money_of_micro(mo.mean), &rv->v[4]);
		cell(r, C_MC_MEAN, MONEY(sp_money_of_micro(mo.mean)));
		cell(r, C_MC_P10, MONEY(sp_money_of_micro(mo.p10)));
		cell(r, C_MC_P50, MONEY(sp_money_of_micro(mo.p50)));
		cell(r, C_MC_P90, MONEY(sp_money_of_micro(mo.p90)));
		cell(r, C_MC_TRIALS, sp_count_format(x->trials, b));
		cell(r, C_MC_SLIP, sp_ratio_text(x->slip_pushed, x->slip_n, b));
	}
	if (x->quota_path != NULL && r != NULL) {
		sp_money q = sp_quota_of(&x->q, SP_QUOTA_OWNER, c->nby ?
		    sp_agg_row_group(r, 0) : NULL, x->per[i].start,
		    x->per[i].end, &hq), gap = q - booked;
		int wmixed = g->closed_amt.mixed || g->won_amt.mixed;
		if (wmixed)
			c->mixed = 1;
		cell(r, C_QUOTA, hq ? sp_money_format_exact(q, b) : "");
		cell(r, C_ATTAINMENT, hq && !mixed ? sp_ratio_text_money(booked,
		    q, b) : "");
		cell(r, C_GAP, hq && !mixed ? sp_money_format_exact(gap, b) : "");
		cell(r, C_COVERAGE, hq && !mixed && gap > 0 ?
		    sp_ratio_text_money(p->pipeline.v, gap, b) : "");
		cell(r, C_COVERAGE_NEEDED, wmixed ? "" : sp_ratio_text_money(
		    g->closed_amt.v, g->won_amt.v, b));
	}
#undef MONEY
	for (j = 0; j < NMETHODS; j++)
		if (!(x->methods & (1 << j)))
			rv->has[j] = 0;
	if (r != NULL)
		noprob_min(&x->noprob_weighted, p->noprob);
}

static int
cmp_group(const void *a, const void *b)
{
	const struct fst *x = *(struct fst *const *)a,
	    *y = *(struct fst *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int d = memcmp(x->key, y->key, n);

	return d != 0 ? d : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/*
 * The whole run from the groups' parts gs (n of them; sorted here): the
 * rates and slips over every deal, and the map from group key to part.
 */
static void
prepare(struct fc *x, struct fst **gs, size_t n)
{
	size_t i, s;

	free(x->all_closed_s);
	free(x->all_won_s);
	x->all_closed_s = xcalloc(x->ns, sizeof(int64_t));
	x->all_won_s = xcalloc(x->ns, sizeof(int64_t));
	x->slip_n = x->slip_pushed = 0;
	if (x->gmap != NULL)
		sp_groups_free(x->gmap, NULL);
	if ((x->gmap = sp_groups_new(sizeof(struct fst *), NULL)) == NULL)
		cli_oom(x->c);
	qsort(gs, n, sizeof(*gs), cmp_group);
	for (i = 0; i < n; i++) {
		struct fst **p = sp_groups_get(x->gmap, gs[i]->key,
		    gs[i]->keylen);
		if (p == NULL)
			cli_oom(x->c);
		*p = gs[i];
		for (s = 0; s < x->ns; s++) {
			x->all_closed_s[s] += gs[i]->closed_s[s];
			x->all_won_s[s] += gs[i]->won_s[s];
		}
		x->slip_n += gs[i]->slip_n;
		x->slip_pushed += gs[i]->slip_pushed;
	}
}

/* 0, or -1 with *e set when the trend of group g, period i cannot be made. */
static int
trend_check(struct fc *x, struct fst *g, size_t i, sp_error *e)
{
	sp_cli *c = x->c;
	struct trend_out to;
	const char **gp;
	char names[512] = "";
	size_t k, len = 0;

	trend_for(x, g, 0, i, &to);
	if (to.ok)
		return 0;
	gp = cli_group_parts(c, g->key, g->keylen, c->nby);
	for (k = 0; k < c->nby && len + 1 < sizeof(names); k++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		    "%s%s", k ? ", " : "", gp[k]);
	sp_err_clear(e);
	sp_err_set(e, NULL, "trend: %s%s%.400s%s", to.why, c->nby ?
	    " (group '" : "", names, c->nby ? "')" : "");
	return -1;
}

/*
 * Before the first row of the engine's output: the whole run from the
 * live states (see struct fc), then what fails the run before any row:
 * the --as-of refusal, a trend that cannot be made.
 */
static void
prepare_engine(struct fc *x)
{
	sp_cli *c = x->c;
	struct fst **gs = xcalloc(x->nlive, sizeof(*gs));
	size_t n = 0, i, p;
	int64_t after = 0;
	char t[32], names[80] = "";
	size_t len = 0;
	int j;
	sp_error e;

	for (i = 0; i < x->nlive; i++)
		if (x->live[i]->is_group) {
			gs[n++] = x->live[i];
			after += x->live[i]->as_of_closed;
		}
	prepare(x, gs, n);
	/*
	 * As of an --as-of time before the export, a deal closed after it
	 * was open then at an unknown stage, so the methods that read the
	 * open pipeline cannot be made: refused, pointing to a history.  The
	 * trend (past bookings only) and --calibration are exact.
	 */
	if (after > 0 && refusing(x)) {
		for (j = 0; j < NMETHODS; j++)
			if ((x->methods & (1 << j)) && j != 3)
				len += (size_t)snprintf(names + len,
				    sizeof(names) - len, "%s%s", len ? "," :
				    "", method_names[j]);
		sp_err_clear(&e);
		sp_err_set(&e, NULL, "--as-of %s: %lld deal%s of this snapshot "
		    "%s won or lost after it, so %s open then at a stage the "
		    "snapshot does not record, and --method %s cannot be made "
		    "as of then: give a history (pipeline --as-of on a "
		    "journal, or OpportunityHistory), or use --method trend "
		    "(past bookings only)", sp_time_format(c->as_of, t),
		    (long long)after, after == 1 ? "" : "s", after == 1 ?
		    "was" : "were", after == 1 ? "it was" : "they were", names);
		free(gs);
		cli_fail(c, &e);
	}
	/* a trend that cannot be made fails the run before any row */
	for (i = 0; (x->methods & M_TREND) && i < n; i++)
		for (p = 0; p < x->np; p++)
			if (trend_check(x, gs[i], p, &e) != 0) {
				free(gs);
				cli_fail(c, &e);
			}
	free(gs);
	if (x->record_path != NULL) {
		if ((x->lfp = open_memstream(&x->lbuf, &x->llen)) == NULL)
			cli_oom(c);
		x->lw = fcl_writer(c, x->lfp);
	}
	x->prepared = 1;
}

/* sp_agg.prepare: the final table's states, for prepare_engine. */
static int
list_state(void *arg, const char *key, size_t keylen, void *state)
{
	struct fc *x = arg;

	(void)key;
	(void)keylen;
	if (x->nlive == x->livecap) {
		size_t cap = x->livecap ? x->livecap * 2 : 64;
		struct fst **v = realloc(x->live, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		x->live = v;
		x->livecap = cap;
	}
	x->live[x->nlive++] = state;
	return 0;
}

static int
fst_prepare(void *ctx, sp_agg_table *t, sp_error *e)
{
	struct fc *x = ctx;

	x->nlive = 0;
	if (sp_agg_each(t, list_state, x) != 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

static int
fst_rows(void *ctx, void *state, sp_agg_row *r, sp_error *e)
{
	struct fc *x = ctx;
	sp_cli *c = x->c;
	struct fst *p = state, **gp;
	const char *label = sp_agg_row_period(r), **parts;
	char *key = NULL;
	size_t i, k, len = 0;
	struct row rv;
	int j;

	if (!x->prepared)
		prepare_engine(x);
	for (i = 0; i < x->np && strcmp(x->per[i].label, label) != 0; i++)
		;
	if (i == x->np)
		return sp_err_set(e, "period", "'%s' is not a period of this "
		    "run: merge with the --period (and --now) the partials "
		    "were made with", label);
	parts = xcalloc(c->nby + 1, sizeof(*parts));
	for (k = 0; k < c->nby; k++) {
		size_t l;
		parts[k] = sp_agg_row_group(r, k);
		l = strlen(parts[k]);
		if ((key = realloc(key, len + l + 1)) == NULL)
			cli_oom(c);
		if (k > 0)
			key[len++] = SP_KEY_SEP;
		memcpy(key + len, parts[k], l);
		len += l;
	}
	gp = sp_groups_find(x->gmap, key != NULL ? key : "", len);
	free(key);
	if (gp == NULL) {
		free(parts);
		return sp_err_set(e, "group", "a period's state without its "
		    "group's (a partial that is not forecast's)");
	}
	compute(x, *gp, p, i, &rv, r);
	for (j = 0; x->lw != NULL && j < NMETHODS; j++)
		if (rv.has[j] && fcl_row(x->lw, c, x->t, &x->per[i],
		    method_names[j], rv.v[j], parts) < 0)
			cli_oom(c);
	free(parts);
	return sp_agg_emit(r, e);
}

/* --calibration: a second aggregate, one row per group and open stage. */

enum { K_STAGE, K_CONFIGURED, K_OBSERVED, K_WON, K_CLOSED, K_SUGGESTED };

static const sp_agg_col cal_cols[] = {
	{ "stage", SP_AGG_TEXT },
	{ "configured", SP_AGG_COUNT },
	{ "observed", SP_AGG_RATIO },
	{ "won", SP_AGG_COUNT },
	{ "closed", SP_AGG_COUNT },
	{ "suggested", SP_AGG_COUNT }
};

static void
cst_init(void *ctx, void *p)
{
	struct fc *x = ctx;
	struct cst *s = p;

	s->closed_s = xcalloc(x->ns, sizeof(int64_t));
	s->won_s = xcalloc(x->ns, sizeof(int64_t));
}

static void
cst_fini(void *ctx, void *p)
{
	struct cst *s = p;

	(void)ctx;
	free(s->closed_s);
	free(s->won_s);
	s->closed_s = s->won_s = NULL;
}

static int
cst_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct fc *x = ctx;
	struct cst *a = into, *b = from;
	size_t s;

	(void)e;
	for (s = 0; s < x->ns; s++) {
		a->closed_s[s] += b->closed_s[s];
		a->won_s[s] += b->won_s[s];
	}
	return 0;
}

static json_t *
cst_save(void *ctx, const void *p)
{
	struct fc *x = ctx;
	const struct cst *s = p;

	return json_pack("{s:o,s:o,s:o}", "stages", stages_save(x),
	    "closed_s", counts_save(s->closed_s, x->ns),
	    "won_s", counts_save(s->won_s, x->ns));
}

static int
cst_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct fc *x = ctx;
	struct cst *s = p;

	if (stages_check(x, v, e) < 0 ||
	    counts_load(s->closed_s, x->ns, v, "closed_s", e) < 0 ||
	    counts_load(s->won_s, x->ns, v, "won_s", e) < 0)
		return -1;
	return 0;
}

/* A probability in basis points as a percentage: "50", "12.5". */
static char *
bp_format(int bp, char *buf)
{
	if (bp % 100 == 0)
		snprintf(buf, 40, "%d", bp / 100);
	else if (bp % 10 == 0)
		snprintf(buf, 40, "%d.%d", bp / 100, bp % 100 / 10);
	else
		snprintf(buf, 40, "%d.%02d", bp / 100, bp % 100);
	return buf;
}

static int
cst_rows(void *ctx, void *state, sp_agg_row *r, sp_error *e)
{
	struct fc *x = ctx;
	const sp_stages *st = x->c->stages;
	struct cst *g = state;
	char b[48];
	size_t s;

	for (s = 0; s < st->n; s++) {
		int bp = st->v[s].prob_bp;
		if (st->v[s].kind != SP_OPEN)
			continue;
		sp_agg_set(r, K_STAGE, st->v[s].name);
		sp_agg_set(r, K_CONFIGURED, bp_format(bp, b));
		sp_agg_set_ratio(r, K_OBSERVED, g->won_s[s], g->closed_s[s]);
		sp_agg_set_count(r, K_WON, g->won_s[s]);
		sp_agg_set_count(r, K_CLOSED, g->closed_s[s]);
		if (g->closed_s[s] >= x->min_sample && g->closed_s[s] > 0)
			sp_count_format(div_round((__int128)100 * g->won_s[s],
			    g->closed_s[s]), b);
		else
			bp_format(bp, b);
		sp_agg_set(r, K_SUGGESTED, b);
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}

static int
add_calibration(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct fc *x = cli_agg_ctx(run);
	sp_cli *c = x->c;
	const sp_stages *st = c->stages;
	struct cst *g;
	int top, s, won = d->kind == SP_WON;

	(void)e;
	if (!admit(x, d, 0))
		return 0;
	g = cli_agg_group(run, d);
	if (d->kind == SP_OPEN) {
		if (c->explain)
			cli_explain(c, d, "", "observed", "excluded", "open");
		return 0;
	}
	top = sp_deal_reached(st, d);
	for (s = 0; s < (int)st->n; s++) {
		if (st->v[s].kind != SP_OPEN || (!won && s > top) ||
		    !sp_stages_same_pipeline(st, s, d->stage))
			continue;
		g->closed_s[s]++;
		g->won_s[s] += won;
	}
	if (c->explain)
		cli_explain(c, d, "", "observed", "counted", won ? "won: "
		    "reached every open stage" : top >= 0 ? "lost: counts at "
		    "the open stages up to the one it reached" :
		    "lost: reached stage unknown");
	return 0;
}

/*
 * The passes of --score and --backtest: the input read again as of
 * other times into the same states, through the driver's
 * cli_deals_pass (the engine's reading, as of a time, into groups this
 * program keeps).
 */

/* A group of a pass: its state in each target period. */
struct pgroup {
	size_t n;
	struct fst s[];
};

static struct fc *freeing;

static void
pass_free(void *p)
{
	struct pgroup **a = p;
	size_t k;

	if (*a == NULL)
		return;
	for (k = 0; k < (*a)->n; k++)
		fst_fini(freeing, &(*a)->s[k]);
	free(*a);
}

static void
pass_drop(struct fc *x, sp_groups *g)
{
	freeing = x;
	if (g != NULL)
		sp_groups_free(g, pass_free);
}

static struct fst *
pass_state(void *arg, const sp_deal *d, size_t i)
{
	struct fc *x = arg;
	struct pgroup **a = sp_groups_get(x->pass, d->key, d->keylen);
	size_t k, n = x->np ? x->np : 1;

	if (a == NULL)
		cli_oom(x->c);
	if (*a == NULL) {
		*a = xcalloc(1, sizeof(**a) + n * sizeof(struct fst));
		(*a)->n = n;
		for (k = 0; k < n; k++)
			fst_init(x, &(*a)->s[k]);
	}
	return &(*a)->s[i];
}

static int
pass_add(void *ctx, const sp_deal *d, sp_error *e)
{
	struct fc *x = ctx;

	if (d->path != NULL)
		x->history = 1;
	if (d->has_created && d->created_at < x->first_t)
		x->first_t = d->created_at;
	return add_core(x, d, pass_state, x, e);
}

/* One pass over the input as of t, into fresh groups (x->pass). */
static void
run_pass(struct fc *x, int64_t t, const sp_period *per, size_t np)
{
	sp_cli *c = x->c;
	const char **keys;
	size_t *lens, n, i;
	void **states;
	struct fst **gs;

	pass_drop(x, x->pass);
	if ((x->pass = sp_groups_new(sizeof(struct fst *), NULL)) == NULL)
		cli_oom(c);
	x->per = (sp_period *)per;
	x->np = np;
	x->t = t;
	x->history = 0;
	x->first_t = INT64_MAX;
	if (cli_deals_pass(c, x->spool, x->spooln, NEED, t, x->report,
	    pass_add, x))
		x->history = 1;
	if (x->report && !x->backtest) {
		/* --score reads closed deals only: exact without those
		   closed after --as-of */
		if (c->has_as_of)
			c->left[SP_LEFT_CLOSED_AFTER] = 0;
		cli_as_of_warn(c);
	}
	x->report = 0;	/* later passes read the same records again */
	/* the whole pass, from the groups' parts */
	if ((n = sp_groups_sorted(x->pass, &keys, &lens, &states)) ==
	    (size_t)-1)
		cli_oom(c);
	gs = xcalloc(n, sizeof(*gs));
	for (i = 0; i < n; i++)
		gs[i] = &(*(struct pgroup **)states[i])->s[0];
	prepare(x, gs, n);
	free(gs);
	free(keys);
	free(lens);
	free(states);
}

/* What group a booked in period p, in cents (rounded once); 0 when its
 * amounts mix currencies (then the run warns). */
static int64_t
booked_cents(struct fc *x, struct pgroup **a, size_t p)
{
	int64_t cents = 0;

	if (a == NULL)
		return 0;
	if ((*a)->s[p].booked.mixed) {
		x->c->mixed = 1;
		return 0;
	}
	sp_money_to_cents((*a)->s[p].booked.v, &cents);
	return cents;
}

struct score_run {
	struct fc *x;
	sp_groups *sg;
};

static void
score_call(void *arg, int m, int64_t at, size_t p, const char *key,
    size_t keylen, int64_t cents)
{
	struct score_run *s = arg;
	struct fc *x = s->x;

	if (fcl_score_add(s->sg, x->c->nby, method_names[m], key, keylen,
	    (long)floor((double)(x->per[p].start - at) / 86400.0), cents,
	    booked_cents(x, sp_groups_find(x->pass, key, keylen), p)) < 0)
		cli_oom(x->c);
}

static int
score(struct fc *x)
{
	sp_cli *c = x->c;
	sp_period *per;
	size_t np;
	struct score_run s;
	sp_groups *calls = fcl_read(c, x->score_path, method_names, NMETHODS,
	    &per, &np);

	/* the actual bookings of those periods, as of now */
	run_pass(x, c->cal.now, per, np);
	s.x = x;
	s.sg = fcl_scores_new(c);
	fcl_each(c, calls, score_call, &s);
	pass_drop(x, x->pass);
	x->pass = NULL;
	free(per);
	return fcl_score_emit(c, s.sg);
}

static int
backtest(struct fc *x)
{
	sp_cli *c = x->c;
	int unit = c->every != SP_EVERY_NONE ? c->every : SP_EVERY_MONTH;
	sp_period *per = NULL, b;
	size_t np = 0, i, h, gi, n;
	int64_t from, to;
	sp_groups *sg, *actual;
	const char **keys;
	size_t *lens;
	void **states;
	struct row r;
	int j;

	/* the buckets: inside --period, else from the history's start */
	run_pass(x, c->cal.now, NULL, 0);
	if (!x->history) {
		sp_error e;
		sp_err_clear(&e);
		sp_err_set(&e, NULL, "--backtest needs a history (records with "
		    "'at'): a snapshot cannot say what was known before");
		cli_fail(c, &e);
	}
	from = c->has_period && c->period_text ? c->period.start : x->first_t;
	to = c->has_period && c->period_text ? c->period.end : c->cal.now;
	if (from == INT64_MAX)
		from = to;
	for (sp_period_bucket(from, unit, &c->cal, &b); b.end <= to &&
	    b.end <= c->cal.now; sp_period_bucket(b.end, unit, &c->cal, &b)) {
		sp_period *v = realloc(per, (np + 1) * sizeof(*v));
		if (v == NULL)
			cli_oom(c);
		per = v;
		per[np++] = b;
	}
	/* what each bucket really booked: the pass is kept aside */
	run_pass(x, c->cal.now, per, np);
	actual = x->pass;
	x->pass = NULL;
	sg = fcl_scores_new(c);
	for (i = 0; i < np; i++)
		for (h = 0; h < x->nhorizons; h++) {
			int64_t t = per[i].start - x->horizons[h] * 86400;
			run_pass(x, t, &per[i], 1);
			if ((n = sp_groups_sorted(x->pass, &keys, &lens,
			    &states)) == (size_t)-1)
				cli_oom(c);
			for (gi = 0; gi < n; gi++) {
				struct pgroup *a = *(struct pgroup **)states[gi];
				int64_t act = booked_cents(x, sp_groups_find(
				    actual, keys[gi], lens[gi]), i);
				compute(x, &a->s[0], &a->s[0], 0, &r, NULL);
				for (j = 0; j < NMETHODS; j++)
					if (r.has[j] && fcl_score_add(sg, c->nby,
					    method_names[j], keys[gi], lens[gi],
					    x->horizons[h], r.v[j], act) < 0)
						cli_oom(c);
			}
			free(keys);
			free(lens);
			free(states);
			/* groups nobody knew of yet: every call said 0.00 */
			if ((n = sp_groups_sorted(actual, &keys, &lens,
			    &states)) == (size_t)-1)
				cli_oom(c);
			for (gi = 0; gi < n; gi++) {
				int64_t act = booked_cents(x,
				    (struct pgroup **)states[gi], i);
				if (sp_groups_find(x->pass, keys[gi], lens[gi]) !=
				    NULL)
					continue;
				for (j = 0; j < NMETHODS; j++)
					if ((x->methods & (1 << j)) &&
					    j != 3 && fcl_score_add(sg, c->nby,
					    method_names[j], keys[gi],
					    lens[gi], x->horizons[h], 0, act) < 0)
						cli_oom(c);
			}
			free(keys);
			free(lens);
			free(states);
		}
	pass_drop(x, x->pass);
	pass_drop(x, actual);
	x->pass = NULL;
	free(per);
	return fcl_score_emit(c, sg);
}

static void
read_quotas(struct fc *x)
{
	sp_read_opts ro;
	sp_error e;

	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	if (sp_quotas_read(&x->q, x->quota_path, &ro, &x->c->cal, &e) < 0)
		cli_fail(x->c, &e);
}

/*
 * A stage file without probabilities makes every open deal without one
 * of its own worth 0% to the methods that weigh by stage: say so once
 * (the lowest such stage a deal took it from).
 */
static void
stage_prob_warn(struct fc *x)
{
	char more[64] = "";
	size_t n = x->nnoprob;
	int s = -1;

	if (x->calibration)
		return;
	if ((x->methods & M_WEIGHTED) || ((x->methods & M_MC) &&
	    !x->mc_history))
		s = x->noprob_weighted;
	if (s < 0)
		s = x->noprob_fallback;
	if (s < 0)
		return;
	if (n > 1)
		snprintf(more, sizeof(more), " (nor %zu other open stage%s)",
		    n - 1, n > 2 ? "s" : "");
	cli_warn(x->c, "the stage file gives open stage '%s' no "
	    "probability%s, so deals in it count at 0%%: add a probability "
	    "column (salespipe-stages(5)), or give each deal a probability",
	    x->stage_names[s], more);
}

static long
count_arg(sp_cli *c, const char *opt, const char *arg, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < min || errno != 0 ||
	    v > 1000000000L)
		cli_usage_error(c, "%s: '%s' is not a count from %ld to "
		    "1000000000", opt, arg, min);
	return v;
}

static void
spool_stdin(struct fc *x)
{
	size_t cap = 1 << 20, k;

	if ((x->spool = malloc(cap)) == NULL)
		cli_oom(x->c);
	while ((k = fread(x->spool + x->spooln, 1, cap - x->spooln, stdin)) >
	    0) {
		x->spooln += k;
		if (x->spooln == cap) {
			char *v = realloc(x->spool, cap *= 2);
			if (v == NULL)
				cli_oom(x->c);
			x->spool = v;
		}
	}
	if (ferror(stdin)) {
		fprintf(stderr, "%s: <stdin>: read error\n", x->c->prog);
		exit(SP_EXIT_DATA);
	}
}

/* The target periods: the period, or its --every buckets, cut to it. */
static void
targets(struct fc *x)
{
	sp_cli *c = x->c;
	sp_period b;
	int64_t next;

	if (c->every == SP_EVERY_NONE) {
		x->per = xcalloc(1, sizeof(*x->per));
		x->per[0] = c->period;
		x->np = 1;
		return;
	}
	for (sp_period_bucket(c->period.start, c->every, &c->cal, &b);
	    b.start < c->period.end;
	    sp_period_bucket(next, c->every, &c->cal, &b)) {
		sp_period *v = realloc(x->per, (x->np + 1) * sizeof(*v));
		if (v == NULL)
			cli_oom(c);
		x->per = v;
		next = b.end;
		/* --every splits the period: the ends are cut to it */
		if (b.start < c->period.start)
			b.start = c->period.start;
		if (b.end > c->period.end)
			b.end = c->period.end;
		x->per[x->np++] = b;
	}
}

/* The fold takes the deals as of now too (see admit). */
static void
fold_as_of_now(struct fc *x)
{
	if (!x->as_of_given) {
		x->c->has_as_of = 1;
		x->c->as_of = x->c->cal.now;
		/* the first deal puts has_as_of back, and the threads'
		   folds are made after it: one thread, until the engine
		   takes an as-of time of the fold's own */
		x->c->threads = 1;
	}
}

/* The methods on the engine: one pass (or --merge), the rows, then the
 * calls recorded once the output is out. */
/* After the output, before the run's closing messages. */
static void
fst_end(void *ctx)
{
	stage_prob_warn(ctx);
}

static int
forecast_run(struct fc *x)
{
	static sp_agg agg = { "forecast", sizeof(struct fst), fst_init,
	    fst_fini, fst_merge, fst_save, fst_load, fst_rows, run_cols, 0,
	    NULL, fst_end, NULL, 0, fst_prepare, 0 };
	sp_cli *c = x->c;
	int rc;

	agg.ncols = fc_columns(x);
	agg.ctx = x;
	x->report = 1;
	targets(x);
	x->t = c->cal.now;
	fold_as_of_now(x);
	rc = cli_agg_deals(c, &agg, NEED | SP_NEED_AS_OF_OPEN, add_deal);
	free(x->live);
	x->live = NULL;
	x->nlive = x->livecap = 0;
	c->has_as_of = x->as_of_given;
	if (x->lw != NULL) {
		if (sp_writer_finish(x->lw) < 0 || fclose(x->lfp) != 0)
			cli_oom(c);
		sp_writer_free(x->lw);
		if (rc == SP_EXIT_OK && x->llen > 0)
			fcl_append(c, x->record_path, x->lbuf, x->llen);
		free(x->lbuf);
	}
	return rc;
}

static int
calibration_run(struct fc *x)
{
	static sp_agg agg = { "forecast", sizeof(struct cst), cst_init,
	    cst_fini, cst_merge, cst_save, cst_load, cst_rows, cal_cols,
	    sizeof(cal_cols) / sizeof(cal_cols[0]), NULL, NULL, NULL, 0, NULL, 0 };
	sp_cli *c = x->c;
	int rc;

	agg.ctx = x;
	/* over every closed deal: no period column */
	c->has_period = 0;
	c->every = SP_EVERY_NONE;
	fold_as_of_now(x);
	rc = cli_agg_deals(c, &agg, NEED | SP_NEED_AS_OF_OPEN,
	    add_calibration);
	c->has_as_of = x->as_of_given;
	return rc;
}

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = { CLI_LONGOPTS,
		{ "method", required_argument, OPT_METHOD,
		    "name,...", "the methods (weighted, category, ...)" },
		{ "calibration", no_argument, OPT_CALIBRATION,
		    NULL, "configured against observed stage rates" },
		{ "min-sample", required_argument, OPT_MIN_SAMPLE,
		    "n", "closed deals a group's own rate needs" },
		{ "quota", required_argument, OPT_QUOTA,
		    "file", "add the quota columns from file" },
		{ "trials", required_argument, OPT_TRIALS,
		    "n", "trials of montecarlo (default 10000)" },
		{ "seed", required_argument, OPT_SEED,
		    "n", "the seed of montecarlo (default 1)" },
		{ "mc-prob", required_argument, OPT_MC_PROB,
		    "weighted|history", "montecarlo's probability of a deal" },
		{ "season", required_argument, OPT_SEASON,
		    "n", "the season of trend, in buckets" },
		{ "record", required_argument, OPT_RECORD,
		    "ledger", "append the calls made to the ledger" },
		{ "score", required_argument, OPT_SCORE,
		    "ledger", "score the ledger's calls instead" },
		{ "backtest", no_argument, OPT_BACKTEST,
		    NULL, "make and score past calls, from a history" },
		{ "horizon", required_argument, OPT_HORIZON,
		    "days,...", "--backtest: days before the bucket" },
		CLI_PROB_LONGOPT,
		CLI_OPT_END };
	static long zero = 0;
	static struct fc x;
	sp_cli c;
	size_t i;
	int ch, m, rc;
	char *s, *tok, *save;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	cli = &c;
	x.c = &c;
	x.min_sample = 10;
	x.trials = 10000;
	x.noprob_weighted = x.noprob_fallback = -1;
	x.seed = 1;
	while ((ch = cli_getopt(&c, argc, argv, opts)) != -1) {
		if (cli_option(&c, ch, optarg))
			continue;
		switch (ch) {
		case OPT_METHOD:
			if ((s = strdup(optarg)) == NULL)
				cli_oom(&c);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				for (m = 0; m < NMETHODS; m++)
					if (strcmp(tok, method_names[m]) == 0)
						break;
				if (m == NMETHODS)
					cli_usage_error(&c, "--method: '%s' is "
					    "not weighted, category, history, "
					    "trend or montecarlo", tok);
				x.methods |= 1 << m;
			}
			free(s);
			break;
		case OPT_CALIBRATION:
			x.calibration = 1;
			break;
		case OPT_MIN_SAMPLE:
			x.min_sample = count_arg(&c, "--min-sample", optarg, 1);
			break;
		case OPT_QUOTA:
			x.quota_path = optarg;
			break;
		case OPT_TRIALS:
			x.trials = count_arg(&c, "--trials", optarg, 1);
			break;
		case OPT_SEED:
			x.seed = (unsigned long long)count_arg(&c, "--seed",
			    optarg, 0);
			break;
		case OPT_MC_PROB:
			if (strcmp(optarg, "history") == 0)
				x.mc_history = 1;
			else if (strcmp(optarg, "weighted") != 0)
				cli_usage_error(&c, "--mc-prob: '%s' is not "
				    "weighted or history", optarg);
			break;
		case OPT_SEASON:
			x.season = (int)count_arg(&c, "--season", optarg, 2);
			if (x.season > SP_SEASON_MAX)
				cli_usage_error(&c, "--season: at most %d",
				    SP_SEASON_MAX);
			break;
		case OPT_RECORD:
			x.record_path = optarg;
			break;
		case OPT_SCORE:
			x.score_path = optarg;
			break;
		case OPT_BACKTEST:
			x.backtest = 1;
			break;
		case OPT_HORIZON:
			if ((s = strdup(optarg)) == NULL)
				cli_oom(&c);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				long *v = realloc(x.horizons, (x.nhorizons + 1) *
				    sizeof(*v));
				if (v == NULL)
					cli_oom(&c);
				x.horizons = v;
				x.horizons[x.nhorizons++] = count_arg(&c,
				    "--horizon", tok, 0);
			}
			free(s);
			break;
		default:
			cli_usage(&c);
		}
	}
	if (x.methods == 0)
		x.methods = M_WEIGHTED;
	if (x.record_path != NULL && strlen(x.record_path) >= 4 &&
	    strcmp(x.record_path + strlen(x.record_path) - 4, ".csv") == 0)
		cli_usage_error(&c, "--record: a ledger is JSON lines (name it "
		    ".jsonl)");
	if (x.nhorizons == 0) {
		x.horizons = &zero;
		x.nhorizons = 1;
	}
	if ((x.score_path != NULL) + x.backtest + x.calibration +
	    (x.record_path != NULL && (x.score_path || x.backtest)) > 1)
		cli_usage_error(&c, "--score, --backtest and --calibration "
		    "are separate runs");
	/* a ledger is read or appended to whole, by one run */
	if ((c.partial || c.merge) && (x.score_path != NULL || x.backtest ||
	    x.record_path != NULL))
		cli_usage_error(&c, "--%s: %s cannot be split into partial "
		    "states", c.partial ? "partial" : "merge",
		    x.score_path != NULL ? "--score" : x.backtest ?
		    "--backtest" : "--record");
	if (x.record_path != NULL && c.explain)
		cli_usage_error(&c, "--record: --explain lists the deals "
		    "instead of making the calls");
	cli_protect(&c, x.quota_path, "the --quota file");
	cli_protect(&c, x.record_path, "the --record ledger");
	cli_protect(&c, x.score_path, "the --score ledger");
	cli_open(&c, argc - optind, argv + optind);
	if (x.record_path != NULL)
		fcl_check(&c, x.record_path);
	if (c.every != SP_EVERY_NONE && c.every != SP_EVERY_MONTH &&
	    c.every != SP_EVERY_QUARTER && c.every != SP_EVERY_YEAR &&
	    c.every != SP_EVERY_WEEK)
		cli_usage_error(&c, "--every: month, quarter, year or week");
	if (c.has_as_of)
		c.cal.now = c.as_of;	/* forecasts are made as of T */
	x.as_of_given = c.has_as_of;
	if (x.quota_path != NULL) {
		if (c.nby > 1 || (c.nby == 1 && strcmp(c.by[0], "owner") != 0))
			cli_usage_error(&c, "--quota: quotas are per owner: "
			    "use -g owner or no -g");
		read_quotas(&x);
	}
	/* the stage list outlives cli_finish in these copies */
	x.ns = c.stages->n;
	x.stage_names = xcalloc(x.ns, sizeof(*x.stage_names));
	for (i = 0; i < x.ns; i++) {
		if ((x.stage_names[i] = strdup(c.stages->v[i].name)) == NULL)
			cli_oom(&c);
		x.nnoprob += (c.stages->v[i].flags & SP_STAGE_NO_PROB) != 0;
	}
	x.report = 1;
	/* the passes read the input again: the standard input is kept, as
	   the one operand ('-' or none); beside files it could not be */
	if (x.backtest || x.score_path != NULL) {
		int dash = 0;

		for (i = 0; i < c.ninputs; i++)
			dash += strcmp(c.inputs[i], "-") == 0;
		if (c.ninputs == 0 || (c.ninputs == 1 && dash == 1))
			spool_stdin(&x);
		else if (dash > 0)
			cli_usage_error(&c, "%s reads its input several "
			    "times: the standard input ('-') only as the one "
			    "operand", x.backtest ? "--backtest" : "--score");
	}
	if (!c.has_period) {
		sp_error e;
		sp_err_clear(&e);
		if (sp_period_parse("this-quarter", &c.cal, &c.period, &e) < 0)
			cli_fail(&c, &e);
		c.has_period = 1;
	}
	if (x.score_path != NULL)
		rc = score(&x);
	else if (x.backtest)
		rc = backtest(&x);
	else if (x.calibration)
		rc = calibration_run(&x);
	else
		rc = forecast_run(&x);
	for (i = 0; i < x.ns; i++)
		free(x.stage_names[i]);
	free(x.stage_names);
	sp_quotas_free(&x.q);
	free(x.all_closed_s);
	free(x.all_won_s);
	free(x.live);
	if (x.gmap != NULL)
		sp_groups_free(x.gmap, NULL);
	if (x.horizons != &zero)
		free(x.horizons);
	free(x.spool);
	if (!x.backtest && x.score_path == NULL)
		free(x.per);
	return rc;
}
