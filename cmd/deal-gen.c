/*
 * deal-gen: a deterministic sample CRM.  Simulates deals moving through the
 * default deal stages (owners with their own win skill, products with their
 * own prices and cycle lengths) and writes the snapshot as of a cutoff 60
 * days after --end, and with --history the stage changes that lead to it.
 * Around the deals it can write a world that agrees with them: the leads
 * (some converted into the deals), the reps' activities on leads and
 * deals, the teams and the quotas.  The random numbers come from our own
 * generator and our own log and exp (the world's from integers alone), so
 * the same options give the same bytes on every machine.
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
    "                [--history FILE] [--leads FILE] [--lead-history FILE]\n"
    "                [--activities FILE] [--teams FILE] [--quota FILE]\n"
    "                [-o csv|jsonl]\n";

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

/*
 * The world around the deals (--leads, --activities, --teams, --quota).
 * Everything here is drawn with integers only, from a stream of its own
 * per deal, so the deals are the same bytes with or without it, and the
 * leads and activities of deal k's block depend only on k, the seed and
 * the dates (ids aside, which count on from the blocks before).
 */

/* The teams file: one team a territory, each with its manager. */
static const struct {
	const char *team, *manager;
} team[] = {
	{ "Atlantic", "Maya Ross" },	/* East */
	{ "Heartland", "Omar Said" },	/* Central */
	{ "Pacific", "Lena Park" },	/* West */
};

/* Per owner: the share of the average quota they carry (percent), and
 * how slowly they answer a new lead (percent of the usual delay). */
static const int quota_share[NELEM(owner)] = {
	115, 95, 105, 110, 95, 100, 90, 110, 100, 80,
};
static const int response_pace[NELEM(owner)] = {
	50, 150, 100, 80, 250, 100, 120, 60, 90, 180,
};

/* The sources of leads that were not converted, with the chance (percent)
 * that such a lead is qualified, and each source's campaign. */
static const struct {
	int weight, qualify;
	const char *campaign;	/* "" for none */
} lead_source[NELEM(source)] = {
	{ 25, 25, "Ebook" },		/* Inbound */
	{ 20, 15, "Cold sequence" },	/* Outbound */
	{ 3, 45, "" },			/* Referral */
	{ 7, 35, "Co-marketing" },	/* Partner */
	{ 20, 15, "Roadshow" },		/* Event */
	{ 25, 20, "Free trial" },	/* Website */
};

/* Area codes of each territory's phone numbers. */
static const char *const area_code[NELEM(territory)][3] = {
	{ "212", "617", "305" }, { "312", "214", "612" },
	{ "415", "206", "303" },
};

static const char *const first_name[] = {
	"Aaron", "Abby", "Amir", "Ana", "Ben", "Bianca", "Chloe", "Chris",
	"Dana", "Diego", "Elena", "Eli", "Fatima", "Felix", "Gabe", "Gina",
	"Hana", "Henry", "Ivan", "Isla", "Jack", "Jada", "Kai", "Kara", "Liam",
	"Lucia", "Mark", "Mia", "Nadia", "Noah", "Olga", "Omar", "Paul",
	"Priya", "Quinn", "Rosa", "Sam", "Sofia", "Tariq", "Vera",
};
static const char *const last_name[] = {
	"Adams", "Baker", "Brooks", "Castro", "Cohen", "Cruz", "Dubois",
	"Evans", "Fischer", "Garcia", "Gupta", "Hall", "Hayes", "Ito",
	"Jensen", "Khan", "Kowalski", "Lam", "Lopez", "Meyer", "Moreau",
	"Murphy", "Nakamura", "Novak", "O'Neil", "Olsen", "Park", "Perez",
	"Quinn", "Reyes", "Rossi", "Santos", "Schmidt", "Shah", "Singh",
	"Sato", "Stone", "Torres", "Tran", "Ueda", "Varga", "Vega", "Wagner",
	"Ward", "Weiss", "Wong", "Young", "Yilmaz", "Zhang", "Ziegler",
};
/* Lead j's name is name number (j * NAME_STEP) mod NAMES: every pair of
 * names once in NAMES leads, in a scrambled order. */
#define NAMES (NELEM(first_name) * NELEM(last_name))
#define NAME_STEP 1237		/* prime, so coprime with NAMES (2000) */
/* Lead j's phone digits after the area code: (j * PHONE_STEP) mod
 * PHONE_SPAN, plus 2000000 (an exchange never starts with 0 or 1). */
#define PHONE_STEP 7919
#define PHONE_SPAN 8000000

enum { L_NEW, L_CONTACTED, L_QUALIFIED, L_CONVERTED, L_DISQUALIFIED };
static const char *const lead_status[] = {
	"new", "contacted", "qualified", "converted", "disqualified",
};

enum { A_CALL, A_EMAIL, A_MEETING, A_DEMO, A_ADMIN, A_TRAINING };
static const char *const activity_type[] = {
	"call", "email", "meeting", "demo", "admin", "training",
};

enum { MAXLEAD = 8, MAXACT = 96 };
#define NEVER INT64_MIN	/* a time that is not one (times may be < 0) */

typedef struct lead {
	int64_t created;
	int64_t first;		/* first contact; NEVER: not contacted */
	int64_t decided;	/* qualified or disqualified; NEVER: not */
	int owner;		/* -1: unassigned */
	int territory, source, word, trade, area, status;
	int converted;		/* 1: converted into the block's deal */
} lead;

typedef struct activity {
	int64_t at;
	int minutes, owner, type;
	const char *outcome;
	int lead;		/* index into the block's leads, or -1 */
	int deal;		/* 1: on the block's deal */
} activity;

/* Deal k's block: the leads and activities generated with it. */
typedef struct world {
	lead lead[MAXLEAD];
	int nlead;
	activity act[MAXACT];
	int nact;
} world;

/* The generator of deal k's block, apart from the deal's own. */
static uint64_t
rng_world(uint64_t seed, uint64_t k)
{
	uint64_t s = rng_deal(seed, k) ^ 0x776f726c64ULL;	/* "world" */

	return sp_rng_next(&s);
}

static int64_t
rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + rng_below(s, (uint64_t)(hi - lo + 1));
}

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t t)
{
	int64_t d = midnight(t) / DAY;

	return (int)(((d % 7) + 7 + 3) % 7);
}

/* The working hours are 09:00 to 17:00 UTC, Monday to Friday. */
static int
working(int64_t t)
{
	int64_t sec = t - midnight(t);

	return weekday(t) < 5 && sec >= 9 * 3600 && sec < 17 * 3600;
}

/* t, or when it is outside the working hours a time drawn in the next
 * working day's (today's, before 09:00), up to 16:30. */
static int64_t
next_working(uint64_t *s, int64_t t)
{
	int64_t day = midnight(t);

	if (working(t))
		return t;
	if (weekday(day) >= 5 || t - day >= 9 * 3600)
		do
			day += DAY;
		while (weekday(day) >= 5);
	return day + 9 * 3600 + rng_below(s, 7 * 60 + 30) * 60;
}

/* The next whole minute from t (t itself when it is one). */
static int64_t
minute_up(int64_t t)
{
	int64_t r = (t % 60 + 60) % 60;

	return r == 0 ? t : t + 60 - r;
}

/*
 * A time in [from, to]: uniform, then nine times in ten moved into the
 * working hours and onto a whole minute when that stays within to (a rep
 * works late or at the weekend otherwise).
 */
static int64_t
some_time(uint64_t *s, int64_t from, int64_t to)
{
	int64_t t = from + rng_below(s, (uint64_t)(to - from + 1)), u;

	if (rng_below(s, 100) < 90) {
		u = minute_up(next_working(s, t));
		if (u <= to)
			t = u;
	}
	return t;
}

/*
 * When the owner first answers a lead created at `from`: a delay from
 * minutes to days, scaled by the owner's pace, moved into the working
 * hours nine times in ten; a delay past `limit` is redrawn inside it.
 */
static int64_t
first_contact(uint64_t *s, int64_t from, int64_t limit, int o)
{
	int64_t x = rng_below(s, 100), lag, t;

	if (x < 30)
		lag = rng_range(s, 5 * 60, 3600);
	else if (x < 70)
		lag = rng_range(s, 3600, 8 * 3600);
	else if (x < 92)
		lag = rng_range(s, 8 * 3600, 3 * DAY);
	else
		lag = rng_range(s, 3 * DAY, 14 * DAY);
	t = from + lag * response_pace[o] / 100;
	if (rng_below(s, 100) < 90)
		t = minute_up(next_working(s, t));
	if (t > limit)
		t = from + rng_below(s, (uint64_t)(limit - from + 1));
	return t;
}

static const char *
outcome(uint64_t *s, int type)
{
	int64_t x = rng_below(s, 100);

	switch (type) {
	case A_CALL:
		return x < 45 ? "connected" : x < 80 ? "voicemail" : "no_answer";
	case A_EMAIL:
		return x < 70 ? "sent" : "replied";
	case A_MEETING:
	case A_DEMO:
		return x < 85 ? "held" : "no_show";
	default:
		return "done";
	}
}

static int
duration(uint64_t *s, int type)
{
	static const int meeting[] = { 30, 45, 60 }, demo[] = { 45, 60, 90 };

	switch (type) {
	case A_CALL:
		return (int)rng_range(s, 5, 30);
	case A_EMAIL:
		return (int)rng_range(s, 2, 10);
	case A_MEETING:
		return meeting[rng_below(s, 3)];
	case A_DEMO:
		return demo[rng_below(s, 3)];
	case A_ADMIN:
		return 15 * (int)rng_range(s, 1, 4);
	default:
		return 60 * (int)rng_range(s, 1, 2);
	}
}

/* Add an activity (none once the block is full: MAXACT is far above what
 * the rules below can make). */
static activity *
add_activity(world *w, uint64_t *s, int64_t at, int o, int type, int l,
    int on_deal)
{
	activity *a;

	if (w->nact == MAXACT)
		return NULL;
	/* one draw a statement: the order of an initializer's is unspecified */
	a = &w->act[w->nact++];
	a->at = at;
	a->minutes = duration(s, type);
	a->owner = o;
	a->type = type;
	a->outcome = outcome(s, type);
	a->lead = l;
	a->deal = on_deal;
	return a;
}

/* A lead's company, name and contacts come from the deal's or drawn. */
static void
new_lead(lead *l, uint64_t *s, int64_t created, int o, int terr, int src)
{
	l->created = created;
	l->first = l->decided = NEVER;
	l->owner = o;
	l->territory = terr;
	l->source = src;
	l->word = (int)rng_below(s, NELEM(account_word));
	l->trade = (int)rng_below(s, NELEM(account_trade));
	l->area = (int)rng_below(s, 3);
	l->status = L_NEW;
	l->converted = 0;
}

/*
 * The block's leads: the lead a new-business deal was converted from
 * (same owner, account and source, created up to 30 days before the deal,
 * first contacted by the deal's creation), and 0 to 5 leads that were
 * not converted: one in ten unassigned and never contacted, one in ten of
 * the others never contacted, the rest contacted, then qualified or
 * disqualified or neither.  In the order they were created.
 */
static void
make_leads(world *w, uint64_t *s, const deal *d, int64_t start, int64_t end,
    int64_t cutoff)
{
	int extra;

	w->nlead = 0;
	if (type[d->type].name[0] == '\0') {
		lead *l = &w->lead[w->nlead++];
		int64_t dc = d->ev[0].at;
		int64_t created = dc - rng_range(s, 2 * 3600, 30 * DAY);

		if (created < start)
			created = start;
		new_lead(l, s, created, d->owner, owner[d->owner].territory,
		    d->source);
		l->word = d->word;
		l->trade = d->trade;
		l->first = first_contact(s, created, dc, d->owner);
		l->status = L_CONVERTED;
		l->converted = 1;
	}
	extra = (int)rng_below(s, 6);
	for (int i = 0; i < extra; i++) {
		lead *l = &w->lead[w->nlead++];
		int64_t created = start + rng_below(s, (uint64_t)(end - start));
		int src = PICK(s, lead_source), o = -1, terr;
		int64_t x;

		if (rng_below(s, 100) >= 10)
			o = (int)rng_below(s, NELEM(owner));
		terr = o >= 0 ? owner[o].territory : (int)rng_below(s, 3);
		new_lead(l, s, created, o, terr, src);
		if (o < 0 || rng_below(s, 100) < 10)
			continue;
		l->first = first_contact(s, created, cutoff, o);
		x = rng_below(s, 100);
		l->status = x < lead_source[src].qualify ? L_QUALIFIED :
		    x < lead_source[src].qualify + 45 ? L_DISQUALIFIED :
		    L_CONTACTED;
	}
	for (int i = 1; i < w->nlead; i++)	/* stable: by creation */
		for (int j = i; j > 0 &&
		    w->lead[j - 1].created > w->lead[j].created; j--) {
			lead t = w->lead[j];

			w->lead[j] = w->lead[j - 1];
			w->lead[j - 1] = t;
		}
}

/*
 * A contacted lead's activities: the first contact (a call or an email)
 * at first_contact_at, then follow-ups, each 1 hour to 4 days after the
 * one before and none after `limit` (the deal's creation for a converted
 * lead, else the cutoff); a qualified or converted lead's last follow-up
 * is a meeting.  A lead is qualified or disqualified when its last
 * activity ends (or at `limit`, if that comes first).
 */
static void
lead_activities(world *w, uint64_t *s, int li, int64_t cutoff,
    int64_t deal_created)
{
	lead *l = &w->lead[li];
	int64_t t = l->first, limit = l->converted ? deal_created : cutoff;
	int n, ty, meet = l->status == L_QUALIFIED || l->status == L_CONVERTED;
	activity *a;

	if (l->first == NEVER)
		return;
	ty = rng_below(s, 100) < 60 ? A_CALL : A_EMAIL;
	a = add_activity(w, s, t, l->owner, ty, li, 0);
	n = (int)rng_range(s, meet, meet + 2);
	for (int i = 0; i < n; i++) {
		int64_t from = t + 3600, to = from + 4 * DAY;

		if (to > limit)
			to = limit;
		if (from > to)
			break;
		t = some_time(s, from, to);
		ty = rng_below(s, 100) < 55 ? A_CALL : A_EMAIL;
		if (i == n - 1 && meet)
			ty = A_MEETING;
		a = add_activity(w, s, t, l->owner, ty, li, 0);
	}
	if (l->status != L_CONTACTED) {
		l->decided = a != NULL ? a->at + a->minutes * 60 : t;
		if (l->decided > limit)
			l->decided = limit;
	}
}

/* The activity types of each open deal stage, by weight. */
static const int stage_types[WON][A_ADMIN] = {
	{ 60, 40, 0, 0 }, { 35, 15, 30, 20 }, { 10, 30, 30, 30 },
	{ 40, 30, 30, 0 },
};

/*
 * A deal's activities: one to three in each open stage it went through,
 * between entering the stage and leaving it (or the cutoff).  A meeting or
 * demo of 45 minutes or more is double-booked one time in eight: a call
 * on the deal starts 15 minutes into it.
 */
static void
deal_activities(world *w, uint64_t *s, const deal *d, int64_t cutoff)
{
	for (int i = 0; i < d->nev && d->ev[i].stage < WON; i++) {
		int64_t from = d->ev[i].at;
		int64_t to = i + 1 < d->nev ? d->ev[i + 1].at : cutoff;
		int n = (int)rng_range(s, 1, 3);

		for (int j = 0; j < n; j++) {
			int ty = rng_pick(s, stage_types[d->ev[i].stage],
			    sizeof(int), A_ADMIN);
			int64_t t = some_time(s, from, to);
			activity *a = add_activity(w, s, t, d->owner, ty, -1, 1);

			if (a != NULL && a->minutes >= 45 &&
			    rng_below(s, 100) < 12 && t + 15 * 60 <= to)
				add_activity(w, s, t + 15 * 60, d->owner, A_CALL,
				    -1, 1);
		}
	}
}

/* The block's world: its leads, their activities and the deal's, and
 * six times in ten a non-selling hour of the deal's owner (admin or
 * training, on no lead or deal) in [start, end).  In time order. */
static void
make_world(world *w, uint64_t seed, uint64_t k, const deal *d,
    int64_t start, int64_t end, int64_t cutoff)
{
	uint64_t s = rng_world(seed, k);

	w->nact = 0;
	make_leads(w, &s, d, start, end, cutoff);
	for (int i = 0; i < w->nlead; i++)
		lead_activities(w, &s, i, cutoff, d->ev[0].at);
	deal_activities(w, &s, d, cutoff);
	if (rng_below(&s, 100) < 60) {
		int64_t t = some_time(&s, start, end - 1);
		int ty = rng_below(&s, 100) < 60 ? A_ADMIN : A_TRAINING;

		add_activity(w, &s, t, d->owner, ty, -1, 0);
	}
	for (int i = 1; i < w->nact; i++)
		for (int j = i; j > 0 && w->act[j - 1].at > w->act[j].at; j--) {
			activity t = w->act[j];

			w->act[j] = w->act[j - 1];
			w->act[j - 1] = t;
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
static const char *const lead_cols[] = {
	"id", "name", "company", "email", "phone", "source", "campaign",
	"owner", "territory", "stage", "created_at", "first_contact_at",
	"deal_id",
};
static const char *const lead_history_cols[] = {
	"id", "at", "stage", "name", "company", "email", "phone", "source",
	"campaign", "owner", "territory", "created_at", "first_contact_at",
	"deal_id",
};
static const char *const activity_cols[] = {
	"id", "at", "end_at", "minutes", "owner", "type", "deal_id", "lead_id",
	"outcome",
};
static const char *const team_cols[] = {
	"owner", "team", "territory", "manager",
};
static const char *const quota_cols[] = { "owner", "period", "amount" };

/* An output file: path NULL when not asked for, "-" for the standard
 * output. */
typedef struct output {
	const char *path;
	FILE *fp;
	sp_writer *w;
} output;

/* Open o (when asked for) with these columns; exits 1 when the file
 * cannot be opened. */
static void
output_open(sp_cli *c, output *o, int fmt, const char *const *cols, size_t n)
{
	if (o->path == NULL)
		return;
	if (strcmp(o->path, "-") == 0)
		o->fp = stdout;
	else if ((o->fp = fopen(o->path, "w")) == NULL) {
		cli_warn(c, "%s: %s", o->path, strerror(errno));
		exit(SP_EXIT_DATA);
	}
	o->w = sp_writer_new(o->fp, fmt);
	for (size_t i = 0; o->w != NULL && i < n; i++) {
		/* numbers are bare in JSON lines */
		int type = strcmp(cols[i], "amount") == 0 ||
		    strcmp(cols[i], "probability") == 0 ||
		    strcmp(cols[i], "minutes") == 0 ? SP_COL_NUM : SP_COL_STR;

		if (sp_writer_col(o->w, cols[i], type) < 0) {
			sp_writer_free(o->w);
			o->w = NULL;
		}
	}
	if (o->w == NULL) {
		cli_warn(c, "out of memory");
		exit(SP_EXIT_DATA);
	}
}

/* Finish and close a file output (the standard output is cli_finish's).
 * Returns 0, or -1 after the message on a write error. */
static int
output_close(sp_cli *c, output *o)
{
	int bad;

	if (o->w == NULL || o->fp == stdout)
		return 0;
	bad = sp_writer_finish(o->w) < 0;
	sp_writer_free(o->w);
	o->w = NULL;
	if (fclose(o->fp) != 0 || bad) {
		cli_warn(c, "%s: write error: %s", o->path,
		    strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static char *
account_name(char *buf, size_t size, int word, int trade)
{
	snprintf(buf, size, "%s %s%s", account_word[word], account_trade[trade],
	    account_suffix[(word * 3 + trade) % NELEM(account_suffix)]);
	return buf;
}

static int
write_deal(sp_writer *w, const deal *d, const char *id)
{
	const event *first = &d->ev[0], *last = &d->ev[d->nev - 1];
	char name[128], account[64], amount[32], created[32], close[16];
	char closed[32] = "";
	const char *v[NELEM(deal_cols)];

	account_name(account, sizeof(account), d->word, d->trade);
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

/* The calendar quarter of t, as year * 4 + quarter - 1. */
static int64_t
quarter_of(int64_t t)
{
	int64_t y;
	int m, d;

	sp_civil_from_days(midnight(t) / DAY, &y, &m, &d);
	return y * 4 + (m - 1) / 3;
}

static char *
quarter_label(int64_t q, char *buf, size_t size)
{
	int64_t y = q >= 0 ? q / 4 : (q - 3) / 4;

	snprintf(buf, size, "%" PRId64 "-Q%c", y, (char)('1' + (q - y * 4)));
	return buf;
}

/* Copy the letters of s, lower-cased, to p; returns the end. */
static char *
letters(char *p, const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			*p++ = (char)(*s | 0x20);
	*p = '\0';
	return p;
}

/* The text of lead number j (0-based) of the run. */
typedef struct lead_text {
	char id[24], name[64], company[64], email[128], phone[32];
	char campaign[96], created[32], first[32];
} lead_text;

static void
lead_format(lead_text *x, const lead *l, uint64_t j)
{
	uint64_t m = j % NAMES * NAME_STEP % NAMES, suffix = j / NAMES;
	uint64_t digits = j % PHONE_SPAN * PHONE_STEP % PHONE_SPAN + 2000000;
	const char *fn = first_name[m % NELEM(first_name)];
	const char *ln = last_name[m / NELEM(first_name)];
	char *p;

	snprintf(x->id, sizeof(x->id), "L%07" PRIu64, j + 1);
	snprintf(x->name, sizeof(x->name), "%s %s", fn, ln);
	p = letters(x->email, fn);
	*p++ = '.';
	p = letters(p, ln);
	if (suffix > 0)
		p += sprintf(p, "%" PRIu64, suffix);
	*p++ = '@';
	p = letters(p, account_word[l->word]);
	p = letters(p, account_trade[l->trade]);
	strcpy(p, ".example");
	snprintf(x->phone, sizeof(x->phone), "+1-%s-%03d-%04d",
	    area_code[l->territory][l->area], (int)(digits / 10000),
	    (int)(digits % 10000));
	x->campaign[0] = '\0';
	if (lead_source[l->source].campaign[0] != '\0') {
		char q[32];

		snprintf(x->campaign, sizeof(x->campaign), "%s %s",
		    lead_source[l->source].campaign,
		    quarter_label(quarter_of(l->created), q, sizeof(q)));
	}
	account_name(x->company, sizeof(x->company), l->word, l->trade);
	sp_time_format(l->created, x->created);
	x->first[0] = '\0';
	if (l->first != NEVER)
		sp_time_format(l->first, x->first);
}

/* Lead number j (0-based) of the run; deal_id: the block's deal's id. */
static int
write_lead(sp_writer *w, const lead *l, uint64_t j, const char *deal_id)
{
	lead_text x;
	const char *v[NELEM(lead_cols)];

	lead_format(&x, l, j);
	v[0] = x.id;
	v[1] = x.name;
	v[2] = x.company;
	v[3] = x.email;
	v[4] = x.phone;
	v[5] = source[l->source].name;
	v[6] = x.campaign;
	v[7] = l->owner >= 0 ? owner[l->owner].name : "";
	v[8] = territory[l->territory];
	v[9] = lead_status[l->status];
	v[10] = x.created;
	v[11] = x.first;
	v[12] = l->converted ? deal_id : "";
	return sp_writer_row(w, v);
}

/*
 * The status changes of lead number j: its creation (new, with every
 * field), its first contact (contacted, with first_contact_at), then
 * qualified or disqualified, and for a converted lead (qualified when
 * that came before) converted at the deal's creation, with deal_id.
 */
static int
write_lead_history(sp_writer *w, const lead *l, uint64_t j,
    const char *deal_id, int64_t deal_created)
{
	int64_t at[3];
	int status[3], nev = 0;
	lead_text x;

	lead_format(&x, l, j);
	if (l->first != NEVER) {
		at[nev] = l->first;
		status[nev++] = L_CONTACTED;
	}
	if (l->decided != NEVER && (!l->converted || l->decided < deal_created)) {
		at[nev] = l->decided;
		status[nev++] = l->converted ? L_QUALIFIED : l->status;
	}
	if (l->converted) {
		at[nev] = deal_created;
		status[nev++] = L_CONVERTED;
	}
	for (int i = -1; i < nev; i++) {
		const char *v[NELEM(lead_history_cols)] = { x.id };
		char when[32];

		if (i < 0) {
			v[1] = x.created;
			v[2] = lead_status[L_NEW];
			v[3] = x.name;
			v[4] = x.company;
			v[5] = x.email;
			v[6] = x.phone;
			v[7] = source[l->source].name;
			v[8] = x.campaign;
			v[9] = l->owner >= 0 ? owner[l->owner].name : "";
			v[10] = territory[l->territory];
			v[11] = x.created;
		} else {
			v[1] = sp_time_format(at[i], when);
			v[2] = lead_status[status[i]];
			if (status[i] == L_CONTACTED)
				v[12] = x.first;
			if (status[i] == L_CONVERTED)
				v[13] = deal_id;
		}
		if (sp_writer_row(w, v) < 0)
			return -1;
	}
	return 0;
}

/* Activity number j (0-based) of the run; lead0: the number of the
 * block's first lead. */
static int
write_activity(sp_writer *w, const activity *a, uint64_t j, uint64_t lead0,
    const char *deal_id)
{
	char id[24], at[32], end[32], minutes[16], lead_id[24] = "";
	const char *v[NELEM(activity_cols)];

	snprintf(id, sizeof(id), "A%07" PRIu64, j + 1);
	snprintf(minutes, sizeof(minutes), "%d", a->minutes);
	if (a->lead >= 0)
		snprintf(lead_id, sizeof(lead_id), "L%07" PRIu64,
		    lead0 + (uint64_t)a->lead + 1);
	v[0] = id;
	v[1] = sp_time_format(a->at, at);
	v[2] = sp_time_format(a->at + a->minutes * 60, end);
	v[3] = minutes;
	v[4] = owner[a->owner].name;
	v[5] = activity_type[a->type];
	v[6] = a->deal ? deal_id : "";
	v[7] = lead_id;
	v[8] = a->outcome;
	return sp_writer_row(w, v);
}

static int
write_teams(sp_writer *w)
{
	for (size_t i = 0; i < NELEM(owner); i++) {
		int t = owner[i].territory;
		const char *v[] = { owner[i].name, team[t].team, territory[t],
		    team[t].manager };

		if (sp_writer_row(w, v) < 0)
			return -1;
	}
	return 0;
}

/*
 * One quota per owner and calendar quarter from --start's to the
 * cutoff's: the won amount of all the deals shared out evenly over the
 * owners and the quarters the deals were created in, times the owner's
 * share, rounded to the nearest 1000.00 and at least that.
 */
static int
write_quotas(sp_writer *w, int64_t won, int64_t start, int64_t end,
    int64_t cutoff)
{
	int64_t q0 = quarter_of(start), q1 = quarter_of(cutoff);
	int64_t even = won / ((quarter_of(end - 1) - q0 + 1) *
	    (int64_t)NELEM(owner));

	for (int64_t q = q0; q <= q1; q++)
		for (size_t i = 0; i < NELEM(owner); i++) {
			int64_t cents = (even * quota_share[i] / 100 + 50000) /
			    100000 * 100000;
			char period[32], amount[32];
			const char *v[3];

			if (cents < 100000)
				cents = 100000;
			v[0] = owner[i].name;
			v[1] = quarter_label(q, period, sizeof(period));
			v[2] = sp_money_format_cents(cents, amount);
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

enum { OPT_START = 1, OPT_END, OPT_HISTORY, OPT_LEADS, OPT_LEAD_HISTORY,
	OPT_ACTIVITIES, OPT_TEAMS, OPT_QUOTA };

/* The outputs, the files in the order of their OPT_ options. */
enum { O_DEALS, O_HISTORY, O_LEADS, O_LEAD_HISTORY, O_ACTIVITIES, O_TEAMS,
	O_QUOTA, NOUT };

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = {
		{ NULL, required_argument, 'n', "deals",
		    "the number of deals (default 100)" },
		{ NULL, required_argument, 's', "seed",
		    "the seed (default 1)" },
		{ "start", required_argument, OPT_START,
		    "DATE", "the earliest creation time" },
		{ "end", required_argument, OPT_END,
		    "DATE", "the end of the creation times" },
		{ "history", required_argument, OPT_HISTORY,
		    "FILE", "also write the stage history to FILE" },
		{ "leads", required_argument, OPT_LEADS,
		    "FILE", "also write the leads to FILE" },
		{ "lead-history", required_argument, OPT_LEAD_HISTORY,
		    "FILE", "also write the leads' history to FILE" },
		{ "activities", required_argument, OPT_ACTIVITIES,
		    "FILE", "also write the activities to FILE" },
		{ "teams", required_argument, OPT_TEAMS,
		    "FILE", "also write the teams file to FILE" },
		{ "quota", required_argument, OPT_QUOTA,
		    "FILE", "also write the quota file to FILE" },
		{ "output-format", required_argument, 'o',
		    "csv|jsonl", "the format of every output" },
		{ "version", no_argument, 'V',
		    NULL, "print the version and exit" },
		{ "help", no_argument, 'h',
		    NULL, "print this help and exit" },
		CLI_OPT_END
	};
	static const char *const opt_name[NOUT] = {
		NULL, "--history", "--leads", "--lead-history", "--activities",
		"--teams", "--quota",
	};
	sp_cli c;
	output out[NOUT] = { { "-", NULL, NULL } };
	sp_writer *stdout_w = NULL;
	uint64_t n = 100, seed = 1, nlead = 0, nact = 0;
	int64_t start, end, cutoff, won = 0;
	int opt, fmt = SP_FMT_CSV, status = SP_EXIT_OK, to_stdout = -1;
	deal d;
	static world wd;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	start = sp_days_from_civil(2025, 1, 1) * DAY;
	end = sp_days_from_civil(2026, 10, 1) * DAY;
	while ((opt = cli_getopt(&c, argc, argv, longopts)) !=
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
		case OPT_LEADS:
		case OPT_LEAD_HISTORY:
		case OPT_ACTIVITIES:
		case OPT_TEAMS:
		case OPT_QUOTA:
			out[O_HISTORY + opt - OPT_HISTORY].path = optarg;
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
	cutoff = end + CUTOFF;
	for (int i = O_HISTORY; i < NOUT; i++) {
		if (out[i].path == NULL || strcmp(out[i].path, "-") != 0)
			continue;
		if (to_stdout >= 0)
			cli_usage_error(&c, "%s and %s: only one can be the "
			    "standard output ('-')", opt_name[to_stdout],
			    opt_name[i]);
		to_stdout = i;
	}
	if (to_stdout >= 0)	/* in place of the deals */
		out[O_DEALS].path = NULL;

	output_open(&c, &out[O_HISTORY], fmt, history_cols,
	    NELEM(history_cols));
	output_open(&c, &out[O_LEADS], fmt, lead_cols, NELEM(lead_cols));
	output_open(&c, &out[O_LEAD_HISTORY], fmt, lead_history_cols,
	    NELEM(lead_history_cols));
	output_open(&c, &out[O_ACTIVITIES], fmt, activity_cols,
	    NELEM(activity_cols));
	output_open(&c, &out[O_TEAMS], fmt, team_cols, NELEM(team_cols));
	output_open(&c, &out[O_QUOTA], fmt, quota_cols, NELEM(quota_cols));
	output_open(&c, &out[O_DEALS], fmt, deal_cols, NELEM(deal_cols));
	stdout_w = out[to_stdout >= 0 ? to_stdout : O_DEALS].w;

	if (out[O_TEAMS].w != NULL && write_teams(out[O_TEAMS].w) < 0)
		goto done;	/* the write error is reported below */
	for (uint64_t k = 0; k < n; k++) {
		char id[24];

		snprintf(id, sizeof(id), "D%07" PRIu64, k + 1);
		simulate(&d, seed, k, start, end, cutoff);
		if (d.ev[d.nev - 1].stage == WON)
			won += d.ev[d.nev - 1].amount;
		if (out[O_DEALS].w != NULL && write_deal(out[O_DEALS].w, &d,
		    id) < 0)
			break;
		if (out[O_HISTORY].w != NULL &&
		    write_history(out[O_HISTORY].w, &d, id) < 0)
			break;
		if (out[O_LEADS].w == NULL && out[O_LEAD_HISTORY].w == NULL &&
		    out[O_ACTIVITIES].w == NULL)
			continue;
		make_world(&wd, seed, k, &d, start, end, cutoff);
		if (out[O_LEADS].w != NULL)
			for (int i = 0; i < wd.nlead; i++)
				if (write_lead(out[O_LEADS].w, &wd.lead[i],
				    nlead + (uint64_t)i, id) < 0)
					goto done;
		if (out[O_LEAD_HISTORY].w != NULL)
			for (int i = 0; i < wd.nlead; i++)
				if (write_lead_history(out[O_LEAD_HISTORY].w,
				    &wd.lead[i], nlead + (uint64_t)i, id,
				    d.ev[0].at) < 0)
					goto done;
		if (out[O_ACTIVITIES].w != NULL)
			for (int i = 0; i < wd.nact; i++)
				if (write_activity(out[O_ACTIVITIES].w,
				    &wd.act[i], nact++, nlead, id) < 0)
					goto done;
		nlead += (uint64_t)wd.nlead;
	}
	if (out[O_QUOTA].w != NULL)
		write_quotas(out[O_QUOTA].w, won, start, end, cutoff);
done:
	for (int i = O_HISTORY; i < NOUT; i++)
		if (output_close(&c, &out[i]) < 0)
			status = SP_EXIT_DATA;
	if (cli_finish(&c, stdout_w) != 0)	/* frees stdout_w */
		status = SP_EXIT_DATA;
	return status;
}
