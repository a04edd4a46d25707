/*
 * span: an owner's overlapping activities counted once, by a rule that
 * reads only what the spans say, so that a merge of states in any order
 * and split resolves alike (include/salespipe/span.h).
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/span.h"

int
sp_span_cmp(const sp_span *a, const sp_span *b)
{
	int k;

	if ((k = strcmp(a->owner, b->owner)) != 0)
		return k;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	if ((k = strcmp(a->type, b->type)) != 0)
		return k;
	if ((k = strcmp(a->key, b->key)) != 0)
		return k;
	return (a->tag > b->tag) - (a->tag < b->tag);
}

static int
cmp(const void *a, const void *b)
{
	return sp_span_cmp(a, b);
}

void
sp_spans_resolve(sp_span *v, size_t n)
{
	const char *owner = NULL;
	int64_t cover = 0, from;
	size_t i;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n; i++) {
		if (owner == NULL || strcmp(owner, v[i].owner) != 0) {
			owner = v[i].owner;
			cover = v[i].start;
		}
		from = v[i].start > cover ? v[i].start : cover;
		v[i].counted = v[i].end > from ? v[i].end - from : 0;
		if (v[i].end > cover)
			cover = v[i].end;
	}
}
