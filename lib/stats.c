/*
 * stats: exact distributions.  Values are kept (8 bytes each) because
 * exact medians and percentiles need them; merging is concatenation.
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/stats.h"

void
sp_dist_init(sp_dist *d)
{
	memset(d, 0, sizeof(*d));
	d->sorted = 1;
}

int
sp_dist_add(sp_dist *d, int64_t x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		int64_t *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	if (d->n > 0 && x < d->v[d->n - 1])
		d->sorted = 0;
	d->v[d->n++] = x;
	d->sum += x;
	return 0;
}

int
sp_dist_merge(sp_dist *a, sp_dist *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (sp_dist_add(a, b->v[i]) < 0)
			return -1;
	sp_dist_free(b);
	sp_dist_init(b);
	return 0;
}

void
sp_dist_free(sp_dist *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void
sp_dist_finish(sp_dist *d)
{
	if (!d->sorted) {
		qsort(d->v, d->n, sizeof(*d->v), cmp64);
		d->sorted = 1;
	}
}

double
sp_dist_mean(const sp_dist *d)
{
	return d->n ? (double)(d->sum / (long double)d->n) : 0.0;
}

double
sp_dist_quantile(sp_dist *d, double q)
{
	double h, lo;
	size_t i;

	if (d->n == 0)
		return 0.0;
	sp_dist_finish(d);
	h = (double)(d->n - 1) * q;
	i = (size_t)h;
	lo = (double)d->v[i];
	if (i + 1 >= d->n)
		return lo;
	return lo + (h - (double)i) * (double)(d->v[i + 1] - d->v[i]);
}

int64_t
sp_dist_min(sp_dist *d)
{
	sp_dist_finish(d);
	return d->n ? d->v[0] : 0;
}

int64_t
sp_dist_max(sp_dist *d)
{
	sp_dist_finish(d);
	return d->n ? d->v[d->n - 1] : 0;
}
