/*
 * idset: a snapshot's ids as fingerprints (see idset.h).
 *
 * 4096 open-addressing tables, chosen by the top 12 bits of the second
 * hash; in each, a slot is the first hash (64 bits, which also places it)
 * and the id's number + 1 (0: empty).  A table grows by half when 4/5
 * full, so that no growth copies more than a 4096th of the set and the
 * slack stays near a third.
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/group.h"
#include "salespipe/idset.h"

#define NTAB_BITS 12
#define NTAB (1u << NTAB_BITS)

struct slot {
	uint32_t lo, hi;	/* the first hash */
	uint32_t num;		/* the id's number + 1; 0 empty */
};

struct tab {
	struct slot *v;
	uint32_t cap, n;
};

/* From id number `num` on, ids were seen at line + (i - num) of file. */
struct run {
	uint32_t num;
	uint32_t file;
	int64_t line;
};

struct sp_idset {
	struct tab t[NTAB];
	uint32_t n;
	struct run *runs;
	size_t nruns, runcap;
	int64_t last_line;	/* of the last id added */
	size_t bytes;
};

/* A second hash, independent of sp_hash: words, multiplied and mixed. */
static uint64_t
hash2(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

sp_idset *
sp_idset_new(void)
{
	sp_idset *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->bytes = sizeof(*s);
	return s;
}

void
sp_idset_free(sp_idset *s)
{
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < NTAB; i++)
		free(s->t[i].v);
	free(s->runs);
	free(s);
}

size_t
sp_idset_count(const sp_idset *s)
{
	return s->n;
}

size_t
sp_idset_bytes(const sp_idset *s)
{
	return s->bytes;
}

/* Where h's probe starts in t. */
static uint32_t
home(const struct tab *t, uint64_t h)
{
	return (uint32_t)(((h >> 32) * t->cap) >> 32);
}

/* The slot of h in t: its own, or the empty one where it would go. */
static struct slot *
probe(const struct tab *t, uint64_t h)
{
	uint32_t lo = (uint32_t)h, hi = (uint32_t)(h >> 32), j;
	struct slot *p;

	j = home(t, h);
	for (;;) {
		p = &t->v[j];
		if (p->num == 0 || (p->lo == lo && p->hi == hi))
			return p;
		if (++j == t->cap)
			j = 0;
	}
}

static int
grow(sp_idset *s, struct tab *t)
{
	struct tab u;
	struct slot *p;
	uint32_t i;

	u.cap = t->cap < 8 ? 8 : t->cap + t->cap / 2;
	u.n = t->n;
	if ((u.v = calloc(u.cap, sizeof(*u.v))) == NULL)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (t->v[i].num == 0)
			continue;
		p = probe(&u, (uint64_t)t->v[i].hi << 32 | t->v[i].lo);
		*p = t->v[i];
	}
	free(t->v);
	s->bytes += (size_t)(u.cap - t->cap) * sizeof(*u.v);
	*t = u;
	return 0;
}

/* Where id number num was seen. */
static void
where(const sp_idset *s, uint32_t num, uint32_t *file, int64_t *line)
{
	size_t lo = 0, hi = s->nruns, mid;

	/* the last run starting at or before num (the first starts at 0) */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->runs[mid].num <= num)
			lo = mid;
		else
			hi = mid;
	}
	if (file != NULL)
		*file = s->runs[lo].file;
	if (line != NULL)
		*line = s->runs[lo].line + (num - s->runs[lo].num);
}

void
sp_idset_key(const char *id, size_t n, sp_idkey *k)
{
	k->h1 = sp_hash(id, n);
	k->h2 = hash2(id, n);
}

void
sp_idset_prefetch(const sp_idset *s, const sp_idkey *k)
{
	const struct tab *t = &s->t[k->h2 >> (64 - NTAB_BITS)];

	if (t->cap > 0)
		__builtin_prefetch(&t->v[home(t, k->h1)]);
}

int
sp_idset_find(const sp_idset *s, const sp_idkey *k, uint32_t *ffile,
    int64_t *fline)
{
	const struct tab *t = &s->t[k->h2 >> (64 - NTAB_BITS)];
	const struct slot *p;

	if (t->cap == 0 || (p = probe(t, k->h1))->num == 0)
		return 0;
	where(s, p->num - 1, ffile, fline);
	return 1;
}

int
sp_idset_add(sp_idset *s, const sp_idkey *k, uint32_t file, int64_t line,
    uint32_t *ffile, int64_t *fline)
{
	struct tab *t = &s->t[k->h2 >> (64 - NTAB_BITS)];
	uint64_t h = k->h1;
	struct slot *p;
	const struct run *r;

	if (t->cap > 0 && (p = probe(t, h))->num != 0) {
		where(s, p->num - 1, ffile, fline);
		return 1;
	}
	if (s->n >= UINT32_MAX - 1)
		return -1;
	if ((uint64_t)(t->n + 1) * 5 > (uint64_t)t->cap * 4 && grow(s, t) < 0)
		return -1;
	r = s->nruns > 0 ? &s->runs[s->nruns - 1] : NULL;
	if (r == NULL || r->file != file || line != s->last_line + 1) {
		if (s->nruns == s->runcap) {
			size_t cap = s->runcap ? 2 * s->runcap : 16;
			struct run *v = realloc(s->runs, cap * sizeof(*v));

			if (v == NULL)
				return -1;
			s->bytes += (cap - s->runcap) * sizeof(*v);
			s->runs = v;
			s->runcap = cap;
		}
		s->runs[s->nruns].num = s->n;
		s->runs[s->nruns].file = file;
		s->runs[s->nruns].line = line;
		s->nruns++;
	}
	s->last_line = line;
	p = probe(t, h);
	p->lo = (uint32_t)h;
	p->hi = (uint32_t)(h >> 32);
	p->num = ++s->n;
	t->n++;
	return 0;
}

int
sp_idset_overlap(const sp_idset *a, const sp_idset *b)
{
	const struct tab *ta, *tb;
	uint32_t i, j;

	for (i = 0; i < NTAB; i++) {
		ta = &a->t[i];
		tb = &b->t[i];
		if (ta->n == 0)
			continue;
		for (j = 0; j < tb->cap; j++)
			if (tb->v[j].num != 0 && probe(ta, (uint64_t)tb->v[j].hi
			    << 32 | tb->v[j].lo)->num != 0)
				return 1;
	}
	return 0;
}
