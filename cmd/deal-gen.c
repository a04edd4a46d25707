/*
 * deal-gen: a deterministic sample CRM.  Simulates deals moving through the
 * default deal stages (owners with their own win skill, products with their
 * own prices and cycle lengths) and writes the snapshot as of a cutoff 60
 * days after --end, and with --history the stage changes that lead to it.
 * The random numbers come from our own generator and our own log and exp,
 * so the same options give the same bytes on every machine.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/rec.h"

/* GCC keeps a*b+c unfused in ISO C modes; clang must be told. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define DAY 86400
#define CUTOFF (60 * DAY)	/* the snapshot is taken this long after --end */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char usage[] =
    "usage: deal-gen [-n deals] [-s seed] [--start DATE] [--end DATE]\n"
    "                [--history FILE] [-o csv|jsonl]\n";

enum { QUAL, DISC, PROP, NEGO, WON, LOST };

static const struct {
	const char *name, *prob, *category;
	double convert;		/* chance of moving on to the next stage */
	double days;		/* mean days spent in the stage */
} stage[] = {
	{ "qualification", "10", "pipeline", 0.70, 14 },
	{ "discovery", "20", "pipeline", 0.65, 21 },
	{ "proposal", "50", "best_case", 0.60, 28 },
	{ "negotiation", "80", "commit", 0.55, 21 },
	{ "won", "100", "closed", 0, 0 },
	{ "lost", "0", "omitted", 0, 0 },
};

static const char *const territory[] = { "East", "Central", "West" };

static const struct {
	const char *name;
	double skill;		/* multiplies every conversion chance */
	int territory;
} owner[] = {
	{ "Alice Chen", 1.12, 0 }, { "Bruno Diaz", 0.92, 0 },
	{ "Carla Jones", 1.04, 0 }, { "Dev Patel", 1.08, 1 },
	{ "Erin Walsh", 0.95, 1 }, { "Farid Haddad", 1.00, 1 },
	{ "Grace Kim", 0.88, 1 }, { "Hugo Martin", 1.10, 2 },
	{ "Ines Silva", 0.97, 2 }, { "Jon Berg", 0.90, 2 },
};

static const struct {
	const char *name;
	int weight;
	double median;		/* cents */
	double spread;		/* sigma of the log amount */
	double pace;		/* multiplies the days in every stage */
} product[] = {
	{ "Starter", 30, 480000, 0.35, 0.6 },
	{ "Professional", 30, 1800000, 0.40, 1.0 },
	{ "Analytics", 15, 2600000, 0.45, 1.1 },
	{ "Services", 15, 1200000, 0.60, 0.8 },
	{ "Enterprise", 10, 9500000, 0.50, 1.6 },
};

static const struct {
	const char *name;
	int weight;
	double skill;
} source[] = {
	{ "Inbound", 25, 1.00 }, { "Outbound", 25, 0.94 },
	{ "Referral", 10, 1.08 }, { "Partner", 12, 1.04 },
	{ "Event", 10, 0.97 }, { "Website", 18, 0.98 },
};

/* Deal names are "<account> - <product><type>". */
static const struct {
	const char *name;
	int weight;
} type[] = { { "", 60 }, { " expansion", 25 }, { " renewal", 15 } };

static const char *const reason[] = {
	"Price", "Competitor", "No budget", "Timing", "No decision"
};
/* Why deals are lost, by the stage they stopped in. */
static const int reason_weight[WON][NELEM(reason)] = {
	{ 5, 10, 40, 20, 25 }, { 10, 20, 30, 20, 20 },
	{ 30, 30, 10, 15, 15 }, { 35, 35, 5, 10, 15 },
};

/* Account names are word + trade + suffix; the suffix is fixed per name,
 * and some suffixes carry a comma so that CSV output needs quoting. */
static const char *const account_word[] = {
	"Acme", "Apex", "Blue Harbor", "Cedar", "Crescent", "Falcon", "Globex",
	"Granite", "Initech", "Juniper", "Keystone", "Lumen", "Maple", "Northwind",
	"Orbit", "Pioneer", "Quantum", "Redwood", "Summit", "Vertex",
};
static const char *const account_trade[] = {
	"Analytics", "Capital", "Foods", "Health", "Logistics", "Media",
	"Motors", "Retail", "Software", "Systems",
};
static const char *const account_suffix[] = {
	", Inc.", " Group", " LLC", " Corp", ", Ltd.", "", " Partners",
};

enum { MAXEV = 8 };

/* A stage change: from `at` on the deal is in `stage` with these values. */
typedef struct event {
	int64_t at;
	int stage;
	int64_t amount;		/* cents */
	int64_t close;		/* close_date, as the time of its midnight */
} event;

typedef struct deal {
	int owner, product, source, type, word, trade;
	int lost_stage, reason;	/* -1 unless lost */
	event ev[MAXEV];
	int nev;		/* events up to the cutoff */
} deal;

/* splitmix64: small, fast and the same everywhere. */
static uint64_t
sp_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
	return z ^ (z >> 31);
}

/* The generator of deal k: a state hashed from the seed and k, so that
 * deal k does not depend on -n. */
static uint64_t
rng_deal(uint64_t seed, uint64_t k)
{
	uint64_t s = seed, t = sp_rng_next(&s) ^ k;

	return sp_rng_next(&t);
}

/* Uniform in [0, 1). */
static double
rng_unit(uint64_t *s)
{
	return (double)(sp_rng_next(s) >> 11) * 0x1p-53;
}

static int64_t
rng_below(uint64_t *s, uint64_t n)
{
	return (int64_t)(sp_rng_next(s) % n);
}

/* Index drawn with the weights w[0..n-1] (positive ints, stride apart). */
static int
rng_pick(uint64_t *s, const int *w, size_t stride, size_t n)
{
	int64_t total = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		total += *(const int *)((const char *)w + i * stride);
	x = rng_below(s, (uint64_t)total);
	for (i = 0; i + 1 < n; i++) {
		x -= *(const int *)((const char *)w + i * stride);
		if (x < 0)
			break;
	}
	return (int)i;
}

#define PICK(s, table) \
	rng_pick((s), &(table)[0].weight, sizeof((table)[0]), NELEM(table))

/*
 * Natural log and exp from + - * / and exact scalings only: libm's last
 * bit differs between systems, and one bit can change a cent.
 */
static double
portable_log(double x)
{
	int e;
	double m = frexp(x, &e), y = (m - 1) / (m + 1), y2 = y * y;
	double sum = 0, p = y;

	for (int i = 1; i < 40; i += 2) {	/* 2 atanh(y), |y| <= 1/3 */
		sum += p / i;
		p *= y2;
	}
	return 2 * sum + e * 0.69314718055994530942;
}

static double
portable_exp(double x)
{
	double k = floor(x / 0.69314718055994530942 + 0.5);
	double r = x - k * 0.69314718055994530942, sum = 1, p = 1;

	for (int i = 1; i < 20; i++) {		/* |r| <= 0.35 */
		p *= r / i;
		sum += p;
	}
	return ldexp(sum, (int)k);
}

/* Time spent in a stage: at least an hour, exponential with mean `days`. */
static int64_t
dwell(uint64_t *s, double days)
{
	return 3600 + (int64_t)(-days * DAY * portable_log(1 - rng_unit(s)));
}

/* A lognormal-ish amount: Irwin-Hall normal, clamped to the product's range. */
static int64_t
draw_amount(uint64_t *s, int p)
{
	double z = -6, a;

	for (int i = 0; i < 12; i++)
		z += rng_unit(s);
	a = product[p].median * portable_exp(product[p].spread * z);
	if (a < product[p].median / 4)
		a = product[p].median / 4;
	if (a > product[p].median * 4)
		a = product[p].median * 4;
	return (int64_t)(a + 0.5);
}

static int64_t
midnight(int64_t t)
{
	return (t >= 0 ? t / DAY : (t + 1) / DAY - 1) * DAY;
}

/* Mean seconds left in the cycle from entering stage s. */
static int64_t
remaining(int s, double pace)
{
	double days = 0;

	for (; s < WON; s++)
		days += stage[s].days;
	return (int64_t)(days * pace * DAY);
}

/* Reps push the expected close date out once the stage just entered alone
 * would run past it. */
static int64_t
slip(int64_t close, int64_t t, int s, double pace)
{
	if (close < t + (int64_t)(stage[s].days * pace * DAY))
		close = midnight(t + remaining(s, pace));
	return close;
}

static void
push(deal *d, int64_t at, int s, int64_t amount, int64_t close)
{
	d->ev[d->nev++] = (event){ at, s, amount, close };
}

/* Deal k (0-based) of `seed`, as seen at the cutoff. */
static void
simulate(deal *d, uint64_t seed, uint64_t k, int64_t start, int64_t end,
    int64_t cutoff)
{
	uint64_t r = rng_deal(seed, k);
	double skill, pace;
	int64_t t, amount, close;
	int s = QUAL, back = 0;

	d->owner = (int)rng_below(&r, NELEM(owner));
	d->product = PICK(&r, product);
	d->source = PICK(&r, source);
	d->type = PICK(&r, type);
	d->word = (int)rng_below(&r, NELEM(account_word));
	d->trade = (int)rng_below(&r, NELEM(account_trade));
	d->lost_stage = d->reason = -1;
	d->nev = 0;
	skill = owner[d->owner].skill * source[d->source].skill;
	pace = product[d->product].pace;
	t = start + rng_below(&r, (uint64_t)(end - start));
	amount = draw_amount(&r, d->product);
	close = midnight(t + remaining(QUAL, pace));
	push(d, t, QUAL, amount, close);
	for (;;) {
		t += dwell(&r, stage[s].days * pace);
		if (s == NEGO && !back && rng_unit(&r) < 0.08) {
			/* the buyer reopens the proposal, once */
			back = 1;
			push(d, t, PROP, amount, close);
			t += dwell(&r, stage[PROP].days * pace / 2);
			close = slip(close, t, NEGO, pace);
			push(d, t, NEGO, amount, close);
			continue;
		}
		if (rng_unit(&r) >= stage[s].convert * skill) {
			d->lost_stage = s;
			d->reason = rng_pick(&r, reason_weight[s], sizeof(int),
			    NELEM(reason));
			push(d, t, LOST, amount, midnight(t));
			break;
		}
		if (++s == WON) {
			push(d, t, WON, amount, midnight(t));
			break;
		}
		if (s == PROP && rng_unit(&r) < 0.3)	/* re-scoped */
			amount = (amount * (80 + rng_below(&r, 51)) + 50) / 100;
		if (s == NEGO && rng_unit(&r) < 0.5)	/* discounted */
			amount = (amount * (85 + rng_below(&r, 13)) + 50) / 100;
		close = slip(close, t, s, pace);
		push(d, t, s, amount, close);
	}

	/* Observe the deal at the cutoff: a later close leaves it open, and
	 * an open deal's close date lies after the cutoff. */
	while (d->ev[d->nev - 1].at > cutoff) {
		d->nev--;
		d->lost_stage = d->reason = -1;
	}
	if (d->ev[d->nev - 1].stage < WON) {
		event *last = &d->ev[d->nev - 1];
		int64_t left = remaining(last->stage, pace) / DAY + 1;

		if (last->close <= cutoff)
			last->close = midnight(cutoff) +
			    (1 + rng_below(&r, (uint64_t)left)) * DAY;
	}
}

static const char *const deal_cols[] = {
	"id", "name", "account", "owner", "stage", "amount", "currency",
	"probability", "created_at", "close_date", "closed_at",
	"forecast_category", "lost_reason", "lost_stage", "source", "product",
	"territory",
};
static const char *const history_cols[] = {
	"id", "at", "stage", "amount", "close_date", "owner",
};

static sp_writer *
open_writer(sp_cli *c, FILE *fp, int fmt, const char *const *cols, size_t n)
{
	sp_writer *w = sp_writer_new(fp, fmt);

	for (size_t i = 0; w != NULL && i < n; i++) {
		/* numbers are bare in JSON lines */
		int type = strcmp(cols[i], "amount") == 0 ||
		    strcmp(cols[i], "probability") == 0 ? SP_COL_NUM : SP_COL_STR;

		if (sp_writer_col(w, cols[i], type) < 0) {
			sp_writer_free(w);
			w = NULL;
		}
	}
	if (w == NULL) {
		cli_warn(c, "out of memory");
		exit(SP_EXIT_DATA);
	}
	return w;
}

static int
write_deal(sp_writer *w, const deal *d, const char *id)
{
	const event *first = &d->ev[0], *last = &d->ev[d->nev - 1];
	char name[128], account[64], amount[32], created[32], close[16];
	char closed[32] = "";
	const char *v[NELEM(deal_cols)];

	snprintf(account, sizeof(account), "%s %s%s", account_word[d->word],
	    account_trade[d->trade],
	    account_suffix[(d->word * 3 + d->trade) % NELEM(account_suffix)]);
	snprintf(name, sizeof(name), "%s - %s%s", account,
	    product[d->product].name, type[d->type].name);
	if (last->stage >= WON)
		sp_time_format(last->at, closed);
	v[0] = id;
	v[1] = name;
	v[2] = account;
	v[3] = owner[d->owner].name;
	v[4] = stage[last->stage].name;
	v[5] = sp_money_format_cents(last->amount, amount);
	v[6] = "USD";
	v[7] = stage[last->stage].prob;
	v[8] = sp_time_format(first->at, created);
	v[9] = sp_date_format(last->close, close);
	v[10] = closed;
	v[11] = stage[last->stage].category;
	v[12] = d->reason >= 0 ? reason[d->reason] : "";
	v[13] = d->lost_stage >= 0 ? stage[d->lost_stage].name : "";
	v[14] = source[d->source].name;
	v[15] = product[d->product].name;
	v[16] = territory[owner[d->owner].territory];
	return sp_writer_row(w, v);
}

/* One record per stage change; amount and close_date only when changed. */
static int
write_history(sp_writer *w, const deal *d, const char *id)
{
	for (int i = 0; i < d->nev; i++) {
		const event *e = &d->ev[i], *prev = i > 0 ? e - 1 : NULL;
		char at[32], amount[32] = "", close[16] = "";
		const char *v[NELEM(history_cols)];

		if (prev == NULL || e->amount != prev->amount)
			sp_money_format_cents(e->amount, amount);
		if (prev == NULL || e->close != prev->close)
			sp_date_format(e->close, close);
		v[0] = id;
		v[1] = sp_time_format(e->at, at);
		v[2] = stage[e->stage].name;
		v[3] = amount;
		v[4] = close;
		v[5] = prev == NULL ? owner[d->owner].name : "";
		if (sp_writer_row(w, v) < 0)
			return -1;
	}
	return 0;
}

static uint64_t
parse_number(sp_cli *c, const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max)
		cli_usage_error(c, "%s: '%s' is not a number from 0 to %" PRIu64,
		    opt, s, max);
	return v;
}

static int64_t
parse_time(sp_cli *c, const char *opt, const char *s)
{
	int64_t t;

	if (sp_time_parse(s, strlen(s), NULL, &t, NULL) < 0)
		cli_usage_error(c, "%s: '%s' is not an ISO 8601 date or time",
		    opt, s);
	return t;
}

enum { OPT_START = 1, OPT_END, OPT_HISTORY };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "start", required_argument, NULL, OPT_START },
		{ "end", required_argument, NULL, OPT_END },
		{ "history", required_argument, NULL, OPT_HISTORY },
		{ "output-format", required_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	sp_cli c;
	sp_writer *w, *hw = NULL;
	FILE *hf = NULL;
	const char *history = NULL;
	uint64_t n = 100, seed = 1;
	int64_t start, end;
	int opt, fmt = SP_FMT_CSV, status = SP_EXIT_OK;
	deal d;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	start = sp_days_from_civil(2025, 1, 1) * DAY;
	end = sp_days_from_civil(2026, 10, 1) * DAY;
	while ((opt = getopt_long(argc, argv, "n:s:o:hV", longopts, NULL)) !=
	    -1) {
		switch (opt) {
		case 'n':
			n = parse_number(&c, "-n", optarg, 999999999);
			break;
		case 's':
			seed = parse_number(&c, "-s", optarg, UINT64_MAX);
			break;
		case 'o':
			fmt = sp_format_parse(optarg);
			if (fmt != SP_FMT_CSV && fmt != SP_FMT_JSONL)
				cli_usage_error(&c, "-o: '%s' is not csv or jsonl",
				    optarg);
			break;
		case OPT_START:
			start = parse_time(&c, "--start", optarg);
			break;
		case OPT_END:
			end = parse_time(&c, "--end", optarg);
			break;
		case OPT_HISTORY:
			history = optarg;
			break;
		case 'h':
		case 'V':
			cli_option(&c, opt, optarg);
			break;
		default:
			cli_usage(&c);
		}
	}
	if (optind < argc)
		cli_usage_error(&c, "unexpected operand '%s'", argv[optind]);
	if (start >= end)
		cli_usage_error(&c, "--start must be before --end");

	if (history != NULL) {
		if ((hf = fopen(history, "w")) == NULL) {
			cli_warn(&c, "%s: %s", history, strerror(errno));
			return SP_EXIT_DATA;
		}
		hw = open_writer(&c, hf, fmt, history_cols, NELEM(history_cols));
	}
	w = open_writer(&c, stdout, fmt, deal_cols, NELEM(deal_cols));
	for (uint64_t k = 0; k < n; k++) {
		char id[24];

		snprintf(id, sizeof(id), "D%07" PRIu64, k + 1);
		simulate(&d, seed, k, start, end, end + CUTOFF);
		if (write_deal(w, &d, id) < 0)
			break;		/* cli_finish reports it */
		if (hw != NULL && write_history(hw, &d, id) < 0)
			break;
	}
	if (hw != NULL) {
		int bad = sp_writer_finish(hw) < 0;

		sp_writer_free(hw);
		if (fclose(hf) != 0 || bad) {
			cli_warn(&c, "%s: write error: %s", history,
			    strerror(errno ? errno : EIO));
			status = SP_EXIT_DATA;
		}
	}
	if (cli_finish(&c, w) != 0)	/* frees w */
		status = SP_EXIT_DATA;
	return status;
}
