/*
 * deal: one reading of "a deal" for every program.  Snapshot records are
 * turned into deals one by one; history records are folded per id (the
 * stage path sorted by `at`, input order breaking ties, and for every
 * other field the value with the latest `at`), so an unsorted export folds
 * the same as a sorted one.
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/deal.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

enum { F_ID, F_AT, F_STAGE, F_AMOUNT, F_CURRENCY, F_CREATED, F_CLOSED,
	F_CLOSE_DATE, F_PROB, F_LOST_STAGE, F_REACHED, F_CATEGORY, F_PUSHES, NF };
static const char *const fname[NF] = { "id", "at", "stage", "amount",
	"currency", "created_at", "closed_at", "close_date", "probability",
	"lost_stage", "reached_stage", "forecast_category",
	"close_date_pushes" };

/*
 * A field's value with the `at` it was set at: a later `at` wins, and of
 * equal ones the later record (records arrive in input order).
 */
struct latest {
	int64_t at;		/* INT64_MIN: never set */
	int64_t v;
};

/* The fields a history keeps per deal, each only if the program needs it. */
enum { L_AMOUNT, L_CURRENCY, L_PROB, L_CREATED, L_CLOSED, L_CLOSE_DATE,
	L_LOST_STAGE, L_CATEGORY, NL };

struct gval {
	int64_t at;
	char *v;
};

/*
 * One id of a history: its stage visits packed as at * 1024 + stage in
 * input order, and the latest value of each kept field.  Lives inside the
 * id table's entry, so an id costs one allocation plus its visits.
 */
struct hdeal {
	int64_t *v;
	uint32_t nv, cap;
	uint32_t file;		/* index into sp_deals.files */
	long line;		/* last record of the id */
	int64_t first_at;
	int64_t last_at;
	struct gval *g;		/* per -g field, NULL without -g */
	unsigned char *all;	/* SP_NEED_ALL: the latest value of each
				   field, sorted by slot, each as u32 slot,
				   u32 len, i64 at, len bytes and a NUL */
	uint32_t alllen, allcap;
	uint32_t ncd, cdcap;
	int64_t *cd;		/* SP_NEED_ALL: close_date records, (at,
				   date) pairs in input order */
	struct latest f[];	/* kept fields, by sp_deals.lix */
};

#define MAX_STAGES SP_STAGES_MAX	/* visits pack at * MAX + stage */

struct sp_deals {
	sp_reader *rd;
	sp_stages *st;
	sp_deals_opts o;
	int slot[NF];
	int mode;		/* 0 unknown, 1 snapshot, 2 history */
	int lix[NL];		/* index in hdeal.f of each kept field, or -1 */
	int nl;
	sp_groups *byid;	/* id -> struct hdeal */
	struct hdeal **order;	/* ids in order of first appearance */
	size_t n, cap;
	char *keybuf;
	size_t keycap;
	char **files;		/* names of the inputs, for places */
	size_t nfiles;
	char (*cur)[8];		/* currencies seen, for L_CURRENCY */
	size_t ncur;
	struct hdeal *last;	/* the previous record's id: exports keep an
				   id's records together, so this saves most
				   lookups */
	/* SP_NEED_ALL */
	int *fields;		/* slots in order of first appearance */
	size_t nfields, fieldcap;
	unsigned char *seen;	/* by slot */
	size_t seencap;
	const char **vals;	/* by slot, for the deal being handed on */
	size_t valcap;
	unsigned char *merge;	/* scratch for merging values */
	size_t mergecap;
	sp_groups *seen_ids;	/* snapshot: id -> struct place of its
				   record, to refuse a repeat */
	int64_t nprob;		/* probabilities read, */
	int prob_max;		/* and the largest (bp) */
};

/* Where a snapshot's id was first listed. */
struct place {
	uint32_t file;		/* index into sp_deals.files */
	long line;
};

/*
 * Tell the reader which fields are read (only those may make a record bad
 * for bytes that are not text) and which one a CSV header cannot lack.
 */
static int
deals_use(sp_deals *ds)
{
	int need = ds->o.need, rc = 0;
	size_t i;

	rc |= sp_reader_use(ds->rd, ds->slot[F_ID]);
	rc |= sp_reader_use(ds->rd, ds->slot[F_AT]);
	rc |= sp_reader_use(ds->rd, ds->slot[F_CURRENCY]);
	if (!(need & SP_NEED_NO_STAGE)) {
		rc |= sp_reader_require(ds->rd, ds->slot[F_STAGE]);
		rc |= sp_reader_use(ds->rd, ds->slot[F_LOST_STAGE]);
		rc |= sp_reader_use(ds->rd, ds->slot[F_REACHED]);
	}
	if (need & SP_NEED_AMOUNT)
		rc |= sp_reader_use(ds->rd, ds->slot[F_AMOUNT]);
	if (need & SP_NEED_PROB)
		rc |= sp_reader_use(ds->rd, ds->slot[F_PROB]);
	if (need & SP_NEED_CREATED)
		rc |= sp_reader_use(ds->rd, ds->slot[F_CREATED]);
	if (need & (SP_NEED_CLOSED | SP_NEED_CLOSE_DATE))
		rc |= sp_reader_use(ds->rd, ds->slot[F_CLOSE_DATE]);
	if (need & SP_NEED_CLOSED)
		rc |= sp_reader_use(ds->rd, ds->slot[F_CLOSED]);
	if (need & SP_NEED_CATEGORY)
		rc |= sp_reader_use(ds->rd, ds->slot[F_CATEGORY]);
	if (need & (SP_NEED_PUSHES | SP_NEED_ALL))
		rc |= sp_reader_use(ds->rd, ds->slot[F_PUSHES]);
	for (i = 0; i < ds->o.ngroup; i++)
		rc |= sp_reader_use(ds->rd, ds->o.group_slots[i]);
	return rc;
}

sp_deals *
sp_deals_new(sp_reader *rd, sp_stages *st, const sp_deals_opts *o)
{
	sp_deals *ds = calloc(1, sizeof(*ds));
	int i;

	if (ds == NULL)
		return NULL;
	ds->rd = rd;
	ds->st = st;
	ds->o = *o;
	/* dated rates: the date of every deal decides its rate */
	if ((o->need & SP_NEED_AMOUNT) && o->rates != NULL &&
	    sp_rates_dated(o->rates))
		ds->o.need |= SP_NEED_CREATED | SP_NEED_CLOSED |
		    SP_NEED_CLOSE_DATE;
	o = &ds->o;
	for (i = 0; i < NL; i++)
		ds->lix[i] = -1;
	if (o->need & SP_NEED_AMOUNT) {
		ds->lix[L_AMOUNT] = ds->nl++;
		ds->lix[L_CURRENCY] = ds->nl++;
	}
	if (o->need & SP_NEED_PROB)
		ds->lix[L_PROB] = ds->nl++;
	if (o->need & SP_NEED_CREATED)
		ds->lix[L_CREATED] = ds->nl++;
	if (o->need & SP_NEED_CLOSED)
		ds->lix[L_CLOSED] = ds->nl++;
	if (o->need & (SP_NEED_CLOSED | SP_NEED_CLOSE_DATE))
		ds->lix[L_CLOSE_DATE] = ds->nl++;
	ds->lix[L_LOST_STAGE] = ds->nl++;
	if (o->need & SP_NEED_CATEGORY)
		ds->lix[L_CATEGORY] = ds->nl++;
	if (st->n > MAX_STAGES) {
		free(ds);
		return NULL;
	}
	for (i = 0; i < NF; i++)
		if ((ds->slot[i] = sp_reader_slot(rd, fname[i])) < 0) {
			free(ds);
			return NULL;
		}
	if (deals_use(ds) < 0) {
		free(ds);
		return NULL;
	}
	return ds;
}

const char *
sp_deals_currency(const sp_deals *ds, size_t i)
{
	return i < ds->ncur ? ds->cur[i] : NULL;
}

int
sp_deals_is_history(const sp_deals *ds)
{
	return ds->mode == 2;
}

static void
hdeal_free(struct hdeal *h, size_t ngroup)
{
	size_t i;

	free(h->v);
	free(h->all);
	free(h->cd);
	if (h->g != NULL)
		for (i = 0; i < ngroup; i++)
			free(h->g[i].v);
	free(h->g);
}

int
sp_deals_prob_doubt(const sp_deals *ds)
{
	return ds->o.prob_scale != 1 && ds->nprob > 0 && ds->prob_max > 0 &&
	    ds->prob_max <= 100;
}

void
sp_deals_free(sp_deals *ds)
{
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->n; i++)
		hdeal_free(ds->order[i], ds->o.ngroup);
	sp_groups_free(ds->byid, NULL);
	sp_groups_free(ds->seen_ids, NULL);
	free(ds->order);
	free(ds->keybuf);
	for (i = 0; i < ds->nfiles; i++)
		free(ds->files[i]);
	free(ds->files);
	free(ds->cur);
	free(ds->fields);
	free(ds->seen);
	free(ds->vals);
	free(ds->merge);
	free(ds);
}

const int *
sp_deals_fields(const sp_deals *ds, size_t *n)
{
	*n = ds->nfields;
	return ds->fields;
}

/* Parse the time in field f of r; 1 has, 0 empty, -1 bad. */
static int
get_time(sp_deals *ds, const sp_rec *r, int f, int64_t *t, sp_error *e)
{
	if (!sp_rec_has(r, ds->slot[f]))
		return 0;
	if (sp_time_parse_tz(sp_rec_get(r, ds->slot[f]), sp_rec_len(r, ds->slot[f]),
	    ds->o.datefmt, ds->o.tz, t, e) < 0) {
		sp_err_set(e, fname[f], "%s", e->msg);
		return -1;
	}
	return 1;
}

static int
get_stage(sp_deals *ds, const sp_rec *r, int f, int *stage, sp_error *e)
{
	char q[80];
	const char *s = sp_rec_get(r, ds->slot[f]);
	size_t n = sp_rec_len(r, ds->slot[f]);

	if (n == 0)
		return 0;
	if ((*stage = sp_stages_find(ds->st, s, n)) < 0)
		return sp_err_set(e, fname[f], "unknown stage '%s' (known: %s)",
		    sp_err_quote(q, sizeof(q), s, n), sp_stages_known(ds->st));
	return 1;
}

/* Parse the typed fields a program needs from r into d. */
static int
parse_fields(sp_deals *ds, const sp_rec *r, sp_deal *d, sp_error *e)
{
	int need = ds->o.need, k;

	if (need & SP_NEED_AMOUNT) {
		d->has_amount = sp_rec_has(r, ds->slot[F_AMOUNT]);
		int sl = ds->slot[F_AMOUNT];
		/* a JSON number is always written with a point */
		const sp_numfmt *nf = sl >= 0 && (size_t)sl < r->nslot &&
		    r->num != NULL && r->num[sl] ? NULL : ds->o.numfmt;
		if (d->has_amount && sp_money_parse_fmt(sp_rec_get(r, sl),
		    sp_rec_len(r, sl), nf, &d->amount, e) < 0)
			return sp_err_set(e, "amount", "%s", e->msg);
	}
	if (need & SP_NEED_PROB) {
		d->has_prob = sp_rec_has(r, ds->slot[F_PROB]);
		if (d->has_prob && sp_prob_parse_scale(sp_rec_get(r,
		    ds->slot[F_PROB]), sp_rec_len(r, ds->slot[F_PROB]),
		    ds->o.prob_scale == 1 ? 1 : 100, &d->prob_bp, e) < 0)
			return sp_err_set(e, "probability", "%s", e->msg);
		if (d->has_prob) {
			ds->nprob++;
			if (d->prob_bp > ds->prob_max)
				ds->prob_max = d->prob_bp;
		}
	}
	if (need & SP_NEED_CREATED) {
		if ((k = get_time(ds, r, F_CREATED, &d->created_at, e)) < 0)
			return -1;
		d->has_created = k;
	}
	if (need & (SP_NEED_CLOSED | SP_NEED_CLOSE_DATE)) {
		if ((k = get_time(ds, r, F_CLOSE_DATE, &d->close_date, e)) < 0)
			return -1;
		d->has_close_date = k;
	}
	if (need & SP_NEED_CLOSED) {
		if ((k = get_time(ds, r, F_CLOSED, &d->closed_at, e)) < 0)
			return -1;
		d->has_closed = k;
	}
	d->category = -1;
	if ((need & SP_NEED_CATEGORY) && sp_rec_has(r, ds->slot[F_CATEGORY])) {
		char q[80];
		const char *v = sp_rec_get(r, ds->slot[F_CATEGORY]);
		if ((d->category = sp_stage_category_parse(v)) < 0)
			return sp_err_set(e, "forecast_category", "'%s' is not a "
			    "forecast category (pipeline, best_case, commit, "
			    "closed, omitted)", sp_err_quote(q, sizeof(q), v,
			    sp_rec_len(r, ds->slot[F_CATEGORY])));
	}
	return 0;
}

static int intern_currency(sp_deals *ds, const char *c, size_t n,
    sp_error *e);

/*
 * The exact value of d's amount: as read, or with --rates converted into
 * the target at the rate in force on the deal's date (sp_deals_opts).
 */
static int
convert(sp_deals *ds, sp_deal *d, sp_error *e)
{
	int64_t t = ds->o.now, rate;

	if (!(ds->o.need & SP_NEED_AMOUNT))
		return 0;
	if (ds->o.rates == NULL) {
		d->value = sp_money_of_micro(d->amount);
		return 0;
	}
	if (!d->has_amount) {	/* nothing to convert: no rate needed */
		d->value = 0;
		d->currency = sp_rates_target(ds->o.rates);
		return 0;
	}
	if (d->kind != SP_OPEN && d->has_closed)
		t = d->closed_at;
	else if (d->has_close_date)
		t = d->close_date;
	else if (d->has_created)
		t = d->created_at;
	if (sp_rates_find(ds->o.rates, d->currency, strlen(d->currency), t, &rate,
	    e) < 0)
		return -1;
	/* at most 2^63 x 2^63: exact in 128 bits */
	d->value = (sp_money)d->amount * rate;
	d->currency = sp_rates_target(ds->o.rates);
	return 0;
}

static int intern_file(sp_deals *, const char *);

/*
 * A snapshot lists a deal once: 0 when r's id is new (or r has none), -1
 * with e set when an earlier good record had it.
 */
static int
snapshot_repeat(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	const struct place *p;
	char q[80];
	size_t n = sp_rec_len(r, ds->slot[F_ID]);
	int twice;

	if (n == 0 || ds->seen_ids == NULL || (p = sp_groups_find(ds->seen_ids,
	    sp_rec_get(r, ds->slot[F_ID]), n)) == NULL)
		return 0;
	/* the same file given twice: its lines come round again */
	twice = strcmp(ds->files[p->file], r->file) == 0 && r->line <= p->line;
	return sp_err_set(e, "id", "'%s' is listed again: first at %s:%ld (kept); "
	    "a snapshot has one record per deal%s", sp_err_quote(q, sizeof(q),
	    sp_rec_get(r, ds->slot[F_ID]), n), ds->files[p->file], p->line,
	    twice ? " (is the file given twice?)" : "");
}

/* Remember where r's id was listed; -1 when out of memory. */
static int
snapshot_note(sp_deals *ds, const sp_rec *r)
{
	struct place *p;
	size_t n = sp_rec_len(r, ds->slot[F_ID]);
	int f;

	if (n == 0)
		return 0;
	if (ds->seen_ids == NULL &&
	    (ds->seen_ids = sp_groups_new(sizeof(*p), NULL)) == NULL)
		return -1;
	if ((f = intern_file(ds, r->file)) < 0 ||
	    (p = sp_groups_get(ds->seen_ids, sp_rec_get(r, ds->slot[F_ID]), n)) ==
	    NULL)
		return -1;
	p->file = (uint32_t)f;
	p->line = r->line;
	return 0;
}

/*
 * A snapshot deal as of ds->o.as_of: 0 when it is known then (a deal that
 * closed later made open of unknown stage, with SP_NEED_AS_OF_OPEN), else
 * why it is left out (SP_LEFT_*).  A created_at or close time equal to
 * as_of is at or before it.
 */
static int
snapshot_as_of(const sp_deals *ds, sp_deal *d)
{
	if (d->has_created && d->created_at > ds->o.as_of)
		return SP_LEFT_CREATED_AFTER;
	if (d->kind == SP_OPEN)
		return 0;
	if (!d->has_closed)
		return SP_LEFT_NO_CLOSE_TIME;
	if (d->closed_at <= ds->o.as_of)
		return 0;
	if (!(ds->o.need & SP_NEED_AS_OF_OPEN))
		return SP_LEFT_CLOSED_AFTER;
	d->kind = SP_OPEN;
	d->stage = d->max_stage = d->lost_stage = -1;
	d->has_closed = d->has_close_date = 0;
	d->as_of_open = 1;
	return 0;
}

static int
snapshot_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	sp_deal d;
	size_t kl;
	int k, need;

	if (snapshot_repeat(ds, r, e) < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.stage = d.lost_stage = d.max_stage = -1;
	d.id = sp_rec_has(r, ds->slot[F_ID]) ? sp_rec_get(r, ds->slot[F_ID]) : "";
	d.currency = sp_rec_has(r, ds->slot[F_CURRENCY]) ?
	    sp_rec_get(r, ds->slot[F_CURRENCY]) : "";
	if (!(ds->o.need & SP_NEED_NO_STAGE)) {
		if ((k = get_stage(ds, r, F_STAGE, &d.stage, e)) < 0)
			return -1;
		if (k == 0)
			return sp_err_set(e, "stage", "missing (known stages: %s)",
			    sp_stages_known(ds->st));
		d.kind = ds->st->v[d.stage].kind;
		if (d.kind == SP_LOST &&
		    get_stage(ds, r, F_LOST_STAGE, &d.lost_stage, e) < 0)
			return -1;
		/* pipeline's furthest open stage: a path's high-water mark */
		if ((k = get_stage(ds, r, F_REACHED, &d.max_stage, e)) < 0)
			return -1;
		if (k > 0 && ds->st->v[d.max_stage].kind != SP_OPEN)
			return sp_err_set(e, "reached_stage", "'%s' is not an open "
			    "stage", ds->st->v[d.max_stage].name);
	}
	/* as of a time: when it was created and when it closed count too */
	need = ds->o.need;
	if (ds->o.has_as_of)
		ds->o.need |= SP_NEED_CREATED | SP_NEED_CLOSED;
	k = parse_fields(ds, r, &d, e);
	ds->o.need = need;
	if (k < 0)
		return -1;
	if ((ds->o.need & SP_NEED_PUSHES) && sp_rec_has(r, ds->slot[F_PUSHES])) {
		/* pipeline's count, read back */
		char *end, q[80];
		const char *v = sp_rec_get(r, ds->slot[F_PUSHES]);
		long n = strtol(v, &end, 10);
		if (*end != '\0' || n < 0 || n > INT32_MAX)
			return sp_err_set(e, "close_date_pushes", "'%s' is not a "
			    "count", sp_err_quote(q, sizeof(q), v,
			    sp_rec_len(r, ds->slot[F_PUSHES])));
		d.pushes = (int)n;
		d.has_pushes = 1;
	}
	if (d.kind == SP_OPEN)
		d.has_closed = 0;
	else if (!d.has_closed && d.has_close_date) {
		d.has_closed = 1;
		d.closed_at = d.close_date;
	}
	kl = sp_group_key(r, ds->o.group_slots, ds->o.ngroup, &ds->keybuf,
	    &ds->keycap);
	if (kl == (size_t)-1)
		return sp_err_set(e, NULL, "out of memory");
	d.key = ds->keybuf;
	d.keylen = kl;
	d.file = r->file;
	d.line = r->line;
	d.rec = r;
	if (ds->o.has_as_of && (k = snapshot_as_of(ds, &d)) != 0) {
		if (ds->o.left_out != NULL)
			ds->o.left_out(ds->o.left_ctx, &d, k, ds->o.as_of);
	} else {
		if (d.has_amount && d.currency[0] != '\0' &&
		    intern_currency(ds, d.currency, strlen(d.currency), e) < 0)
			return -1;
		/* the rate of a deal open as of the time: its expected date */
		if (convert(ds, &d, e) < 0 || ds->o.fn(ds->o.ctx, &d, e) < 0)
			return -1;
	}
	/* only a counted record holds its id: a bad one was not counted */
	if (snapshot_note(ds, r) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

static void
keep(sp_deals *ds, struct hdeal *h, int l, int64_t at, int64_t v)
{
	struct latest *f;

	if (ds->lix[l] < 0)
		return;
	f = &h->f[ds->lix[l]];
	if (at >= f->at) {
		f->at = at;
		f->v = v;
	}
}

/* Index of file name f in ds->files (added if new), or -1. */
static int
intern_file(sp_deals *ds, const char *f)
{
	char **v;

	if (ds->nfiles > 0 && strcmp(ds->files[ds->nfiles - 1], f) == 0)
		return (int)ds->nfiles - 1;
	if ((v = realloc(ds->files, (ds->nfiles + 1) * sizeof(*v))) == NULL)
		return -1;
	ds->files = v;
	if ((v[ds->nfiles] = strdup(f)) == NULL)
		return -1;
	return (int)ds->nfiles++;
}

/* Index of currency c (n bytes) in ds->cur (added if new), or -1. */
static int
intern_currency(sp_deals *ds, const char *c, size_t n, sp_error *e)
{
	char q[80];
	size_t i;

	if (n >= sizeof(ds->cur[0]))
		return sp_err_set(e, "currency", "'%s' is not a currency code",
		    sp_err_quote(q, sizeof(q), c, n));
	for (i = 0; i < ds->ncur; i++)
		if (strncmp(ds->cur[i], c, n) == 0 && ds->cur[i][n] == '\0')
			return (int)i;
	{
		char (*v)[8] = realloc(ds->cur, (ds->ncur + 1) * sizeof(*v));
		if (v == NULL)
			return sp_err_set(e, NULL, "out of memory");
		ds->cur = v;
		memcpy(v[ds->ncur], c, n);
		v[ds->ncur][n] = '\0';
	}
	return (int)ds->ncur++;
}

/* The id's entry, created (with its fields unset) if new; NULL: memory. */
static struct hdeal *
hdeal_get(sp_deals *ds, const char *id, size_t idlen, int64_t at)
{
	struct hdeal *h;
	size_t size = sizeof(*h) + (size_t)ds->nl * sizeof(struct latest);
	const char *k;
	size_t kl;
	int i;

	if (ds->last != NULL) {
		k = sp_groups_key(ds->byid, ds->last, &kl);
		if (kl == idlen && memcmp(k, id, idlen) == 0)
			return ds->last;
	}
	if (ds->byid == NULL &&
	    (ds->byid = sp_groups_new(size, NULL)) == NULL)
		return NULL;
	if ((h = sp_groups_get(ds->byid, id, idlen)) == NULL)
		return NULL;
	if (h->cap > 0)
		return ds->last = h;
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 256;
		struct hdeal **o = realloc(ds->order, cap * sizeof(*o));
		if (o == NULL)
			return NULL;
		ds->order = o;
		ds->cap = cap;
	}
	/* a new id: complete only once everything is allocated */
	if (h->v == NULL && (h->v = malloc(4 * sizeof(*h->v))) == NULL)
		return NULL;
	if (ds->o.ngroup > 0 && h->g == NULL &&
	    (h->g = calloc(ds->o.ngroup, sizeof(*h->g))) == NULL)
		return NULL;
	for (i = 0; i < ds->nl; i++)
		h->f[i].at = INT64_MIN;
	h->first_at = h->last_at = at;
	h->cap = 4;
	ds->order[ds->n++] = h;
	return ds->last = h;
}

/* Remember which fields appeared, in input order (SP_NEED_ALL). */
static int
note_fields(sp_deals *ds, const sp_rec *r)
{
	size_t i, n;
	const int *f = sp_reader_fields(ds->rd, &n);

	if (r->nslot > ds->seencap) {
		unsigned char *v = realloc(ds->seen, r->nslot);
		if (v == NULL)
			return -1;
		memset(v + ds->seencap, 0, r->nslot - ds->seencap);
		ds->seen = v;
		ds->seencap = r->nslot;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)f[i] >= r->nslot || ds->seen[f[i]])
			continue;
		ds->seen[f[i]] = 1;
		if (ds->nfields == ds->fieldcap) {
			size_t cap = ds->fieldcap ? ds->fieldcap * 2 : 32;
			int *v = realloc(ds->fields, cap * sizeof(*v));
			if (v == NULL)
				return -1;
			ds->fields = v;
			ds->fieldcap = cap;
		}
		ds->fields[ds->nfields++] = f[i];
	}
	return 0;
}

#define ALL_HEAD 16	/* u32 slot, u32 len, i64 at */

/*
 * Merge the non-empty fields of r (set at `at`) into h->all: a field takes
 * r's value unless the one it has was set at a later `at`.
 */
static int
merge_all(sp_deals *ds, struct hdeal *h, const sp_rec *r, int64_t at)
{
	size_t need = h->alllen, i, o = 0, out = 0;
	unsigned char *m;
	uint32_t slot, len;
	int64_t oat;

	for (i = 0; i < r->nslot; i++)
		if (r->val[i] != NULL && r->len[i] > 0)
			need += ALL_HEAD + r->len[i] + 1;
	if (need > ds->mergecap) {
		size_t cap = need * 2;
		if ((m = realloc(ds->merge, cap)) == NULL)
			return -1;
		ds->merge = m;
		ds->mergecap = cap;
	}
	m = ds->merge;
	for (i = 0; i <= r->nslot; i++) {
		int has = i < r->nslot && r->val[i] != NULL && r->len[i] > 0 &&
		    (int)i != ds->slot[F_AT];
		/* the old values of lower slots, then this slot's */
		while (o < h->alllen) {
			memcpy(&slot, h->all + o, 4);
			memcpy(&len, h->all + o + 4, 4);
			memcpy(&oat, h->all + o + 8, 8);
			if (i < r->nslot && slot > i)
				break;
			if (!(has && slot == i && at >= oat)) {
				memcpy(m + out, h->all + o, ALL_HEAD + len + 1);
				out += ALL_HEAD + len + 1;
			}
			o += ALL_HEAD + len + 1;
			if (slot == i && has && at < oat)
				has = 0;	/* a later value stays */
		}
		if (has) {
			slot = (uint32_t)i;
			len = r->len[i];
			memcpy(m + out, &slot, 4);
			memcpy(m + out + 4, &len, 4);
			memcpy(m + out + 8, &at, 8);
			memcpy(m + out + ALL_HEAD, r->val[i], len);
			m[out + ALL_HEAD + len] = '\0';
			out += ALL_HEAD + len + 1;
		}
	}
	if (out > h->allcap || h->all == NULL) {
		/* room for a few more values: most ids get several records */
		size_t cap = out + out / 2 + 1;
		unsigned char *a;
		if (cap > UINT32_MAX || (a = realloc(h->all, cap)) == NULL)
			return -1;
		h->all = a;
		h->allcap = (uint32_t)cap;
	}
	memcpy(h->all, m, out);
	h->alllen = (uint32_t)out;
	return 0;
}

static int
history_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	const char *id = sp_rec_get(r, ds->slot[F_ID]);
	size_t idlen = sp_rec_len(r, ds->slot[F_ID]), i;
	struct hdeal *h;
	int64_t at;
	int stage = -1, lost = -1, file, cur = -1;
	sp_deal d;

	if (idlen == 0)
		return sp_err_set(e, "id", "missing: a history record needs the "
		    "id of its deal");
	switch (get_time(ds, r, F_AT, &at, e)) {
	case -1:
		return -1;
	case 0:
		return sp_err_set(e, "at", "missing: a history record needs the "
		    "time it became true");
	}
	if (get_stage(ds, r, F_STAGE, &stage, e) < 0 ||
	    get_stage(ds, r, F_LOST_STAGE, &lost, e) < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	if (parse_fields(ds, r, &d, e) < 0)
		return -1;
	if ((ds->o.need & SP_NEED_AMOUNT) && sp_rec_has(r, ds->slot[F_CURRENCY]) &&
	    (cur = intern_currency(ds, sp_rec_get(r, ds->slot[F_CURRENCY]),
	    sp_rec_len(r, ds->slot[F_CURRENCY]), e)) < 0)
		return -1;
	if (ds->o.has_as_of && at > ds->o.as_of)
		return 0;	/* not yet true at --as-of */
	if ((h = hdeal_get(ds, id, idlen, at)) == NULL ||
	    (file = intern_file(ds, r->file)) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (at < h->first_at)
		h->first_at = at;
	if (at > h->last_at)
		h->last_at = at;
	if ((ds->o.need & SP_NEED_ALL) && (note_fields(ds, r) < 0 ||
	    merge_all(ds, h, r, at) < 0))
		return sp_err_set(e, NULL, "out of memory");
	if (ds->o.need & (SP_NEED_ALL | SP_NEED_PUSHES)) {
		if (d.has_close_date) {
			if (h->ncd == h->cdcap) {
				uint32_t cap = h->cdcap ? h->cdcap * 2 : 2;
				int64_t *v = realloc(h->cd, 2 * cap *
				    sizeof(*v));
				if (v == NULL)
					return sp_err_set(e, NULL, "out of memory");
				h->cd = v;
				h->cdcap = cap;
			}
			h->cd[2 * h->ncd] = at;
			h->cd[2 * h->ncd + 1] = d.close_date;
			h->ncd++;
		}
	}
	h->file = (uint32_t)file;
	h->line = r->line;
	if (stage >= 0) {
		if (h->nv == h->cap) {
			int64_t *v = realloc(h->v, 2 * h->cap * sizeof(*v));
			if (v == NULL)
				return sp_err_set(e, NULL, "out of memory");
			h->v = v;
			h->cap *= 2;
		}
		h->v[h->nv++] = at * MAX_STAGES + stage;
	}
	if (d.has_amount)
		keep(ds, h, L_AMOUNT, at, d.amount);
	if (cur >= 0)
		keep(ds, h, L_CURRENCY, at, cur);
	if (d.has_prob)
		keep(ds, h, L_PROB, at, d.prob_bp);
	if (d.has_created)
		keep(ds, h, L_CREATED, at, d.created_at);
	if (d.has_closed)
		keep(ds, h, L_CLOSED, at, d.closed_at);
	if (d.has_close_date)
		keep(ds, h, L_CLOSE_DATE, at, d.close_date);
	if (lost >= 0)
		keep(ds, h, L_LOST_STAGE, at, lost);
	if (d.category >= 0)
		keep(ds, h, L_CATEGORY, at, d.category);
	for (i = 0; i < ds->o.ngroup; i++) {
		int s = ds->o.group_slots[i];
		if (!sp_rec_has(r, s) || (h->g[i].v != NULL && at < h->g[i].at))
			continue;
		free(h->g[i].v);
		if ((h->g[i].v = strdup(sp_rec_get(r, s))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		h->g[i].at = at;
	}
	return 0;
}

int
sp_deals_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	int hist = sp_rec_has(r, ds->slot[F_AT]), rc;

	if (hist && (ds->o.need & SP_NEED_NO_STAGE))
		return sp_err_set(e, "at", "this program reads snapshots, not "
		    "histories (fold it with pipeline first)");
	if (ds->mode == 0) {
		/* the first good record decides: a bad one says nothing */
		rc = hist ? history_add(ds, r, e) : snapshot_add(ds, r, e);
		if (rc == 0)
			ds->mode = hist ? 2 : 1;
		return rc;
	}
	if (ds->mode == 2 && !hist)
		return sp_err_set(e, "at", "missing: the input is a history (its "
		    "first record has 'at'), so every record needs one");
	if (ds->mode == 1 && hist)
		return sp_err_set(e, "at", "unexpected: the input is a snapshot "
		    "(its first record has no 'at'); fold histories with "
		    "pipeline or give them alone");
	return hist ? history_add(ds, r, e) : snapshot_add(ds, r, e);
}

static int64_t
visit_at(int64_t v)
{
	int64_t q = v / MAX_STAGES;

	return q - (v % MAX_STAGES < 0);	/* floor division */
}

static int
visit_stage(int64_t v)
{
	return (int)(v - visit_at(v) * MAX_STAGES);
}

struct tagged {
	int64_t at;
	size_t i;
	int64_t v;
};

static int
cmp_tagged(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Sort visits by `at`, keeping input order among equal times. */
static int
sort_visits(int64_t *v, size_t n)
{
	size_t i, j;
	struct tagged *t;

	for (i = 1; i < n && visit_at(v[i - 1]) <= visit_at(v[i]); i++)
		;
	if (i >= n)
		return 0;	/* the common case: already in order */
	if (n <= 32) {
		for (i = 1; i < n; i++) {
			int64_t x = v[i];
			for (j = i; j > 0 && visit_at(v[j - 1]) > visit_at(x); j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return 0;
	}
	if ((t = malloc(n * sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		t[i].at = visit_at(v[i]);
		t[i].i = i;
		t[i].v = v[i];
	}
	qsort(t, n, sizeof(*t), cmp_tagged);
	for (i = 0; i < n; i++)
		v[i] = t[i].v;
	free(t);
	return 0;
}

/* The kept value of field l, or 0 (and *has 0). */
static int64_t
kept(const sp_deals *ds, const struct hdeal *h, int l, int *has)
{
	const struct latest *f;

	if (ds->lix[l] < 0 || (f = &h->f[ds->lix[l]])->at == INT64_MIN) {
		*has = 0;
		return 0;
	}
	*has = 1;
	return f->v;
}

/* SP_NEED_ALL: the latest values, the last `at` and the pushes of h. */
static int
all_values(sp_deals *ds, struct hdeal *h, sp_deal *d)
{
	size_t o = 0, i;
	uint32_t slot, len;

	if (ds->valcap < ds->seencap) {
		const char **a = realloc(ds->vals, ds->seencap * sizeof(*a));
		if (a == NULL)
			return -1;
		ds->vals = a;
		ds->valcap = ds->seencap;
	}
	for (i = 0; i < ds->seencap; i++)
		ds->vals[i] = NULL;
	while (o < h->alllen) {
		memcpy(&slot, h->all + o, 4);
		memcpy(&len, h->all + o + 4, 4);
		if (slot < ds->seencap)
			ds->vals[slot] = (const char *)h->all + o + ALL_HEAD;
		o += ALL_HEAD + len + 1;
	}
	d->vals = ds->vals;
	d->nvals = ds->seencap;
	d->last_at = h->last_at;
	return 0;
}

/* The close_date records of h in time order (stable): count the moves
 * to a later date. */
static void
count_pushes(struct hdeal *h, sp_deal *d)
{
	size_t i, j;
	int64_t prev, at, v;

	for (i = 1; i < h->ncd; i++) {
		at = h->cd[2 * i];
		v = h->cd[2 * i + 1];
		for (j = i; j > 0 && h->cd[2 * (j - 1)] > at; j--) {
			h->cd[2 * j] = h->cd[2 * (j - 1)];
			h->cd[2 * j + 1] = h->cd[2 * (j - 1) + 1];
		}
		h->cd[2 * j] = at;
		h->cd[2 * j + 1] = v;
	}
	d->pushes = 0;
	d->has_pushes = 1;
	for (i = 1, prev = h->ncd ? h->cd[1] : 0; i < h->ncd; i++) {
		if (h->cd[2 * i + 1] > prev)
			d->pushes++;
		prev = h->cd[2 * i + 1];
	}
}

static int
fold_one(sp_deals *ds, struct hdeal *h, size_t seq, sp_visit **path,
    size_t *pathcap, sp_error *e)
{
	sp_deal d;
	size_t i, n = 0, kl = 0;
	int has, st;
	int64_t v;

	memset(&d, 0, sizeof(d));
	sp_err_clear(e);
	d.id = sp_groups_key(ds->byid, h, NULL);
	d.file = ds->files[h->file];
	d.line = h->line;
	sp_err_where(e, d.file, d.line);
	d.lost_stage = d.max_stage = -1;
	d.seq = seq;
	if (h->nv == 0)
		return sp_err_set(e, "stage", "deal '%.100s' has no stage in its "
		    "history", d.id);
	if (sort_visits(h->v, h->nv) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (*pathcap < h->nv) {
		sp_visit *p = realloc(*path, h->nv * sizeof(*p));
		if (p == NULL)
			return sp_err_set(e, NULL, "out of memory");
		*path = p;
		*pathcap = h->nv;
	}
	for (i = 0; i < h->nv; i++) {
		st = visit_stage(h->v[i]);
		if (n > 0 && (*path)[n - 1].stage == st)
			continue;
		(*path)[n].at = visit_at(h->v[i]);
		(*path)[n].stage = st;
		n++;
		if (ds->st->v[st].kind == SP_OPEN && st > d.max_stage)
			d.max_stage = st;
	}
	d.path = *path;
	d.npath = n;
	d.stage = (*path)[n - 1].stage;
	d.kind = ds->st->v[d.stage].kind;
	d.amount = kept(ds, h, L_AMOUNT, &d.has_amount);
	v = kept(ds, h, L_CURRENCY, &has);
	d.currency = has ? ds->cur[v] : "";
	d.prob_bp = (int)kept(ds, h, L_PROB, &d.has_prob);
	d.created_at = kept(ds, h, L_CREATED, &has);
	if (!has)
		d.created_at = h->first_at;
	d.has_created = 1;
	d.close_date = kept(ds, h, L_CLOSE_DATE, &d.has_close_date);
	if (d.kind != SP_OPEN) {
		/* closed_at counts only if set since the deal last closed */
		d.has_closed = 1;
		d.closed_at = (*path)[n - 1].at;
		if (ds->lix[L_CLOSED] >= 0 &&
		    h->f[ds->lix[L_CLOSED]].at >= (*path)[n - 1].at)
			d.closed_at = h->f[ds->lix[L_CLOSED]].v;
	}
	if (d.kind == SP_LOST) {
		v = kept(ds, h, L_LOST_STAGE, &has);
		if (has)
			d.lost_stage = (int)v;
		else
			for (i = n; i-- > 0;)
				if (ds->st->v[(*path)[i].stage].kind ==
				    SP_OPEN) {
					d.lost_stage = (*path)[i].stage;
					break;
				}
	}
	/* the group key from the latest value of each group field */
	for (i = 0; i < ds->o.ngroup; i++) {
		const char *g = h->g[i].v ? h->g[i].v : "";
		size_t l = strlen(g);
		if (kl + l + 2 > ds->keycap) {
			size_t cap = (kl + l + 2) * 2;
			char *b = realloc(ds->keybuf, cap);
			if (b == NULL)
				return sp_err_set(e, NULL, "out of memory");
			ds->keybuf = b;
			ds->keycap = cap;
		}
		if (i > 0)
			ds->keybuf[kl++] = SP_KEY_SEP;
		memcpy(ds->keybuf + kl, g, l);
		kl += l;
	}
	if (ds->keybuf == NULL && (ds->keybuf = malloc(ds->keycap = 64)) ==
	    NULL)
		return sp_err_set(e, NULL, "out of memory");
	ds->keybuf[kl] = '\0';
	d.key = ds->keybuf;
	d.keylen = kl;
	if ((ds->o.need & SP_NEED_ALL) && all_values(ds, h, &d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (ds->o.need & SP_NEED_ALL) {
		d.fields = ds->fields;
		d.nfields = ds->nfields;
	}
	if (ds->o.need & (SP_NEED_ALL | SP_NEED_PUSHES))
		count_pushes(h, &d);
	v = kept(ds, h, L_CATEGORY, &has);
	d.category = has ? (int)v : -1;
	if (convert(ds, &d, e) < 0)
		return -1;
	return ds->o.fn(ds->o.ctx, &d, e);
}

int
sp_deals_finish(sp_deals *ds, void (*bad)(void *ctx, const sp_error *e),
    void *badctx, sp_error *e)
{
	sp_visit *path = NULL;
	size_t i, cap = 0;
	int rc = 0;

	for (i = 0; i < ds->n; i++) {
		if (fold_one(ds, ds->order[i], i, &path, &cap, e) < 0) {
			if (bad == NULL) {
				rc = -1;
				break;
			}
			bad(badctx, e);
		}
	}
	free(path);
	return rc;
}

int
sp_deal_reached(const sp_stages *st, const sp_deal *d)
{
	int top = d->max_stage;

	if (d->kind == SP_OPEN && d->stage > top)
		top = d->stage;
	if (d->kind == SP_LOST && d->lost_stage >= 0 &&
	    st->v[d->lost_stage].kind == SP_OPEN && d->lost_stage > top)
		top = d->lost_stage;
	if (top < 0 && d->kind == SP_LOST)
		top = sp_stages_first_open(st);
	return top;
}

static int
id_in(void *arg, const char *key, size_t keylen, void *state)
{
	const sp_deals *a = arg;

	(void)state;
	return sp_groups_find(a->seen_ids, key, keylen) != NULL;
}

int
sp_deals_ids_overlap(const sp_deals *a, const sp_deals *b)
{
	if (a->seen_ids == NULL || b->seen_ids == NULL)
		return 0;
	return sp_groups_each(b->seen_ids, id_in, (void *)a);
}

void
sp_deals_absorb(sp_deals *into, const sp_deals *from)
{
	into->nprob += from->nprob;
	if (from->prob_max > into->prob_max)
		into->prob_max = from->prob_max;
}
