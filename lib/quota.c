/*
 * quota: the quota file (include/salespipe/quota.h), one reader for the
 * programs that compare with quotas.  A quota is for one owner, team or
 * territory, over one period; quotas of the same name and span add up.
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/quota.h"

static const char *const kind_field[] = { "owner", "team", "territory" };

static int
add_quota(sp_quotas *q, int kind, const char *name, const sp_period *p,
    int64_t amount, long line, sp_error *e)
{
	sp_quota *v;

	if ((v = realloc(q->v, (q->n + 1) * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	q->v = v;
	if ((v[q->n].name = strdup(name)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	v[q->n].kind = kind;
	v[q->n].start = p->start;
	v[q->n].end = p->end;
	v[q->n].amount = amount;
	v[q->n].line = line;
	q->n++;
	return 0;
}

/* One record: which of owner, team and territory it names. */
static int
quota_kind(const sp_rec *r, const int *slots, int *kind, sp_error *e)
{
	int k, found = -1;

	for (k = 0; k < 3; k++) {
		if (!sp_rec_has(r, slots[k]) || sp_rec_len(r, slots[k]) == 0)
			continue;
		if (found >= 0)
			return sp_err_set(e, kind_field[k], "a quota is for one "
			    "owner, team or territory, and this one names %s "
			    "'%s' too", kind_field[found],
			    sp_rec_get(r, slots[found]));
		found = k;
	}
	/* none named: the owner "" (an owner column left empty), which
	   only a total over every owner takes */
	*kind = found < 0 ? SP_QUOTA_OWNER : found;
	return 0;
}

/* A quota file's fields, by slot: owner, team, territory (kind_field),
 * then these. */
enum { Q_PERIOD = 3, Q_AMOUNT, Q_N };
static const char *const quota_names[Q_N] = { "owner", "team", "territory",
	"period", "amount" };

struct quota_read {
	sp_quotas *q;
	const sp_calendar *cal;
};

static int
quota_row(void *ctx, sp_reader *rd, const sp_rec *r, const int *slots,
    sp_error *e)
{
	const struct quota_read *x = ctx;
	const sp_calendar *cal = x->cal;
	sp_quotas *q = x->q;
	int sp = slots[Q_PERIOD], sa = slots[Q_AMOUNT], kind = SP_QUOTA_OWNER;
	sp_period p;
	int64_t amount;

	(void)rd;
	if (quota_kind(r, slots, &kind, e) < 0)
		return -1;
	if (!sp_rec_has(r, sp) || sp_period_parse(sp_rec_get(r, sp), cal, &p,
	    e) < 0)
		return sp_err_set(e, "period", "%s", sp_rec_has(r, sp) ?
		    e->msg : "missing");
	if (sp_money_parse(sp_rec_has(r, sa) ? sp_rec_get(r, sa) : "",
	    sp_rec_has(r, sa) ? sp_rec_len(r, sa) : 0, &amount, e) < 0)
		return sp_err_set(e, "amount", "%s", e->msg);
	return add_quota(q, kind, sp_rec_has(r, slots[kind]) ?
	    sp_rec_get(r, slots[kind]) : "", &p, amount, r->line, e);
}

int
sp_quotas_read(sp_quotas *q, const char *path, const sp_read_opts *ro,
    const sp_calendar *cal, sp_error *e)
{
	struct quota_read x = { q, cal };
	int slots[Q_N];

	return sp_optfile_each(path, ro, quota_names, Q_N, 0, slots, quota_row,
	    &x, e);
}

void
sp_quotas_free(sp_quotas *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		free(q->v[i].name);
	free(q->v);
	q->v = NULL;
	q->n = 0;
}

sp_money
sp_quota_of(const sp_quotas *q, int kind, const char *name, int64_t start,
    int64_t end, int *has)
{
	sp_money sum = 0;
	size_t i;

	*has = 0;
	for (i = 0; i < q->n; i++)
		if (q->v[i].kind == kind && q->v[i].start == start &&
		    q->v[i].end == end && (name == NULL ||
		    strcmp(name, q->v[i].name) == 0)) {
			sum += sp_money_of_micro(q->v[i].amount);
			*has = 1;
		}
	return sum;
}

int
sp_quota_named(const sp_quotas *q, int kind, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->v[i].kind == kind && strcmp(name, q->v[i].name) == 0)
			return 1;
	return 0;
}
