/*
 * group: an open-addressing hash table from group key to a program's
 * fixed-size state.  Key and state share one entry, carved from large
 * zeroed blocks (entries are never removed one by one), and the table
 * holds the hash beside the pointer so probing rarely touches an entry it
 * does not want.
 */
#include <stdlib.h>
#include <string.h>

#include "salespipe/group.h"

struct entry {
	size_t keylen;
	char *key;		/* points after the state */
	/* state follows, aligned */
};

struct slot {
	uint64_t hash;
	struct entry *e;
};

struct block {
	struct block *next;
	size_t used, size, pad;	/* 32 bytes: data stays 16-aligned */
	char data[];
};

#define BLOCK_SIZE ((size_t)1 << 20)

struct sp_groups {
	struct slot *slots;
	size_t cap, n;		/* cap is a power of two */
	size_t state_size, state_off;
	void (*init)(void *);
	struct block *blocks;	/* newest first */
};

/* n zeroed bytes, 16-aligned, that live as long as g; NULL: memory. */
static void *
carve(sp_groups *g, size_t n)
{
	struct block *b = g->blocks;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->size - b->used < n) {
		/* 4 KiB first, doubling up to BLOCK_SIZE: a table of a few
		   groups (most of them) stays small */
		size_t size = b == NULL ? 4096 : b->size < BLOCK_SIZE ?
		    2 * b->size : BLOCK_SIZE;
		if (size < n)
			size = n;
		if ((b = calloc(1, sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
		b->next = g->blocks;
		g->blocks = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* FNV-1a with a final mix (every bit counts): on disk in journal indexes
 * (sidecar.c), so never changed. */
uint64_t
sp_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

sp_groups *
sp_groups_new(size_t state_size, void (*init)(void *state))
{
	sp_groups *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cap = 64;
	if ((g->slots = calloc(g->cap, sizeof(*g->slots))) == NULL) {
		free(g);
		return NULL;
	}
	g->state_size = state_size;
	g->state_off = (sizeof(struct entry) + 15) & ~(size_t)15;
	g->init = init;
	return g;
}

static void *
state_of(const sp_groups *g, struct entry *e)
{
	return (char *)e + g->state_off;
}

static int
grow(sp_groups *g)
{
	size_t cap = g->cap * 2, i, j;
	struct slot *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (i = 0; i < g->cap; i++) {
		if (g->slots[i].e == NULL)
			continue;
		for (j = g->slots[i].hash & (cap - 1); s[j].e != NULL;
		    j = (j + 1) & (cap - 1))
			;
		s[j] = g->slots[i];
	}
	free(g->slots);
	g->slots = s;
	g->cap = cap;
	return 0;
}

static struct slot *
lookup(const sp_groups *g, const char *key, size_t keylen, uint64_t h)
{
	size_t j;

	for (j = h & (g->cap - 1); g->slots[j].e != NULL;
	    j = (j + 1) & (g->cap - 1)) {
		struct entry *e = g->slots[j].e;
		if (g->slots[j].hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			break;
	}
	return &g->slots[j];
}

void *
sp_groups_find(const sp_groups *g, const char *key, size_t keylen)
{
	struct slot *s = lookup(g, key, keylen, sp_hash(key, keylen));

	return s->e ? state_of(g, s->e) : NULL;
}

void *
sp_groups_get(sp_groups *g, const char *key, size_t keylen)
{
	uint64_t h = sp_hash(key, keylen);
	struct slot *s = lookup(g, key, keylen, h);
	struct entry *e;

	if (s->e != NULL)
		return state_of(g, s->e);
	if ((g->n + 1) * 4 > g->cap * 3) {
		if (grow(g) < 0)
			return NULL;
		s = lookup(g, key, keylen, h);
	}
	if ((e = carve(g, g->state_off + g->state_size + keylen + 1)) == NULL)
		return NULL;
	e->keylen = keylen;
	e->key = (char *)e + g->state_off + g->state_size;
	memcpy(e->key, key, keylen);
	s->hash = h;
	s->e = e;
	g->n++;
	if (g->init != NULL)
		g->init(state_of(g, e));
	return state_of(g, e);
}

const char *
sp_groups_key(const sp_groups *g, const void *state, size_t *len)
{
	const struct entry *e = (const void *)((const char *)state -
	    g->state_off);

	if (len != NULL)
		*len = e->keylen;
	return e->key;
}

size_t
sp_groups_count(const sp_groups *g)
{
	return g->n;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

size_t
sp_groups_sorted(const sp_groups *g, const char ***keys, size_t **keylens,
    void ***states)
{
	struct entry **v = malloc((g->n + 1) * sizeof(*v));
	const struct block *b;
	size_t i, k = 0, nb = 0, off;

	*keys = malloc((g->n + 1) * sizeof(**keys));
	*keylens = malloc((g->n + 1) * sizeof(**keylens));
	*states = malloc((g->n + 1) * sizeof(**states));
	if (v == NULL || *keys == NULL || *keylens == NULL || *states == NULL) {
		free(v);
		free(*keys);
		free(*keylens);
		free(*states);
		return (size_t)-1;
	}
	/* the entries in the order they came (carved one after another
	   from the blocks, the oldest block last in the list): often the
	   key order already (a stream's deals, periods in time order) */
	for (b = g->blocks; b != NULL; b = b->next)
		nb++;
	for (; nb > 0; nb--) {
		for (i = 1, b = g->blocks; i < nb; i++)
			b = b->next;
		for (off = 0; off < b->used && k < g->n; off += ((g->state_off +
		    g->state_size + v[k - 1]->keylen + 1) + 15) & ~(size_t)15)
			v[k++] = (struct entry *)(void *)(b->data + off);
	}
	for (i = 1; i < k && cmp_entry(&v[i - 1], &v[i]) < 0; i++)
		;
	if (i < k)
		qsort(v, k, sizeof(*v), cmp_entry);
	for (i = 0; i < k; i++) {
		(*keys)[i] = v[i]->key;
		(*keylens)[i] = v[i]->keylen;
		(*states)[i] = state_of(g, v[i]);
	}
	free(v);
	return k;
}

void
sp_groups_clear(sp_groups *g)
{
	struct block *b;

	memset(g->slots, 0, g->cap * sizeof(*g->slots));
	g->n = 0;
	/* the newest block stays, zeroed, for the next entries */
	while (g->blocks != NULL && (b = g->blocks->next) != NULL) {
		g->blocks->next = b->next;
		free(b);
	}
	if (g->blocks != NULL) {
		memset(g->blocks->data, 0, g->blocks->used);
		g->blocks->used = 0;
	}
}

void
sp_groups_free(sp_groups *g, void (*fini)(void *state))
{
	struct block *b, *next;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; fini != NULL && i < g->cap; i++)
		if (g->slots[i].e != NULL)
			fini(state_of(g, g->slots[i].e));
	for (b = g->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(g->slots);
	free(g);
}

static int
reserve(char **buf, size_t *cap, size_t need)
{
	char *p;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((p = realloc(*buf, c)) == NULL)
		return -1;
	*buf = p;
	*cap = c;
	return 0;
}

size_t
sp_group_key(const sp_rec *r, const int *slots, size_t n, char **buf,
    size_t *cap)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		size_t l = sp_rec_len(r, slots[i]);
		if (reserve(buf, cap, len + l + 2) < 0)
			return (size_t)-1;
		if (i > 0)
			(*buf)[len++] = SP_KEY_SEP;
		if (l > 0)
			memcpy(*buf + len, sp_rec_get(r, slots[i]), l);
		len += l;
	}
	if (reserve(buf, cap, len + 1) < 0)
		return (size_t)-1;
	(*buf)[len] = '\0';
	return len;
}

int
sp_group_key_split(const char *key, size_t keylen, size_t n,
    const char **parts, char **buf, size_t *cap)
{
	size_t i, k = 0;
	char *p;

	if (reserve(buf, cap, keylen + 1) < 0)
		return -1;
	memcpy(*buf, key, keylen);
	(*buf)[keylen] = '\0';
	p = *buf;
	for (i = 0; i < n; i++) {
		parts[k++] = p;
		while (p < *buf + keylen && *p != SP_KEY_SEP)
			p++;
		if (p < *buf + keylen)
			*p++ = '\0';
	}
	return 0;
}

int
sp_groups_each(const sp_groups *g, int (*fn)(void *arg, const char *key,
    size_t keylen, void *state), void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < g->cap; i++)
		if (g->slots[i].e != NULL && (rc = fn(arg, g->slots[i].e->key,
		    g->slots[i].e->keylen, state_of(g, g->slots[i].e))) != 0)
			return rc;
	return 0;
}
