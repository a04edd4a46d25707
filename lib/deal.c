/*
 * deal: one reading of "a deal" for every program.  Snapshot records are
 * turned into deals one by one; history records are folded per id (the
 * stage path sorted by `at`, input order breaking ties, and for every
 * other field the value with the latest `at`), so an unsorted export folds
 * the same as a sorted one.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/deal.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/idset.h"

enum { F_ID, F_AT, F_STAGE, F_AMOUNT, F_CURRENCY, F_CREATED, F_CLOSED,
	F_CLOSE_DATE, F_PROB, F_LOST_STAGE, F_REACHED, F_CATEGORY, F_PUSHES,
	F_PIPELINE, F_STATUS, F_WON_AT, F_LOST_AT, NF };
static const char *const fname[NF] = { "id", "at", "stage", "amount",
	"currency", "created_at", "closed_at", "close_date", "probability",
	"lost_stage", "reached_stage", "forecast_category",
	"close_date_pushes", "pipeline", "status", "won_at", "lost_at" };

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
	L_LOST_STAGE, L_CATEGORY,
	/* SP_NEED_FROM: the same fields as of sp_deals_opts.from (then) */
	L_THEN_STAGE, L_THEN_AMOUNT, L_THEN_CURRENCY, L_THEN_CLOSE_DATE, NL };

struct gval {
	int64_t at;
	const char *v;		/* interned in sp_deals.gpool; NULL: unset */
};

/*
 * The history's memory.  A history of millions of deals is ordinary, so
 * per id the fold keeps a 48-byte entry (struct hdeal, in pages of PAGE
 * entries numbered in order of first appearance), the id's bytes in an
 * arena, a 4-byte slot of the id table (at most half full), the visits in
 * a chunk of the slab, and of the other fields only those the program
 * needs and the input carries (struct latest, in per-field pages made
 * when a deal of the page first has the field).  About 110 bytes a deal
 * of four stage changes; salespipe(7) gives the figures.
 */
struct hdeal {
	const char *key;	/* the id, NUL-terminated, in the arena */
	int64_t *v;		/* visits: at * MAX_STAGES + stage, input
				   order; a slab chunk of vcap(nv) */
	uint32_t keylen;
	uint32_t nv;
	uint32_t file;		/* index into sp_deals.files */
	int64_t line;		/* last record of the id */
	int64_t first_at;
};

/* SP_NEED_ALL, SP_NEED_PUSHES or -g: more per id, in pages beside. */
struct hext {
	int64_t last_at;
	struct gval *g;		/* per -g field, ngroup of them */
	unsigned char *all;	/* SP_NEED_ALL: the latest value of each
				   field, sorted by slot, each as u32 slot,
				   u32 len, i64 at, len bytes and a NUL; a
				   slab chunk of allcap bytes */
	int64_t *cd;		/* close_date records, (at, date) pairs in
				   input order; a slab chunk */
	uint32_t alllen, allcap;
	uint32_t ncd;
};

#define PAGE_BITS 12
#define PAGE ((uint32_t)1 << PAGE_BITS)
#define NCLASS 120		/* slab size classes: 16 bytes x 1.5 x 4/3 ... */

/* Arena blocks: the ids' bytes and the slab's chunks, freed at the end. */
struct ablock {
	struct ablock *next;
	size_t used, size;
	int64_t data[];
};

#define ABLOCK ((size_t)1 << 20)

#define MAX_STAGES SP_STAGES_MAX	/* visits pack at * MAX + stage */

struct sp_deals {
	sp_reader *rd;
	sp_stages *st;
	sp_deals_opts o;
	int slot[NF];
	int mode;		/* 0 unknown, 1 snapshot, 2 history */
	int lix[NL];		/* 0 when the program keeps field l, or -1 */
	/* the history (see struct hdeal) */
	struct hdeal **hpage;	/* pages of entries */
	struct hext **xpage;	/* with has_ext: beside them */
	struct latest **kpage[NL];	/* kept fields: NULL until used */
	size_t npage, pagecap;
	uint32_t n;		/* ids */
	uint64_t *slots;	/* id table: hash << 32 | entry + 1; 0 empty */
	size_t nslots;		/* a power of two, or 0 */
	int unsorted;		/* 0 while each new id came after every
				   earlier one (bytewise): no id table is
				   needed until one does not */
	uint32_t last;		/* the previous record's id + 1: exports
				   keep an id's records together, so this
				   saves most lookups */
	uint32_t skip;		/* leading entries handed to the part
				   before (sp_deals_take_first) */
	size_t seq_base;	/* sp_deal.seq of the first entry kept */
	int has_ext;
	struct ablock *arena;
	size_t nablock;		/* blocks in it */
	void *sfree[NCLASS];	/* freed slab chunks, by class */
	sp_groups *gpool;	/* -g values, interned */
	char *keybuf;
	size_t keycap;
	char **files;		/* names of the inputs, for places */
	size_t nfiles;
	char (*cur)[8];		/* currencies seen, for L_CURRENCY */
	size_t ncur;
	/* SP_NEED_ALL */
	int *fields;		/* slots in order of first appearance */
	size_t nfields, fieldcap;
	unsigned char *seen;	/* by slot */
	size_t seencap;
	const char **vals;	/* by slot, for the deal being handed on */
	size_t valcap;
	unsigned char *changed;	/* two snapshots: by slot (sp_deal.changed) */
	unsigned char *rbuf;	/* a record's values (rec_values) */
	size_t rbufcap;
	int *infields;		/* the reader's fields as last seen, */
	int *sorted;		/* and the same slots in order (rec_values) */
	size_t ninfields, nsorted, infieldcap;
	int snap;		/* a snapshot: its ids are in ids (where
				   each was listed, to refuse a repeat) */
	sp_idset *ids;
	sp_idkey idkey;		/* the record's, snapshot_repeat to _note */
	int64_t nprob;		/* probabilities read, */
	int prob_max;		/* and the largest (bp) */
	sp_deal_then then;	/* SP_NEED_FROM: the deal being handed on */
};

/*
 * A block of the fold's memory (arena blocks, pages of entries): mapped
 * zeroed and, where the system can, filled in at once (MAP_POPULATE).  A
 * history of a million deals takes over 200 MB, and a fault for each 4 KB
 * as it is first touched was a tenth of pipeline's time on 1M deals
 * (2.84 s to 2.50 s; the blocks are written soon after anyway).  NULL:
 * memory.
 */
#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif

static void *
block_get(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A block of HUGE bytes at a HUGE boundary, asked to be one huge page
 * (transparent huge pages, where the system gives them): the fold of a
 * big history walks hundreds of megabytes, and with 4 KB pages a fifth
 * of its CPU went to missing the TLB and to 600 unmappings at the end
 * (pipeline on 1M deals: 1.56 s of CPU, 1.23 s on huge pages).  Filled
 * in at once where the system can (MADV_POPULATE_WRITE, Linux 5.14),
 * else as it is touched.  The arena's first blocks are small ones: a
 * small input keeps a small footprint.  NULL: memory.
 */
#define HUGE ((size_t)2 << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static void *
huge_get(void)
{
	char *q = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0), *a;

	if (q == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)q + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (a > q)
		munmap(q, (size_t)(a - q));
	if (a + HUGE < q + 2 * HUGE)
		munmap(a + HUGE, (size_t)(q + 2 * HUGE - (a + HUGE)));
#ifdef MADV_HUGEPAGE
	(void)madvise(a, HUGE, MADV_HUGEPAGE);
#endif
	(void)madvise(a, HUGE, MADV_POPULATE_WRITE);
	return a;
}

/* Unmap block p of size bytes (p may be NULL). */
static void
block_put(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

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
	if (need & SP_NEED_AMOUNT)	/* a currency is an amount's */
		rc |= sp_reader_use(ds->rd, ds->slot[F_CURRENCY]);
	if (!(need & SP_NEED_NO_STAGE)) {
		rc |= sp_reader_require(ds->rd, ds->slot[F_STAGE]);
		rc |= sp_reader_use(ds->rd, ds->slot[F_LOST_STAGE]);
		rc |= sp_reader_use(ds->rd, ds->slot[F_REACHED]);
		if (!ds->o.leads)
			rc |= sp_reader_use(ds->rd, ds->slot[F_STATUS]);
		if (ds->st->npipes > 0)
			rc |= sp_reader_use(ds->rd, ds->slot[F_PIPELINE]);
	}
	if (need & SP_NEED_AMOUNT)
		rc |= sp_reader_use(ds->rd, ds->slot[F_AMOUNT]);
	if (need & SP_NEED_PROB)
		rc |= sp_reader_use(ds->rd, ds->slot[F_PROB]);
	if (need & SP_NEED_CREATED)
		rc |= sp_reader_use(ds->rd, ds->slot[F_CREATED]);
	if (need & (SP_NEED_CLOSED | SP_NEED_CLOSE_DATE))
		rc |= sp_reader_use(ds->rd, ds->slot[F_CLOSE_DATE]);
	if (need & SP_NEED_CLOSED) {
		rc |= sp_reader_use(ds->rd, ds->slot[F_CLOSED]);
		if (!ds->o.leads) {
			rc |= sp_reader_use(ds->rd, ds->slot[F_WON_AT]);
			rc |= sp_reader_use(ds->rd, ds->slot[F_LOST_AT]);
		}
	}
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
	if (o->need & SP_NEED_RECORDS)
		ds->o.need |= SP_NEED_NO_STAGE;
	/* dated rates: the date of every deal decides its rate */
	if ((o->need & SP_NEED_AMOUNT) && o->rates != NULL &&
	    sp_rates_dated(o->rates))
		ds->o.need |= SP_NEED_CREATED | SP_NEED_CLOSED |
		    SP_NEED_CLOSE_DATE;
	o = &ds->o;
	for (i = 0; i < NL; i++)
		ds->lix[i] = -1;
	if (o->need & SP_NEED_AMOUNT) {
		ds->lix[L_AMOUNT] = 0;
		ds->lix[L_CURRENCY] = 0;
	}
	if (o->need & SP_NEED_PROB)
		ds->lix[L_PROB] = 0;
	if (o->need & SP_NEED_CREATED)
		ds->lix[L_CREATED] = 0;
	if (o->need & SP_NEED_CLOSED)
		ds->lix[L_CLOSED] = 0;
	if (o->need & (SP_NEED_CLOSED | SP_NEED_CLOSE_DATE))
		ds->lix[L_CLOSE_DATE] = 0;
	ds->lix[L_LOST_STAGE] = 0;
	if (o->need & SP_NEED_CATEGORY)
		ds->lix[L_CATEGORY] = 0;
	if (o->need & SP_NEED_FROM) {
		ds->lix[L_THEN_STAGE] = 0;
		ds->lix[L_THEN_AMOUNT] = ds->lix[L_AMOUNT];
		ds->lix[L_THEN_CURRENCY] = ds->lix[L_CURRENCY];
		ds->lix[L_THEN_CLOSE_DATE] = ds->lix[L_CLOSE_DATE];
	}
	ds->has_ext = (o->need & (SP_NEED_ALL | SP_NEED_PUSHES)) ||
	    o->ngroup > 0;
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

int
sp_deals_prob_doubt(const sp_deals *ds)
{
	return ds->o.prob_scale != 1 && ds->nprob > 0 && ds->prob_max > 0 &&
	    ds->prob_max <= 100;
}

void
sp_deals_free(sp_deals *ds)
{
	struct ablock *b;
	size_t i;
	int l;

	if (ds == NULL)
		return;
	/* the pages of entries are the arena's */
	free(ds->hpage);
	free(ds->xpage);
	for (l = 0; l < NL; l++)
		free(ds->kpage[l]);
	free(ds->slots);
	sp_idset_free(ds->ids);
	while ((b = ds->arena) != NULL) {
		ds->arena = b->next;
		block_put(b, sizeof(*b) + b->size);
	}
	sp_groups_free(ds->gpool, NULL);
	free(ds->keybuf);
	for (i = 0; i < ds->nfiles; i++)
		free(ds->files[i]);
	free(ds->files);
	free(ds->cur);
	free(ds->fields);
	free(ds->seen);
	free(ds->vals);
	free(ds->rbuf);
	free(ds->infields);
	free(ds->sorted);
	free(ds->changed);
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

/*
 * The stage in field f of r into *stage: 1, 0 when empty, -1 bad.  With
 * pipelines in the list, among the stages of r's pipeline (any when r
 * names none).
 */
static int
get_stage(sp_deals *ds, const sp_rec *r, int f, int *stage, sp_error *e)
{
	char q[80], q2[80], known[512];
	const char *s = sp_rec_get(r, ds->slot[f]), *pv;
	size_t n = sp_rec_len(r, ds->slot[f]), pn;
	int p = -1;

	if (n == 0)
		return 0;
	if (ds->st->npipes > 0 && sp_rec_has(r, ds->slot[F_PIPELINE])) {
		pv = sp_rec_get(r, ds->slot[F_PIPELINE]);
		pn = sp_rec_len(r, ds->slot[F_PIPELINE]);
		if ((p = sp_stages_pipeline(ds->st, pv, pn)) < 0)
			return sp_err_set(e, "pipeline", "'%s' has no stage list "
			    "(pipelines: %s; more pipelines: a stage file's "
			    "pipeline column)", sp_err_quote(q, sizeof(q), pv,
			    pn), sp_stages_known_in(ds->st, -1, known,
			    sizeof(known)));
	}
	if ((*stage = sp_stages_find_in(ds->st, p, s, n)) >= 0)
		return 1;
	if (*stage == -2)
		return sp_err_set(e, fname[f], "'%s' is a stage of several "
		    "pipelines (%s): the record needs its pipeline",
		    sp_err_quote(q, sizeof(q), s, n), sp_stages_known_in(ds->st,
		    -1, known, sizeof(known)));
	if (p >= 0)
		return sp_err_set(e, fname[f], "unknown stage '%s' in pipeline "
		    "'%s' (its stages: %s)", sp_err_quote(q, sizeof(q), s, n),
		    sp_err_quote(q2, sizeof(q2), ds->st->pipes[p].label,
		    strlen(ds->st->pipes[p].label)), sp_stages_known_in(ds->st,
		    p, known, sizeof(known)));
	return sp_err_set(e, fname[f], "unknown stage '%s' (known: %s)",
	    sp_err_quote(q, sizeof(q), s, n), sp_stages_known(ds->st));
}

/*
 * A record's status field (open, won, lost: a CRM that keeps the outcome
 * apart from the stage, as Pipedrive does) decides its kind: a deal won or
 * lost at an open stage *stage is in the first won or lost stage of its
 * pipeline, *from then being the open one it reached (won) or was lost
 * from (lost).  Returns 1 when it moved *stage, 0 when not (no status, no
 * stage, leads, or one that agrees), -1 bad.
 */
static int
status_stage(sp_deals *ds, const sp_rec *r, int *stage, int *from,
    sp_error *e)
{
	char q[80], known[512];
	const char *v = sp_rec_get(r, ds->slot[F_STATUS]);
	size_t n = sp_rec_len(r, ds->slot[F_STATUS]);
	const sp_stage *cur;
	int kind, to;

	if (n == 0 || ds->o.leads || *stage < 0)
		return 0;
	cur = &ds->st->v[*stage];
	sp_err_quote(q, sizeof(q), v, n);
	if (n > 8 || (kind = sp_stage_kind_parse(q)) < 0)
		return sp_err_set(e, "status", "'%s' is not open, won or lost",
		    q);
	if (kind == cur->kind)
		return 0;
	if (cur->kind != SP_OPEN)
		return sp_err_set(e, "status", "'%s', but stage '%s' is %s", q,
		    cur->name, sp_stage_kind_name(cur->kind));
	if ((to = sp_stages_first_of(ds->st, *stage, kind)) < 0)
		return sp_err_set(e, "status", "'%s', but %s%s%s has no %s stage "
		    "(stages: %s)", q, cur->pipeline >= 0 ? "pipeline '" :
		    "the stage list", cur->pipeline >= 0 ?
		    ds->st->pipes[cur->pipeline].label : "", cur->pipeline >= 0 ?
		    "'" : "", sp_stage_kind_name(kind), cur->pipeline >= 0 ?
		    sp_stages_known_in(ds->st, cur->pipeline, known,
		    sizeof(known)) : sp_stages_known(ds->st));
	*from = *stage;
	*stage = to;
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

/* r's id's key into ds->idkey, and its slot on its way into the cache. */
static void
snapshot_key(sp_deals *ds, const sp_rec *r)
{
	size_t n = sp_rec_len(r, ds->slot[F_ID]);

	if (n == 0)
		return;
	sp_idset_key(sp_rec_get(r, ds->slot[F_ID]), n, &ds->idkey);
	if (ds->ids != NULL)
		sp_idset_prefetch(ds->ids, &ds->idkey);
}

/*
 * A snapshot lists a deal once: 0 when r's id (its key from snapshot_key)
 * is new (or r has none), -1 with e set when an earlier good record had
 * it.
 */
static int
snapshot_repeat(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	char q[80];
	size_t n = sp_rec_len(r, ds->slot[F_ID]);
	uint32_t file;
	int64_t line;
	int twice;

	if (n == 0)
		return 0;
	if (ds->ids == NULL || !sp_idset_find(ds->ids, &ds->idkey, &file,
	    &line))
		return 0;
	/* the same file given twice: its lines come round again */
	twice = strcmp(ds->files[file], r->file) == 0 && r->line <= line;
	sp_err_set(e, "id", "'%s' is listed again: first at %s:%lld (kept); "
	    "a snapshot has one record per deal%s", sp_err_quote(q, sizeof(q),
	    sp_rec_get(r, ds->slot[F_ID]), n), ds->files[file],
	    (long long)line, twice ? " (is the file given twice?)" : "");
	if (e != NULL)
		e->code = SP_ERR_REPEATED_ID;
	return -1;
}

/* Remember where r's id (its key from snapshot_key) was listed; -1
 * when out of memory. */
static int
snapshot_note(sp_deals *ds, const sp_rec *r)
{
	int f;

	if (sp_rec_len(r, ds->slot[F_ID]) == 0)
		return 0;
	ds->snap = 1;
	if (ds->ids == NULL) {
		if ((ds->ids = sp_idset_new()) == NULL)
			return -1;
		sp_idset_set_budget(ds->ids, ds->o.id_memory);
	}
	errno = ENOMEM;
	if ((f = intern_file(ds, r->file)) < 0 ||
	    sp_idset_add(ds->ids, &ds->idkey, sp_rec_get(r, ds->slot[F_ID]),
	    sp_rec_len(r, ds->slot[F_ID]), (uint32_t)f, r->line, NULL,
	    NULL) < 0)
		return -1;
	return 0;
}

/*
 * A snapshot deal as of ds->o.as_of: 0 when it is known then (a deal that
 * closed later made open of unknown stage, with SP_NEED_AS_OF_OPEN), else
 * why it is left out (SP_LEFT_*).  A created_at or close time equal to
 * as_of is at or before it.
 */
int
sp_deal_state_at(const sp_stages *st, const sp_deal *d, int64_t t)
{
	size_t i;

	if (d->has_created && d->created_at > t)
		return -SP_LEFT_CREATED_AFTER;
	if (d->path != NULL) {
		for (i = d->npath; i > 0; i--)
			if (d->path[i - 1].at <= t)
				return st->v[d->path[i - 1].stage].kind;
		return SP_OPEN;
	}
	if (d->kind == SP_OPEN)
		return SP_OPEN;
	if (!d->has_closed)
		return -SP_LEFT_NO_CLOSE_TIME;
	return d->closed_at <= t ? d->kind : SP_OPEN;
}

const char *
sp_deal_cycle(const sp_deal *d, int64_t *secs)
{
	if (!d->has_created)
		return "no created_at";
	if (!d->has_closed)
		return "no close time";
	*secs = d->closed_at - d->created_at;
	return NULL;
}

static int
snapshot_as_of(const sp_deals *ds, sp_deal *d)
{
	int k = sp_deal_state_at(ds->st, d, ds->o.as_of);

	if (k < 0)
		return -k;
	if (k == d->kind)
		return 0;	/* open, or closed by then */
	if (!(ds->o.need & SP_NEED_AS_OF_OPEN))
		return SP_LEFT_CLOSED_AFTER;
	d->kind = SP_OPEN;
	d->stage = d->max_stage = d->lost_stage = -1;
	d->has_closed = d->has_close_date = 0;
	d->as_of_open = 1;
	return 0;
}

/* A snapshot record's deal into *dp (its fields read and checked). */
static int
snapshot_read(sp_deals *ds, const sp_rec *r, sp_deal *dp, sp_error *e)
{
	sp_deal d;
	size_t kl;
	int k, need, from;

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
		if ((k = status_stage(ds, r, &d.stage, &from, e)) < 0)
			return -1;
		if (k > 0 && ds->st->v[d.stage].kind == SP_WON)
			d.max_stage = from;
		else if (k > 0)
			d.lost_stage = from;
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
	/* the outcome's own time (Pipedrive's won and lost times) */
	if (d.kind != SP_OPEN && !d.has_closed && !ds->o.leads &&
	    ((ds->o.need & SP_NEED_CLOSED) || ds->o.has_as_of) &&
	    (k = get_time(ds, r, d.kind == SP_WON ? F_WON_AT : F_LOST_AT,
	    &d.closed_at, e)) != 0) {
		if (k < 0)
			return -1;
		d.has_closed = 1;
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
	*dp = d;
	return 0;
}

static int
snapshot_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	sp_deal d;
	int k;

	/* the id's slot is fetched from memory while the fields are read;
	   a repeat is the record's fault whatever else is wrong with it */
	snapshot_key(ds, r);
	k = snapshot_read(ds, r, &d, e);
	if (snapshot_repeat(ds, r, e) < 0 || k < 0)
		return -1;
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
	if (snapshot_note(ds, r) < 0) {
		if (errno == ENOMEM)
			return sp_err_set(e, NULL, "out of memory");
		return sp_err_set(e, NULL, "the ids' temporary file (see "
		    "SALESPIPE_ID_MEMORY): %s", strerror(errno));
	}
	return 0;
}

/* SP_NEED_RECORDS: r handed on as it is, one record, one call. */
static int
records_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	sp_deal d;
	int as_of = ds->o.has_as_of;

	ds->o.has_as_of = 0;	/* the program's own time rule */
	if (snapshot_read(ds, r, &d, e) < 0) {
		ds->o.has_as_of = as_of;
		return -1;
	}
	ds->o.has_as_of = as_of;
	ds->mode = 1;
	if (d.has_amount && d.currency[0] != '\0' &&
	    intern_currency(ds, d.currency, strlen(d.currency), e) < 0)
		return -1;
	if (convert(ds, &d, e) < 0)
		return -1;
	return ds->o.fn(ds->o.ctx, &d, e);
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

/* n bytes (8-aligned) that live until sp_deals_free; NULL: memory. */
static void *
arena_get(sp_deals *ds, size_t n)
{
	struct ablock *b = ds->arena;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < n) {
		/* a big fold's blocks are huge pages (huge_get), after the
		   first few MB a small one takes */
		size_t size = n > ABLOCK ? n : ABLOCK;
		if (ds->nablock >= 4 && n <= HUGE - sizeof(*b)) {
			size = HUGE - sizeof(*b);
			b = huge_get();
		} else
			b = block_get(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = ds->arena;
		ds->arena = b;
		ds->nablock++;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/* The slab's size class of n bytes (16, 24, 32, 48, 64, 96, ...). */
static size_t
sclass(size_t n, int *ix)
{
	size_t p, c;
	int k, i;

	if (n <= 16) {
		c = 16;
		i = 0;
	} else {
		/* p, the power of two below n: the classes up to 2p are
		   p + p/2 (index 2(k-4)+1) and 2p (index 2(k-3)) */
		k = 63 - __builtin_clzll((unsigned long long)(n - 1));
		p = (size_t)1 << k;
		c = n <= p + p / 2 ? p + p / 2 : 2 * p;
		i = n <= p + p / 2 ? 2 * (k - 4) + 1 : 2 * (k - 3);
	}
	if (ix != NULL)
		*ix = i;
	return c;
}

/* A chunk of at least n bytes (its class); NULL: memory. */
static void *
slab_get(sp_deals *ds, size_t n)
{
	int i;
	size_t c = sclass(n, &i);
	void *p;

	if (i < NCLASS && (p = ds->sfree[i]) != NULL) {
		memcpy(&ds->sfree[i], p, sizeof(p));
		return p;
	}
	return arena_get(ds, c);
}

/* Give back chunk p of class size c (p may be NULL). */
static void
slab_put(sp_deals *ds, void *p, size_t c)
{
	int i;

	if (p == NULL)
		return;
	sclass(c, &i);
	if (i >= NCLASS)
		return;		/* kept in the arena until the end */
	memcpy(p, &ds->sfree[i], sizeof(p));
	ds->sfree[i] = p;
}

static struct hdeal *
hd(const sp_deals *ds, uint32_t i)
{
	return &ds->hpage[i >> PAGE_BITS][i & (PAGE - 1)];
}

static struct hext *
hx(const sp_deals *ds, uint32_t i)
{
	return &ds->xpage[i >> PAGE_BITS][i & (PAGE - 1)];
}

/* Kept field l of entry i: NULL when never set (and not create). */
static struct latest *
latest_of(sp_deals *ds, int l, uint32_t i, int create)
{
	struct latest *p;
	uint32_t k;

	if (ds->kpage[l] == NULL || (p = ds->kpage[l][i >> PAGE_BITS]) ==
	    NULL) {
		if (!create)
			return NULL;
		if (ds->kpage[l] == NULL && (ds->kpage[l] =
		    calloc(ds->pagecap, sizeof(*ds->kpage[l]))) == NULL)
			return NULL;
		if ((p = arena_get(ds, PAGE * sizeof(*p))) == NULL)
			return NULL;
		for (k = 0; k < PAGE; k++)
			p[k].at = INT64_MIN;
		ds->kpage[l][i >> PAGE_BITS] = p;
	}
	return &p[i & (PAGE - 1)];
}

/* Room for entry ds->n: a new page when needed.  -1: memory. */
static int
page_room(sp_deals *ds)
{
	size_t cap, l;

	if (ds->n >> PAGE_BITS < ds->npage)
		return 0;
	if (ds->npage == ds->pagecap) {
		cap = ds->pagecap ? 2 * ds->pagecap : 16;
		void *v;
		if ((v = realloc(ds->hpage, cap * sizeof(*ds->hpage))) == NULL)
			return -1;
		ds->hpage = v;
		if (ds->has_ext && !ds->snap) {
			if ((v = realloc(ds->xpage, cap *
			    sizeof(*ds->xpage))) == NULL)
				return -1;
			ds->xpage = v;
		}
		for (l = 0; l < NL; l++) {
			if (ds->kpage[l] == NULL)
				continue;
			if ((v = realloc(ds->kpage[l], cap *
			    sizeof(*ds->kpage[l]))) == NULL)
				return -1;
			ds->kpage[l] = v;
			memset(ds->kpage[l] + ds->pagecap, 0, (cap - ds->pagecap) *
			    sizeof(*ds->kpage[l]));
		}
		ds->pagecap = cap;
	}
	/* zeroed, as the arena's memory is until it is handed out */
	if ((ds->hpage[ds->npage] = arena_get(ds, PAGE *
	    sizeof(struct hdeal))) == NULL)
		return -1;
	if (ds->has_ext && !ds->snap && (ds->xpage[ds->npage] = arena_get(ds,
	    PAGE * sizeof(struct hext))) == NULL)
		return -1;	/* the hpage stays the arena's */
	ds->npage++;
	return 0;
}

/*
 * The id table's slot for id (its entry's, or the empty one to fill).  A
 * slot holds the id's hash above its entry number + 1, so that probing
 * rarely touches an entry it does not want.
 */
static uint64_t *
id_slot(const sp_deals *ds, const char *id, size_t n, uint32_t hash)
{
	size_t j, mask = ds->nslots - 1;
	const struct hdeal *h;
	uint64_t v;

	for (j = hash & mask; (v = ds->slots[j]) != 0; j = (j + 1) & mask) {
		if ((uint32_t)(v >> 32) != hash)
			continue;
		h = hd(ds, (uint32_t)v - 1);
		if (h->keylen == n && memcmp(h->key, id, n) == 0)
			break;
	}
	return &ds->slots[j];
}

static int
id_grow(sp_deals *ds)
{
	size_t cap = ds->nslots ? 2 * ds->nslots : 1024, i, j;
	uint64_t *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (i = 0; i < ds->nslots; i++) {
		if (ds->slots[i] == 0)
			continue;
		for (j = (ds->slots[i] >> 32) & (cap - 1); s[j] != 0;
		    j = (j + 1) & (cap - 1))
			;
		s[j] = ds->slots[i];
	}
	free(ds->slots);
	ds->slots = s;
	ds->nslots = cap;
	return 0;
}

/*
 * The id table, built from the entries: the first id that does not come
 * after every earlier one needs it.  An export sorted by id (the usual
 * layout of an opportunity history) never does, and spares the table's
 * memory and a cache miss for every deal.
 */
static int
id_table(sp_deals *ds)
{
	size_t cap = 1024, j;
	uint32_t i, hash;
	uint64_t *s;
	const struct hdeal *h;

	while (cap < 2 * ((size_t)ds->n + 1))
		cap *= 2;
	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return -1;
	for (i = 0; i < ds->n; i++) {
		h = hd(ds, i);
		hash = (uint32_t)sp_hash(h->key, h->keylen);
		for (j = hash & (cap - 1); s[j] != 0; j = (j + 1) & (cap - 1))
			;
		s[j] = (uint64_t)hash << 32 | (uint64_t)(i + 1);
	}
	free(ds->slots);
	ds->slots = s;
	ds->nslots = cap;
	ds->unsorted = 1;
	return 0;
}

/* Whether id comes after the newest entry's id, bytewise (while the ids
 * are sorted, the newest is the greatest). */
static int
id_after_newest(const sp_deals *ds, const char *id, size_t n)
{
	const struct hdeal *t = hd(ds, ds->n - 1);
	int c = memcmp(id, t->key, n < t->keylen ? n : t->keylen);

	return c > 0 || (c == 0 && n > t->keylen);
}

/*
 * The id's entry number in *ix, created (fields unset, first and last at
 * `at`; the id copied into the arena, or with borrow its bytes and NUL
 * taken as they are: they live as long as ds) if new, and then *isnew 1.
 * -1: memory.
 */
static int
hdeal_add(sp_deals *ds, const char *id, size_t idlen, int64_t at,
    uint32_t *ix, int borrow, int *isnew)
{
	struct hdeal *h;
	struct hext *x;
	uint32_t hash = 0;
	uint64_t *s = NULL;
	char *k;

	*isnew = 0;
	if (ds->last != 0) {
		h = hd(ds, ds->last - 1);
		if (h->keylen == idlen && memcmp(h->key, id, idlen) == 0) {
			*ix = ds->last - 1;
			return 0;
		}
	}
	if (!ds->unsorted && ds->n > 0 && !id_after_newest(ds, id, idlen) &&
	    id_table(ds) < 0)
		return -1;
	if (ds->unsorted) {
		if ((size_t)(ds->n + 1) * 2 > ds->nslots && id_grow(ds) < 0)
			return -1;
		hash = (uint32_t)sp_hash(id, idlen);
		s = id_slot(ds, id, idlen, hash);
		if (*s != 0) {
			*ix = (uint32_t)*s - 1;
			ds->last = *ix + 1;
			return 0;
		}
	}
	if (ds->n >= UINT32_MAX - 1 || idlen >= UINT32_MAX)
		return -1;
	if (page_room(ds) < 0)
		return -1;
	if (borrow)
		k = (char *)id;
	else if ((k = arena_get(ds, idlen + 1)) == NULL)
		return -1;
	else {
		memcpy(k, id, idlen);
		k[idlen] = '\0';
	}
	h = hd(ds, ds->n);
	memset(h, 0, sizeof(*h));
	h->key = k;
	h->keylen = (uint32_t)idlen;
	h->first_at = at;
	if (ds->has_ext && !ds->snap) {
		x = hx(ds, ds->n);
		x->last_at = at;
		if (ds->o.ngroup > 0 && (x->g = arena_get(ds, ds->o.ngroup *
		    sizeof(*x->g))) == NULL)
			return -1;
		if (x->g != NULL)
			memset(x->g, 0, ds->o.ngroup * sizeof(*x->g));
	}
	if (s != NULL)
		*s = (uint64_t)hash << 32 | (uint64_t)(ds->n + 1);
	*ix = ds->n++;
	ds->last = *ix + 1;
	*isnew = 1;
	return 0;
}

/* Keep value v of field l set at `at` for entry i: a later `at` wins,
 * and of equal ones the later record. */
static int
keep(sp_deals *ds, uint32_t i, int l, int64_t at, int64_t v)
{
	struct latest *f;

	if (ds->lix[l] < 0)
		return 0;
	if ((f = latest_of(ds, l, i, 1)) == NULL)
		return -1;
	if (at >= f->at) {
		f->at = at;
		f->v = v;
	}
	return 0;
}

/* Append visit v to h.  -1: memory. */
static int
add_visit(sp_deals *ds, struct hdeal *h, int64_t v)
{
	size_t cap = h->nv ? sclass((size_t)h->nv * sizeof(*h->v), NULL) : 0;
	int64_t *p;

	if (h->nv == UINT32_MAX)
		return -1;
	if ((size_t)h->nv * sizeof(*h->v) == cap) {
		if ((p = slab_get(ds, ((size_t)h->nv + 1) * sizeof(*p))) ==
		    NULL)
			return -1;
		if (h->nv > 0)
			memcpy(p, h->v, h->nv * sizeof(*p));
		slab_put(ds, h->v, cap);
		h->v = p;
	}
	h->v[h->nv++] = v;
	return 0;
}

/* Append the close_date record (at, date) to x.  -1: memory. */
static int
add_close_date(sp_deals *ds, struct hext *x, int64_t at, int64_t date)
{
	size_t one = 2 * sizeof(*x->cd);
	size_t cap = x->ncd ? sclass((size_t)x->ncd * one, NULL) : 0;
	int64_t *p;

	if (x->ncd == UINT32_MAX)
		return -1;
	if ((size_t)x->ncd * one == cap) {
		if ((p = slab_get(ds, ((size_t)x->ncd + 1) * one)) == NULL)
			return -1;
		if (x->ncd > 0)
			memcpy(p, x->cd, x->ncd * one);
		slab_put(ds, x->cd, cap);
		x->cd = p;
	}
	x->cd[2 * x->ncd] = at;
	x->cd[2 * x->ncd + 1] = date;
	x->ncd++;
	return 0;
}

/* -g value s (n bytes) as kept by ds: interned.  NULL: memory. */
static const char *
intern_group(sp_deals *ds, const char *s, size_t n)
{
	void *st;

	if (ds->gpool == NULL && (ds->gpool = sp_groups_new(1, NULL)) == NULL)
		return NULL;
	if ((st = sp_groups_get(ds->gpool, s, n)) == NULL)
		return NULL;
	return sp_groups_key(ds->gpool, st, NULL);
}

/* Remember which fields appeared, in input order (SP_NEED_ALL). */
static int
note_field(sp_deals *ds, int f)
{
	if ((size_t)f >= ds->seencap) {
		size_t cap = (size_t)f + 16;
		unsigned char *v = realloc(ds->seen, cap);
		if (v == NULL)
			return -1;
		memset(v + ds->seencap, 0, cap - ds->seencap);
		ds->seen = v;
		ds->seencap = cap;
	}
	if (ds->seen[f])
		return 0;
	ds->seen[f] = 1;
	if (ds->nfields == ds->fieldcap) {
		size_t cap = ds->fieldcap ? ds->fieldcap * 2 : 32;
		int *v = realloc(ds->fields, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		ds->fields = v;
		ds->fieldcap = cap;
	}
	ds->fields[ds->nfields++] = f;
	return 0;
}

static int
note_fields(sp_deals *ds, const sp_rec *r)
{
	size_t i, n;
	const int *f = sp_reader_fields(ds->rd, &n);

	for (i = 0; i < n; i++)
		if ((size_t)f[i] < r->nslot && ((size_t)f[i] >= ds->seencap ||
		    !ds->seen[f[i]]) && note_field(ds, f[i]) < 0)
			return -1;
	return 0;
}

#define ALL_HEAD 16	/* u32 slot, u32 len, i64 at */

/*
 * memcpy for the short values of a record (ids, stages, times), without
 * a call: two overlapping words up to 16 bytes.
 */
static inline void
copy_short(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	uint64_t a, b;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n < 8) {
		while (n-- > 0)
			*d++ = *s++;
	} else
		memcpy(d, s, n);
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/*
 * The slots r can hold values in, in order: the reader's fields (every
 * slot a record of this input has a value in is one of them), kept
 * sorted while they do not change, in *v and *n.  -1: memory.
 */
static int
sorted_fields(sp_deals *ds, const int **v, size_t *n)
{
	size_t nf, i, k;
	const int *f = sp_reader_fields(ds->rd, &nf);

	if (nf == ds->ninfields && (nf == 0 ||
	    memcmp(f, ds->infields, nf * sizeof(*f)) == 0)) {
		*v = ds->sorted;
		*n = ds->nsorted;
		return 0;
	}
	if (nf > ds->infieldcap) {
		int *a = realloc(ds->infields, nf * sizeof(*a)), *b;
		if (a != NULL)
			ds->infields = a;
		if (a == NULL || (b = realloc(ds->sorted, nf *
		    sizeof(*b))) == NULL)
			return -1;
		ds->sorted = b;
		ds->infieldcap = nf;
	}
	if (nf > 0) {
		memcpy(ds->infields, f, nf * sizeof(*f));
		memcpy(ds->sorted, f, nf * sizeof(*f));
	}
	ds->ninfields = nf;
	qsort(ds->sorted, nf, sizeof(*ds->sorted), int_cmp);
	for (i = k = 0; i < nf; i++)	/* each slot once */
		if (k == 0 || ds->sorted[k - 1] != ds->sorted[i])
			ds->sorted[k++] = ds->sorted[i];
	ds->nsorted = k;
	*v = ds->sorted;
	*n = k;
	return 0;
}

/*
 * r's non-empty fields but `at`, set at `at`, as a values buffer (the
 * layout of hext.all) in ds->rbuf; its length in *len.  -1: memory.  A
 * history's id is the entry's key: kept there once (all_values).
 */
static int
rec_values(sp_deals *ds, const sp_rec *r, int64_t at, size_t *len)
{
	size_t need = 0, i, j, nf, out = 0;
	uint32_t slot, l;
	const int *f;

	if (sorted_fields(ds, &f, &nf) < 0)
		return -1;
	for (j = 0; j < nf; j++)
		if ((i = (size_t)f[j]) < r->nslot && r->val[i] != NULL &&
		    r->len[i] > 0)
			need += ALL_HEAD + r->len[i] + 1;
	if (need > ds->rbufcap) {
		unsigned char *m = realloc(ds->rbuf, need * 2);
		if (m == NULL)
			return -1;
		ds->rbuf = m;
		ds->rbufcap = need * 2;
	}
	for (j = 0; j < nf; j++) {
		i = (size_t)f[j];
		if (i >= r->nslot || r->val[i] == NULL || r->len[i] == 0 ||
		    (int)i == ds->slot[F_AT] || ((int)i == ds->slot[F_ID] &&
		    ds->o.pair_old == NULL))
			continue;
		slot = (uint32_t)i;
		l = r->len[i];
		memcpy(ds->rbuf + out, &slot, 4);
		memcpy(ds->rbuf + out + 4, &l, 4);
		memcpy(ds->rbuf + out + 8, &at, 8);
		copy_short(ds->rbuf + out + ALL_HEAD, r->val[i], l);
		ds->rbuf[out + ALL_HEAD + l] = '\0';
		out += ALL_HEAD + l + 1;
	}
	*len = out;
	return 0;
}

/*
 * Whether src (n bytes) replaces every value of x: the same fields, each
 * set at the same `at` or later (a history's records mostly carry the
 * same fields, in time order).
 */
static int
values_replace(const sp_deals *ds, const struct hext *x,
    const unsigned char *src, size_t n)
{
	size_t o = 0, s = 0;
	uint32_t os, ss, ol, sl;
	int64_t oat, sat;

	if (ds->o.pair_old != NULL)
		return 0;
	while (o < x->alllen && s < n) {
		memcpy(&os, x->all + o, 4);
		memcpy(&ss, src + s, 4);
		memcpy(&oat, x->all + o + 8, 8);
		memcpy(&sat, src + s + 8, 8);
		if (os != ss || sat < oat)
			return 0;
		memcpy(&ol, x->all + o + 4, 4);
		memcpy(&sl, src + s + 4, 4);
		o += ALL_HEAD + ol + 1;
		s += ALL_HEAD + sl + 1;
	}
	return o == x->alllen && s == n;
}

/*
 * x's values and src's (n bytes) merged, each field's value with the
 * latest `at` (of equal ones, src's: the later record), into m (NULL:
 * only counted); returns the merged length.
 */
static size_t
merge_walk(const sp_deals *ds, const struct hext *x,
    const unsigned char *src, size_t n, unsigned char *m)
{
	size_t o = 0, s = 0, out = 0, take;
	uint32_t os = 0, ss = 0, ol = 0, sl = 0;
	int64_t oat = 0, sat = 0;
	const unsigned char *from;

	while (o < x->alllen || s < n) {
		if (o < x->alllen) {
			memcpy(&os, x->all + o, 4);
			memcpy(&ol, x->all + o + 4, 4);
			memcpy(&oat, x->all + o + 8, 8);
		}
		if (s < n) {
			memcpy(&ss, src + s, 4);
			memcpy(&sl, src + s + 4, 4);
			memcpy(&sat, src + s + 8, 8);
		}
		if (s >= n || (o < x->alllen && os < ss)) {
			from = x->all + o;
			take = ALL_HEAD + ol + 1;
			o += take;
		} else if (o >= x->alllen || ss < os) {
			from = src + s;
			take = ALL_HEAD + sl + 1;
			s += take;
		} else {	/* the same field */
			/* two snapshots: the new one's equal value is not a
			   change; the old one's entry stays */
			if (sat >= oat && !(ds->o.pair_old != NULL &&
			    sl == ol && memcmp(src + s + ALL_HEAD, x->all + o +
			    ALL_HEAD, sl) == 0)) {
				from = src + s;
				take = ALL_HEAD + sl + 1;
			} else {
				from = x->all + o;
				take = ALL_HEAD + ol + 1;
			}
			o += ALL_HEAD + ol + 1;
			s += ALL_HEAD + sl + 1;
		}
		if (m != NULL)
			memcpy(m + out, from, take);
		out += take;
	}
	return out;
}

/*
 * Merge the values buffer src (n bytes, each value with its own `at`)
 * into x->all (merge_walk).  -1: memory.
 */
static int
merge_values(sp_deals *ds, struct hext *x, const unsigned char *src, size_t n)
{
	size_t need, cap;
	unsigned char *m;
	int whole;

	if (n == 0)
		return 0;
	/* src as it is (the same fields, each as late or later: a
	   history's records mostly are), else merged */
	whole = x->alllen == 0 || values_replace(ds, x, src, n);
	need = whole ? n : merge_walk(ds, x, src, n, NULL);
	if (whole && need <= x->allcap) {
		memcpy(x->all, src, n);
		x->alllen = (uint32_t)n;
		return 0;
	}
	/* a new chunk, x's given back */
	cap = sclass(need, NULL);
	if (cap > UINT32_MAX || (m = slab_get(ds, need)) == NULL)
		return -1;
	if (whole)
		memcpy(m, src, n);
	else
		merge_walk(ds, x, src, n, m);
	slab_put(ds, x->all, x->allcap);
	x->all = m;
	x->allcap = (uint32_t)cap;
	x->alllen = (uint32_t)need;
	return 0;
}

static int
history_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	const char *id = sp_rec_get(r, ds->slot[F_ID]);
	size_t idlen = sp_rec_len(r, ds->slot[F_ID]), i, n;
	struct hdeal *h;
	struct hext *x;
	uint32_t ix;
	int64_t at;
	int stage = -1, lost = -1, file, cur = -1, isnew, then, k, from;
	sp_deal d;

	if (idlen == 0)
		return sp_err_set(e, "id", ds->o.pair_old != NULL ? "no id: a snapshot's deals are "
		    "matched by id" : "missing: a history record needs the "
		    "id of its deal");
	if (ds->o.pair_old != NULL)	/* two snapshots: see sp_deals_opts */
		at = ds->o.as_of;
	else switch (get_time(ds, r, F_AT, &at, e)) {
	case -1:
		return -1;
	case 0:
		return sp_err_set(e, "at", "missing: a history record needs the "
		    "time it became true");
	}
	if (get_stage(ds, r, F_STAGE, &stage, e) < 0 ||
	    get_stage(ds, r, F_LOST_STAGE, &lost, e) < 0 ||
	    (k = status_stage(ds, r, &stage, &from, e)) < 0)
		return -1;
	if (k > 0 && lost < 0 && ds->st->v[stage].kind == SP_LOST)
		lost = from;	/* lost from the open stage it carried */
	memset(&d, 0, sizeof(d));
	if (parse_fields(ds, r, &d, e) < 0)
		return -1;
	if ((ds->o.need & SP_NEED_AMOUNT) && sp_rec_has(r, ds->slot[F_CURRENCY]) &&
	    (cur = intern_currency(ds, sp_rec_get(r, ds->slot[F_CURRENCY]),
	    sp_rec_len(r, ds->slot[F_CURRENCY]), e)) < 0)
		return -1;
	if (ds->o.has_as_of && at > ds->o.as_of)
		return 0;	/* not yet true at --as-of */
	if (hdeal_add(ds, id, idlen, at, &ix, 0, &isnew) < 0 ||
	    (file = intern_file(ds, r->file)) < 0)
		goto nomem;
	h = hd(ds, ix);
	if (ds->o.pair_old != NULL && !isnew && h->file == (uint32_t)file)
		return sp_err_set(e, "id", "'%.100s' is listed twice in this "
		    "snapshot (also line %lld)", h->key, (long long)h->line);
	then = (ds->o.need & SP_NEED_FROM) && (ds->o.pair_old != NULL ?
	    strcmp(r->file, ds->o.pair_old) == 0 : at <= ds->o.from);
	if (at < h->first_at)
		h->first_at = at;
	if (ds->has_ext) {
		x = hx(ds, ix);
		if (at > x->last_at)
			x->last_at = at;
		/* two snapshots: a value's `at` says which one gave it */
		if ((ds->o.need & SP_NEED_ALL) && (note_fields(ds, r) < 0 ||
		    rec_values(ds, r, ds->o.pair_old == NULL ? at :
		    then ? 0 : 1, &n) < 0 ||
		    merge_values(ds, x, ds->rbuf, n) < 0))
			goto nomem;
		if ((ds->o.need & (SP_NEED_ALL | SP_NEED_PUSHES)) &&
		    d.has_close_date && add_close_date(ds, x, at,
		    d.close_date) < 0)
			goto nomem;
		for (i = 0; i < ds->o.ngroup; i++) {
			int s = ds->o.group_slots[i];
			if (!sp_rec_has(r, s) || (x->g[i].v != NULL &&
			    at < x->g[i].at))
				continue;
			if ((x->g[i].v = intern_group(ds, sp_rec_get(r, s),
			    sp_rec_len(r, s))) == NULL)
				goto nomem;
			x->g[i].at = at;
		}
	}
	h->file = (uint32_t)file;
	h->line = r->line;
	if (stage >= 0 && add_visit(ds, h, at * MAX_STAGES + stage) < 0)
		goto nomem;
	if ((d.has_amount && keep(ds, ix, L_AMOUNT, at, d.amount) < 0) ||
	    (cur >= 0 && keep(ds, ix, L_CURRENCY, at, cur) < 0) ||
	    (d.has_prob && keep(ds, ix, L_PROB, at, d.prob_bp) < 0) ||
	    (d.has_created && keep(ds, ix, L_CREATED, at, d.created_at) < 0) ||
	    (d.has_closed && keep(ds, ix, L_CLOSED, at, d.closed_at) < 0) ||
	    (d.has_close_date && keep(ds, ix, L_CLOSE_DATE, at,
	    d.close_date) < 0) ||
	    (lost >= 0 && keep(ds, ix, L_LOST_STAGE, at, lost) < 0) ||
	    (d.category >= 0 && keep(ds, ix, L_CATEGORY, at, d.category) < 0))
		goto nomem;
	if (then && ((stage >= 0 && keep(ds, ix, L_THEN_STAGE, at,
	    stage) < 0) ||
	    (d.has_amount && keep(ds, ix, L_THEN_AMOUNT, at, d.amount) < 0) ||
	    (cur >= 0 && keep(ds, ix, L_THEN_CURRENCY, at, cur) < 0) ||
	    (d.has_close_date && keep(ds, ix, L_THEN_CLOSE_DATE, at,
	    d.close_date) < 0)))
		goto nomem;
	return 0;
nomem:
	return sp_err_set(e, NULL, "out of memory");
}

int
sp_deals_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	int hist = sp_rec_has(r, ds->slot[F_AT]), rc;

	if (ds->o.pair_old != NULL) {
		if (hist)
			return sp_err_set(e, "at", "unexpected: two snapshots "
			    "are compared (a history is read with a time to "
			    "compare from)");
		if ((rc = history_add(ds, r, e)) == 0)
			ds->mode = 2;
		return rc;
	}
	if (ds->o.need & SP_NEED_RECORDS)
		return records_add(ds, r, e);
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

/* The kept value of field l of entry i, or 0 (and *has 0). */
static int64_t
kept(sp_deals *ds, uint32_t i, int l, int *has)
{
	const struct latest *f;

	if (ds->lix[l] < 0 || (f = latest_of(ds, l, i, 0)) == NULL ||
	    f->at == INT64_MIN) {
		*has = 0;
		return 0;
	}
	*has = 1;
	return f->v;
}

/* SP_NEED_ALL: the latest values and the last `at` of x (d->id set). */
static int
all_values(sp_deals *ds, const struct hext *x, sp_deal *d)
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
	if (ds->o.pair_old != NULL) {
		unsigned char *c = realloc(ds->changed, ds->seencap + 1);
		if (c == NULL)
			return -1;
		ds->changed = c;
		memset(c, 0, ds->seencap + 1);
		d->changed = c;
	}
	for (i = 0; i < ds->seencap; i++)
		ds->vals[i] = NULL;
	while (o < x->alllen) {
		int64_t at;

		memcpy(&slot, x->all + o, 4);
		memcpy(&len, x->all + o + 4, 4);
		memcpy(&at, x->all + o + 8, 8);
		if (slot < ds->seencap) {
			ds->vals[slot] = (const char *)x->all + o + ALL_HEAD;
			if (ds->changed != NULL && ds->o.pair_old != NULL)
				ds->changed[slot] = at == 1;
		}
		o += ALL_HEAD + len + 1;
	}
	if (ds->o.pair_old == NULL && (size_t)ds->slot[F_ID] < ds->seencap)
		ds->vals[ds->slot[F_ID]] = d->id;	/* see rec_values */
	d->vals = ds->vals;
	d->nvals = ds->seencap;
	d->last_at = x->last_at;
	return 0;
}

/* The close_date records of x in time order (stable): count the moves
 * to a later date. */
static void
count_pushes(struct hext *x, sp_deal *d)
{
	size_t i, j;
	int64_t prev, at, v;

	for (i = 1; i < x->ncd; i++) {
		at = x->cd[2 * i];
		v = x->cd[2 * i + 1];
		for (j = i; j > 0 && x->cd[2 * (j - 1)] > at; j--) {
			x->cd[2 * j] = x->cd[2 * (j - 1)];
			x->cd[2 * j + 1] = x->cd[2 * (j - 1) + 1];
		}
		x->cd[2 * j] = at;
		x->cd[2 * j + 1] = v;
	}
	d->pushes = 0;
	d->has_pushes = 1;
	for (i = 1, prev = x->ncd ? x->cd[1] : 0; i < x->ncd; i++) {
		if (x->cd[2 * i + 1] > prev)
			d->pushes++;
		prev = x->cd[2 * i + 1];
	}
}

/*
 * SP_NEED_FROM: d as it was at from (or in the old snapshot) into
 * ds->then, d->then pointing at it; its value converted as d's would have
 * been then.
 */
static int
fold_then(sp_deals *ds, uint32_t ix, sp_deal *d, sp_error *e)
{
	sp_deal_then *t = &ds->then;
	sp_deal old;
	size_t i;
	int64_t v;
	int has;

	memset(t, 0, sizeof(*t));
	d->then = t;
	v = kept(ds, ix, L_THEN_STAGE, &t->exists);
	if (!t->exists)
		return 0;
	t->gone = ds->o.pair_old != NULL &&
	    strcmp(ds->files[hd(ds, ix)->file], ds->o.pair_old) == 0;
	t->stage = (int)v;
	t->kind = ds->st->v[t->stage].kind;
	t->amount = kept(ds, ix, L_THEN_AMOUNT, &t->has_amount);
	v = kept(ds, ix, L_THEN_CURRENCY, &has);
	t->currency = has ? ds->cur[v] : "";
	t->close_date = kept(ds, ix, L_THEN_CLOSE_DATE, &t->has_close_date);
	if (t->kind != SP_OPEN) {
		if (ds->o.pair_old != NULL)
			t->reopened = d->kind == SP_OPEN ||
			    d->stage != t->stage ||
			    d->has_close_date != t->has_close_date ||
			    (t->has_close_date &&
			    d->close_date != t->close_date);
		else
			for (i = 0; i < d->npath && !t->reopened; i++)
				t->reopened = d->path[i].at > ds->o.from &&
				    ds->st->v[d->path[i].stage].kind ==
				    SP_OPEN;
	}
	/* the value then, at the rate of the deal's date then */
	memset(&old, 0, sizeof(old));
	old.kind = t->kind;
	old.has_amount = t->has_amount;
	old.amount = t->amount;
	old.currency = t->currency;
	old.has_close_date = t->has_close_date;
	old.close_date = t->close_date;
	old.has_created = d->has_created;
	old.created_at = d->created_at;
	if (t->kind != SP_OPEN && t->has_close_date) {
		old.has_closed = 1;
		old.closed_at = t->close_date;
	}
	if (convert(ds, &old, e) < 0)
		return -1;
	t->value = old.value;
	t->currency = old.currency;
	return 0;
}

static int
fold_one(sp_deals *ds, uint32_t ix, sp_visit **path, size_t *pathcap,
    sp_error *e)
{
	struct hdeal *h = hd(ds, ix);
	struct hext *x = ds->has_ext ? hx(ds, ix) : NULL;
	const struct latest *cl;
	sp_deal d;
	size_t i, n = 0, kl = 0;
	int has, st;
	int64_t v;

	memset(&d, 0, sizeof(d));
	sp_err_clear(e);
	d.id = h->key;
	d.file = ds->files[h->file];
	d.line = h->line;
	sp_err_where(e, d.file, d.line);
	d.lost_stage = d.max_stage = -1;
	d.seq = ds->seq_base + (ix - ds->skip);
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
	d.amount = kept(ds, ix, L_AMOUNT, &d.has_amount);
	v = kept(ds, ix, L_CURRENCY, &has);
	d.currency = has ? ds->cur[v] : "";
	d.prob_bp = (int)kept(ds, ix, L_PROB, &d.has_prob);
	d.created_at = kept(ds, ix, L_CREATED, &has);
	if (!has)
		d.created_at = h->first_at;
	d.has_created = 1;
	d.close_date = kept(ds, ix, L_CLOSE_DATE, &d.has_close_date);
	if (d.kind != SP_OPEN) {
		/* closed_at counts only if set since the deal last closed */
		d.has_closed = 1;
		d.closed_at = (*path)[n - 1].at;
		if (ds->lix[L_CLOSED] >= 0 &&
		    (cl = latest_of(ds, L_CLOSED, ix, 0)) != NULL &&
		    cl->at >= (*path)[n - 1].at)
			d.closed_at = cl->v;
	}
	if (d.kind == SP_LOST) {
		v = kept(ds, ix, L_LOST_STAGE, &has);
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
		const char *g = x->g[i].v ? x->g[i].v : "";
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
	if ((ds->o.need & SP_NEED_ALL) && all_values(ds, x, &d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (ds->o.need & SP_NEED_ALL) {
		d.fields = ds->fields;
		d.nfields = ds->nfields;
	}
	if (ds->o.need & (SP_NEED_ALL | SP_NEED_PUSHES))
		count_pushes(x, &d);
	v = kept(ds, ix, L_CATEGORY, &has);
	d.category = has ? (int)v : -1;
	if (convert(ds, &d, e) < 0)
		return -1;
	if ((ds->o.need & SP_NEED_FROM) && fold_then(ds, ix, &d, e) < 0)
		return -1;
	return ds->o.fn(ds->o.ctx, &d, e);
}

int
sp_deals_finish(sp_deals *ds, void (*bad)(void *ctx, const sp_error *e),
    void *badctx, sp_error *e)
{
	sp_visit *path = NULL;
	size_t cap = 0;
	uint32_t i;
	int rc = 0;

	for (i = ds->skip; ds->mode == 2 && i < ds->n; i++) {
		if (fold_one(ds, i, &path, &cap, e) < 0) {
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
	if (top < 0 && d->kind == SP_LOST)	/* of its own pipeline */
		top = sp_stages_first_of(st, d->stage, SP_OPEN);
	return top;
}

int
sp_deals_ids_overlap(const sp_deals *a, const sp_deals *b)
{
	if (a->ids == NULL || b->ids == NULL)
		return 0;
	return sp_idset_overlap(a->ids, b->ids);
}

void
sp_deals_set_id_memory(sp_deals *ds, size_t bytes)
{
	ds->o.id_memory = bytes;
	if (ds->ids != NULL)
		sp_idset_set_budget(ds->ids, bytes);
}

int
sp_deals_ids_spilled(const sp_deals *ds)
{
	return ds->ids != NULL && sp_idset_spilled(ds->ids);
}

size_t
sp_deals_ids_bytes(const sp_deals *ds)
{
	return ds->ids != NULL ? sp_idset_bytes(ds->ids) : 0;
}

long long
sp_deals_ids_check(sp_deals *const *v, size_t n, size_t budget,
    sp_error *bad, size_t max, sp_error *e)
{
	sp_idset **sets = calloc(n + 1, sizeof(*sets));
	size_t *of = calloc(n + 1, sizeof(*of)), m = 0, i;
	sp_idrepeat *rep = calloc(max + 1, sizeof(*rep));
	const sp_idrepeat *p;
	const sp_deals *d, *fd;
	long long k = -1;
	char q[80];
	int twice;

	if (sets == NULL || of == NULL || rep == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		if (v[i]->ids != NULL) {
			of[m] = i;
			sets[m++] = v[i]->ids;
		}
	if (budget != 0 && budget < sp_idset_budget_min())
		budget = sp_idset_budget_min();
	if ((k = sp_idset_check(sets, m, budget, rep, max)) < 0) {
		sp_err_set(e, NULL, "the ids' temporary file (see "
		    "SALESPIPE_ID_MEMORY): %s", strerror(errno));
		goto done;
	}
	for (i = 0; i < max && (long long)i < k; i++) {
		p = &rep[i];
		d = v[of[p->set]];
		fd = v[of[p->fset]];
		/* the same file given twice: its lines come round again */
		twice = strcmp(fd->files[p->ffile], d->files[p->file]) == 0 &&
		    p->line <= p->fline;
		sp_err_clear(&bad[i]);
		sp_err_where(&bad[i], d->files[p->file], (long)p->line);
		sp_err_set(&bad[i], "id", "'%s' is listed again: first at "
		    "%s:%lld (kept); a snapshot has one record per deal%s",
		    sp_err_quote(q, sizeof(q), p->id, p->idlen),
		    fd->files[p->ffile], (long long)p->fline, twice ?
		    " (is the file given twice?)" : "");
		bad[i].code = SP_ERR_REPEATED_ID;
	}
done:
	free(sets);
	free(of);
	free(rep);
	return k;
}

void
sp_deals_absorb(sp_deals *into, const sp_deals *from)
{
	into->nprob += from->nprob;
	if (from->prob_max > into->prob_max)
		into->prob_max = from->prob_max;
}

size_t
sp_deals_unfoldable(const sp_deals *ds)
{
	size_t n = 0;
	uint32_t i;

	for (i = ds->skip; ds->mode == 2 && i < ds->n; i++)
		if (hd(ds, i)->nv == 0)
			n++;
	return n;
}

int
sp_deals_mode(const sp_deals *ds)
{
	return ds->mode;
}

void
sp_deals_set_mode(sp_deals *ds, int mode)
{
	ds->mode = mode;
}

/* 1 when every field slot of from's records means the same in into. */
static int
same_fields(const sp_deals *into, const sp_deals *from)
{
	const char *a, *b;
	size_t i;

	for (i = 0; i < from->nfields; i++) {
		a = sp_reader_slot_name(into->rd, from->fields[i]);
		b = sp_reader_slot_name(from->rd, from->fields[i]);
		if (a == NULL || b == NULL || strcmp(a, b) != 0)
			return 0;
	}
	return 1;
}

/*
 * Entry j of from into entry i of into (isnew: i was made for it, and
 * takes j's visits and values as they are: from's arena must be into's by
 * then), from's records being the later ones.  -1 with e set: memory.
 */
static int
merge_entry(sp_deals *into, uint32_t i, int isnew, const sp_deals *from,
    uint32_t j, sp_error *e)
{
	const struct hdeal *b = hd(from, j);
	const struct hext *bx;
	struct hdeal *a = hd(into, i);
	struct hext *ax;
	const struct latest *f;
	uint32_t k;
	int l, file, cur;

	if ((file = intern_file(into, from->files[b->file])) < 0)
		goto nomem;
	if (b->first_at < a->first_at)
		a->first_at = b->first_at;
	a->file = (uint32_t)file;
	a->line = b->line;
	if (isnew) {
		a->v = b->v;
		a->nv = b->nv;
	} else
		for (k = 0; k < b->nv; k++)
			if (add_visit(into, a, b->v[k]) < 0)
				goto nomem;
	for (l = 0; l < NL; l++) {
		if (into->lix[l] < 0 || (f = latest_of((sp_deals *)from, l, j,
		    0)) == NULL || f->at == INT64_MIN)
			continue;
		int iscur = l == L_CURRENCY || l == L_THEN_CURRENCY;
		cur = iscur ? intern_currency(into, from->cur[f->v],
		    strlen(from->cur[f->v]), e) : 0;
		if (cur < 0)
			return -1;
		if (keep(into, i, l, f->at, iscur ? cur : f->v) < 0)
			goto nomem;
	}
	if (!into->has_ext)
		return 0;
	bx = hx(from, j);
	ax = hx(into, i);
	if (bx->last_at > ax->last_at)
		ax->last_at = bx->last_at;
	for (k = 0; k < into->o.ngroup; k++) {
		if (bx->g[k].v == NULL || (ax->g[k].v != NULL &&
		    bx->g[k].at < ax->g[k].at))
			continue;
		if ((ax->g[k].v = intern_group(into, bx->g[k].v,
		    strlen(bx->g[k].v))) == NULL)
			goto nomem;
		ax->g[k].at = bx->g[k].at;
	}
	if (isnew) {
		ax->all = bx->all;
		ax->alllen = bx->alllen;
		ax->allcap = bx->allcap;
		ax->cd = bx->cd;
		ax->ncd = bx->ncd;
		return 0;
	}
	if (merge_values(into, ax, bx->all, bx->alllen) < 0)
		goto nomem;
	for (k = 0; k < bx->ncd; k++)
		if (add_close_date(into, ax, bx->cd[2 * k], bx->cd[2 * k + 1]) <
		    0)
			goto nomem;
	return 0;
nomem:
	return sp_err_set(e, NULL, "out of memory");
}

int
sp_deals_merge(sp_deals *into, sp_deals *from, sp_error *e)
{
	struct ablock *t;
	int isnew;
	const struct hdeal *b;
	uint32_t j, i;
	size_t c;

	if (from->mode == 0)
		return 0;
	if ((into->mode != 0 && into->mode != from->mode) ||
	    ((from->o.need & SP_NEED_ALL) && !same_fields(into, from)))
		return 1;
	if (from->mode == 1) {	/* snapshots: the deals were handed on */
		into->mode = 1;
		sp_deals_absorb(into, from);
		return 0;
	}
	into->mode = 2;
	for (c = 0; c < from->nfields; c++)
		if (note_field(into, from->fields[c]) < 0)
			goto nomem;
	for (c = 0; c < from->ncur; c++)
		if (intern_currency(into, from->cur[c], strlen(from->cur[c]),
		    e) < 0)
			return -1;
	/* from's arena (ids, visits, values) is into's from now on */
	if (from->arena != NULL) {
		for (t = from->arena; t->next != NULL; t = t->next)
			;
		if (into->arena == NULL)
			into->arena = from->arena;
		else {
			t->next = into->arena->next;
			into->arena->next = from->arena;
		}
		from->arena = NULL;
		memset(from->sfree, 0, sizeof(from->sfree));
	}
	while (into->unsorted && (size_t)(into->n + from->n) * 2 >
	    into->nslots)
		if (id_grow(into) < 0)
			goto nomem;
	for (j = 0; j < from->n; j++) {
		b = hd(from, j);
		if (hdeal_add(into, b->key, b->keylen, b->first_at, &i, 1,
		    &isnew) < 0)
			goto nomem;
		if (merge_entry(into, i, isnew, from, j, e) < 0)
			return -1;
	}
	sp_deals_absorb(into, from);
	into->last = 0;
	return 0;
nomem:
	return sp_err_set(e, NULL, "out of memory");
}

/* Entries a part keeps: those not handed to the part before. */
size_t
sp_deals_count(const sp_deals *ds)
{
	return ds->mode == 2 ? ds->n - ds->skip : 0;
}

int
sp_deals_follows(const sp_deals *a, const sp_deals *b)
{
	const struct hdeal *x, *y;
	int c;

	if (a->mode != 2 || b->mode != 2 || a->unsorted || b->unsorted ||
	    sp_deals_count(a) == 0 || sp_deals_count(b) == 0 ||
	    a->o.pair_old != NULL)
		return -1;
	x = hd(a, a->n - 1);
	y = hd(b, b->skip);
	c = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen :
	    y->keylen);
	if (c == 0 && x->keylen != y->keylen)
		c = x->keylen < y->keylen ? -1 : 1;
	return c < 0 ? 0 : c == 0 ? 1 : -1;
}

int
sp_deals_take_first(sp_deals *a, sp_deals *b, sp_error *e)
{
	size_t c;

	for (c = 0; c < b->ncur; c++)
		if (intern_currency(a, b->cur[c], strlen(b->cur[c]), e) < 0)
			return -1;
	if (merge_entry(a, a->n - 1, 0, b, b->skip, e) < 0)
		return -1;
	b->skip++;
	return 0;
}

int
sp_deals_fields_union(sp_deals *into, const sp_deals *from)
{
	size_t c;

	if (!(from->o.need & SP_NEED_ALL) || from->mode == 0)
		return 0;
	if (!same_fields(into, from))
		return 1;
	for (c = 0; c < from->nfields; c++)
		if (note_field(into, from->fields[c]) < 0)
			return -1;
	return 0;
}

int
sp_deals_fields_copy(sp_deals *ds, const sp_deals *from)
{
	size_t c;

	if (!(from->o.need & SP_NEED_ALL))
		return 0;
	for (c = 0; c < from->nfields; c++)	/* every slot seen */
		if (note_field(ds, from->fields[c]) < 0)
			return -1;
	memcpy(ds->fields, from->fields, from->nfields * sizeof(*ds->fields));
	ds->nfields = from->nfields;
	return 0;
}

void
sp_deals_set_seq(sp_deals *ds, size_t base)
{
	ds->seq_base = base;
}

int
sp_deal_prob_bp(const sp_stages *st, const sp_deal *d)
{
	return d->has_prob ? d->prob_bp : st->v[d->stage].prob_bp;
}
