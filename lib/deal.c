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
	F_CLOSE_DATE, F_PROB, F_LOST_STAGE, NF };
static const char *const fname[NF] = { "id", "at", "stage", "amount",
	"currency", "created_at", "closed_at", "close_date", "probability",
	"lost_stage" };

/* A value with the (at, seq) it was set at: the latest one wins. */
struct latest {
	int64_t at;
	uint64_t seq;
	int has;
	int64_t v;
};

struct hvisit {
	int64_t at;
	uint64_t seq;
	int stage;
};

struct hdeal {
	char *id;
	struct hvisit *v;
	size_t nv, cap;
	struct latest amount, created, closed, close_date, prob, lost_stage;
	struct latest currency_at;
	char currency[8];
	struct latest *gat;	/* per group field */
	char **gval;
	int64_t first_at;
	const char *file;
	long line;
};

struct sp_deals {
	sp_reader *rd;
	sp_stages *st;
	sp_deals_opts o;
	int slot[NF];
	int mode;		/* 0 unknown, 1 snapshot, 2 history */
	uint64_t seq;
	sp_groups *byid;	/* id -> struct hdeal */
	struct hdeal **order;
	size_t n, cap;
	char *keybuf;
	size_t keycap;
	char **files;		/* interned file names for history places */
	size_t nfiles;
};

sp_deals *
deals_new(sp_reader *rd, sp_stages *st, const sp_deals_opts *o)
{
	sp_deals *ds = calloc(1, sizeof(*ds));
	int i;

	if (ds == NULL)
		return NULL;
	ds->rd = rd;
	ds->st = st;
	ds->o = *o;
	for (i = 0; i < NF; i++)
		if ((ds->slot[i] = reader_slot(rd, fname[i])) < 0) {
			free(ds);
			return NULL;
		}
	return ds;
}

int
deals_is_history(const sp_deals *ds)
{
	return ds->mode == 2;
}

static void
hdeal_free(struct hdeal *h, size_t ngroup)
{
	size_t i;

	free(h->id);
	free(h->v);
	if (h->gval != NULL)
		for (i = 0; i < ngroup; i++)
			free(h->gval[i]);
	free(h->gval);
	free(h->gat);
}

void
deals_free(sp_deals *ds)
{
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->n; i++)
		hdeal_free(ds->order[i], ds->o.ngroup);
	groups_free(ds->byid, NULL);
	free(ds->order);
	free(ds->keybuf);
	for (i = 0; i < ds->nfiles; i++)
		free(ds->files[i]);
	free(ds->files);
	free(ds);
}

/* Parse the time in field f of r; 1 has, 0 empty, -1 bad. */
static int
get_time(sp_deals *ds, const sp_rec *r, int f, int64_t *t, sp_error *e)
{
	if (!rec_has(r, ds->slot[f]))
		return 0;
	if (time_parse(rec_get(r, ds->slot[f]), rec_len(r, ds->slot[f]),
	    ds->o.datefmt, t, e) < 0) {
		err_set(e, fname[f], "%s", e->msg);
		return -1;
	}
	return 1;
}

static int
get_stage(sp_deals *ds, const sp_rec *r, int f, int *stage, sp_error *e)
{
	char q[80];
	const char *s = rec_get(r, ds->slot[f]);
	size_t n = rec_len(r, ds->slot[f]);

	if (n == 0)
		return 0;
	if ((*stage = stages_find(ds->st, s, n)) < 0)
		return err_set(e, fname[f], "unknown stage '%s' (known: %s)",
		    err_quote(q, sizeof(q), s, n), stages_known(ds->st));
	return 1;
}

/* Parse the typed fields a program needs from r into d. */
static int
parse_fields(sp_deals *ds, const sp_rec *r, sp_deal *d, sp_error *e)
{
	int need = ds->o.need, k;

	if (need & SP_NEED_AMOUNT) {
		d->has_amount = rec_has(r, ds->slot[F_AMOUNT]);
		if (d->has_amount && money_parse(rec_get(r,
		    ds->slot[F_AMOUNT]), rec_len(r, ds->slot[F_AMOUNT]),
		    &d->amount, e) < 0)
			return err_set(e, "amount", "%s", e->msg);
	}
	if (need & SP_NEED_PROB) {
		d->has_prob = rec_has(r, ds->slot[F_PROB]);
		if (d->has_prob && prob_parse(rec_get(r, ds->slot[F_PROB]),
		    rec_len(r, ds->slot[F_PROB]), &d->prob_bp, e) < 0)
			return err_set(e, "probability", "%s", e->msg);
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
	return 0;
}

static int
snapshot_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	sp_deal d;
	size_t kl;
	int k;

	memset(&d, 0, sizeof(d));
	d.stage = d.lost_stage = d.max_stage = -1;
	d.id = rec_has(r, ds->slot[F_ID]) ? rec_get(r, ds->slot[F_ID]) : "";
	d.currency = rec_has(r, ds->slot[F_CURRENCY]) ?
	    rec_get(r, ds->slot[F_CURRENCY]) : "";
	if (!(ds->o.need & SP_NEED_NO_STAGE)) {
		if ((k = get_stage(ds, r, F_STAGE, &d.stage, e)) < 0)
			return -1;
		if (k == 0)
			return err_set(e, "stage", "missing (known stages: %s)",
			    stages_known(ds->st));
		d.kind = ds->st->v[d.stage].kind;
		if (d.kind == SP_LOST &&
		    get_stage(ds, r, F_LOST_STAGE, &d.lost_stage, e) < 0)
			return -1;
	}
	if (parse_fields(ds, r, &d, e) < 0)
		return -1;
	if (d.kind == SP_OPEN)
		d.has_closed = 0;
	else if (!d.has_closed && d.has_close_date) {
		d.has_closed = 1;
		d.closed_at = d.close_date;
	}
	kl = group_key(r, ds->o.group_slots, ds->o.ngroup, &ds->keybuf,
	    &ds->keycap);
	if (kl == (size_t)-1)
		return err_set(e, NULL, "out of memory");
	d.key = ds->keybuf;
	d.keylen = kl;
	d.file = r->file;
	d.line = r->line;
	d.rec = r;
	return ds->o.fn(ds->o.ctx, &d, e);
}

static void
latest_set(struct latest *l, int64_t at, uint64_t seq, int64_t v)
{
	if (!l->has || at > l->at || (at == l->at && seq > l->seq)) {
		l->at = at;
		l->seq = seq;
		l->v = v;
		l->has = 1;
	}
}

static const char *
intern_file(sp_deals *ds, const char *f)
{
	char **v;

	if (ds->nfiles > 0 && strcmp(ds->files[ds->nfiles - 1], f) == 0)
		return ds->files[ds->nfiles - 1];
	if ((v = realloc(ds->files, (ds->nfiles + 1) * sizeof(*v))) == NULL)
		return NULL;
	ds->files = v;
	if ((v[ds->nfiles] = strdup(f)) == NULL)
		return NULL;
	return v[ds->nfiles++];
}

static int
history_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	const char *id = rec_get(r, ds->slot[F_ID]);
	size_t idlen = rec_len(r, ds->slot[F_ID]), i;
	struct hdeal *h, **hp;
	int64_t at;
	uint64_t seq = ++ds->seq;
	int stage = -1;
	sp_deal d;

	if (idlen == 0)
		return err_set(e, "id", "missing: a history record needs the "
		    "id of its deal");
	if (get_time(ds, r, F_AT, &at, e) < 0)
		return -1;
	if (get_stage(ds, r, F_STAGE, &stage, e) < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	if (parse_fields(ds, r, &d, e) < 0)
		return -1;
	{
		int ls = -1;
		if (get_stage(ds, r, F_LOST_STAGE, &ls, e) < 0)
			return -1;
		d.lost_stage = ls;
	}
	if (ds->o.has_as_of && at > ds->o.as_of)
		return 0;	/* not yet true at --as-of */
	if (ds->byid == NULL &&
	    (ds->byid = groups_new(sizeof(struct hdeal *), NULL)) == NULL)
		goto nomem;
	if ((hp = groups_get(ds->byid, id, idlen)) == NULL)
		goto nomem;
	if ((h = *hp) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			goto nomem;
		*hp = h;
		if (ds->n == ds->cap) {
			size_t cap = ds->cap ? ds->cap * 2 : 256;
			struct hdeal **o = realloc(ds->order,
			    cap * sizeof(*o));
			if (o == NULL)
				goto nomem;
			ds->order = o;
			ds->cap = cap;
		}
		ds->order[ds->n++] = h;
		if ((h->id = strndup(id, idlen)) == NULL)
			goto nomem;
		if (ds->o.ngroup > 0 &&
		    ((h->gval = calloc(ds->o.ngroup, sizeof(*h->gval))) ==
		    NULL || (h->gat = calloc(ds->o.ngroup,
		    sizeof(*h->gat))) == NULL))
			goto nomem;
		h->first_at = at;
	}
	if (at < h->first_at)
		h->first_at = at;
	if ((h->file = intern_file(ds, r->file)) == NULL)
		goto nomem;
	h->line = r->line;
	if (stage >= 0) {
		if (h->nv == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 4;
			struct hvisit *v = realloc(h->v, cap * sizeof(*v));
			if (v == NULL)
				goto nomem;
			h->v = v;
			h->cap = cap;
		}
		h->v[h->nv].at = at;
		h->v[h->nv].seq = seq;
		h->v[h->nv].stage = stage;
		h->nv++;
	}
	if (d.has_amount)
		latest_set(&h->amount, at, seq, d.amount);
	if (d.has_prob)
		latest_set(&h->prob, at, seq, d.prob_bp);
	if (d.has_created)
		latest_set(&h->created, at, seq, d.created_at);
	if (d.has_closed)
		latest_set(&h->closed, at, seq, d.closed_at);
	if (d.has_close_date)
		latest_set(&h->close_date, at, seq, d.close_date);
	if (d.lost_stage >= 0)
		latest_set(&h->lost_stage, at, seq, d.lost_stage);
	if (rec_has(r, ds->slot[F_CURRENCY]) &&
	    rec_len(r, ds->slot[F_CURRENCY]) < sizeof(h->currency)) {
		struct latest before = h->currency_at;
		latest_set(&h->currency_at, at, seq, 0);
		if (h->currency_at.seq != before.seq || !before.has)
			memcpy(h->currency, rec_get(r, ds->slot[F_CURRENCY]),
			    rec_len(r, ds->slot[F_CURRENCY]) + 1);
	}
	for (i = 0; i < ds->o.ngroup; i++) {
		int s = ds->o.group_slots[i];
		struct latest before = h->gat[i];
		if (!rec_has(r, s))
			continue;
		latest_set(&h->gat[i], at, seq, 0);
		if (h->gat[i].seq != before.seq || !before.has) {
			free(h->gval[i]);
			if ((h->gval[i] = strdup(rec_get(r, s))) == NULL)
				goto nomem;
		}
	}
	return 0;
nomem:
	return err_set(e, NULL, "out of memory");
}

int
deals_add(sp_deals *ds, const sp_rec *r, sp_error *e)
{
	int hist = rec_has(r, ds->slot[F_AT]);

	if (ds->mode == 0)
		ds->mode = hist ? 2 : 1;
	if (ds->mode == 2 && !hist)
		return err_set(e, "at", "missing: the input is a history (its "
		    "first record has 'at'), so every record needs one");
	if (ds->mode == 1 && hist)
		return err_set(e, "at", "unexpected: the input is a snapshot "
		    "(its first record has no 'at'); fold histories with "
		    "pipeline or give them alone");
	if (hist && (ds->o.need & SP_NEED_NO_STAGE))
		return err_set(e, "at", "this program reads snapshots, not "
		    "histories (fold it with pipeline first)");
	return hist ? history_add(ds, r, e) : snapshot_add(ds, r, e);
}

static int
cmp_visit(const void *a, const void *b)
{
	const struct hvisit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
fold_one(sp_deals *ds, struct hdeal *h, sp_visit **path, size_t *pathcap,
    sp_error *e)
{
	sp_deal d;
	size_t i, n = 0, kl = 0;

	memset(&d, 0, sizeof(d));
	err_clear(e);
	err_where(e, h->file, h->line);
	d.id = h->id;
	d.file = h->file;
	d.line = h->line;
	d.lost_stage = d.max_stage = -1;
	if (h->nv == 0)
		return err_set(e, "stage", "deal '%.100s' has no stage in its "
		    "history", h->id);
	qsort(h->v, h->nv, sizeof(*h->v), cmp_visit);
	if (*pathcap < h->nv) {
		sp_visit *p = realloc(*path, h->nv * sizeof(*p));
		if (p == NULL)
			return err_set(e, NULL, "out of memory");
		*path = p;
		*pathcap = h->nv;
	}
	for (i = 0; i < h->nv; i++) {
		if (n > 0 && (*path)[n - 1].stage == h->v[i].stage)
			continue;
		(*path)[n].at = h->v[i].at;
		(*path)[n].stage = h->v[i].stage;
		n++;
		if (ds->st->v[h->v[i].stage].kind == SP_OPEN &&
		    h->v[i].stage > d.max_stage)
			d.max_stage = h->v[i].stage;
	}
	d.path = *path;
	d.npath = n;
	d.stage = (*path)[n - 1].stage;
	d.kind = ds->st->v[d.stage].kind;
	d.has_amount = h->amount.has;
	d.amount = h->amount.v;
	d.currency = h->currency;
	d.has_prob = h->prob.has;
	d.prob_bp = (int)h->prob.v;
	d.has_created = 1;
	d.created_at = h->created.has ? h->created.v : h->first_at;
	d.has_close_date = h->close_date.has;
	d.close_date = h->close_date.v;
	if (d.kind != SP_OPEN) {
		d.has_closed = 1;
		d.closed_at = h->closed.has ? h->closed.v : (*path)[n - 1].at;
	}
	if (d.kind == SP_LOST) {
		if (h->lost_stage.has)
			d.lost_stage = (int)h->lost_stage.v;
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
		const char *v = h->gval[i] ? h->gval[i] : "";
		size_t l = strlen(v);
		char *b;
		if (kl + l + 2 > ds->keycap) {
			size_t cap = (kl + l + 2) * 2;
			if ((b = realloc(ds->keybuf, cap)) == NULL)
				return err_set(e, NULL, "out of memory");
			ds->keybuf = b;
			ds->keycap = cap;
		}
		if (i > 0)
			ds->keybuf[kl++] = SP_KEY_SEP;
		memcpy(ds->keybuf + kl, v, l);
		kl += l;
	}
	if (ds->keybuf == NULL && (ds->keybuf = malloc(ds->keycap = 64)) ==
	    NULL)
		return err_set(e, NULL, "out of memory");
	ds->keybuf[kl] = '\0';
	d.key = ds->keybuf;
	d.keylen = kl;
	return ds->o.fn(ds->o.ctx, &d, e);
}

int
deals_finish(sp_deals *ds, void (*bad)(void *ctx, const sp_error *e),
    void *badctx, sp_error *e)
{
	sp_visit *path = NULL;
	size_t i, cap = 0;
	int rc = 0;

	for (i = 0; i < ds->n; i++) {
		if (fold_one(ds, ds->order[i], &path, &cap, e) < 0) {
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
