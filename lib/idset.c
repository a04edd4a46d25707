/*
 * idset: a snapshot's ids as fingerprints (see idset.h).
 *
 * 4096 open-addressing tables, chosen by the top 12 bits of the second
 * hash; in each, a slot is the first hash (64 bits, which also places it)
 * and the id's number + 1 (0: empty).  A table grows by half when 4/5
 * full, so that no growth copies more than a 4096th of the set and the
 * slack stays near a third.
 *
 * Past its budget the set spills: each table's slots sorted by the first
 * hash, the tables in order, make one sorted run in a temporary file,
 * each entry with where its id was seen; then the tables are emptied.
 * From the first spill on, the bytes of each id added go to a second file
 * (the id log), so that a repeat found after reading can be named.
 * sp_idset_check merges the runs (in passes of at most FANIN runs, each
 * read through a buffer) to find the repeats no find saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/group.h"
#include "salespipe/idset.h"
#include "salespipe/util.h"

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

/*
 * An entry as spilled, sorted by (tab, h1): the fingerprint, then where
 * the id was seen.  Native byte order: the file is this process's alone.
 */
struct sent {
	uint64_t h1;
	int64_t line;
	uint32_t file;
	uint16_t tab;
	uint16_t set;		/* the set's index in sp_idset_check */
};

/* A sorted run of n entries at off of a file. */
struct srun {
	int fd;
	off_t off;
	uint64_t n;
	int stamp;		/* >= 0: the set index its entries get */
};

#define IDLOG_MAX 64	/* bytes of an id logged: sp_err_quote shows 60 */
#define IOBUF ((size_t)16 << 10)	/* a merge's buffer per run */

struct sp_idset {
	struct tab t[NTAB];
	uint32_t n;
	struct run *runs;
	size_t nruns, runcap;
	int64_t last_line;	/* of the last id added */
	size_t bytes;
	size_t budget;		/* 0: none */
	/* spilled: the runs, in order of arrival, in one file */
	int fd;			/* -1 until the first spill */
	off_t fdlen;
	struct srun *spill;
	size_t nspill, spillcap;
	uint64_t nspilled;	/* entries in the runs */
	/* the id log: (file, line, length, bytes) of each id added since
	   the first spill, through logbuf */
	int logfd;
	off_t loglen;
	unsigned char *logbuf;
	size_t logused;
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

	if (s == NULL)
		return NULL;
	s->bytes = sizeof(*s);
	s->fd = s->logfd = -1;
	return s;
}

/* Drop what was spilled (the files close, and so vanish). */
static void
spill_drop(sp_idset *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->logfd >= 0)
		close(s->logfd);
	s->fd = s->logfd = -1;
	s->fdlen = s->loglen = 0;
	free(s->spill);
	s->spill = NULL;
	s->nspill = s->spillcap = 0;
	s->nspilled = 0;
	if (s->logbuf != NULL) {
		free(s->logbuf);
		s->logbuf = NULL;
		s->bytes -= IOBUF;
	}
	s->logused = 0;
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
	spill_drop(s);
	free(s);
}

/* Each of the 4096 tables takes 8 slots at once (384 KiB in all): below
 * 1 MiB, a set would spill every few ids. */
size_t
sp_idset_budget_min(void)
{
	return (size_t)1 << 20;
}

void
sp_idset_set_budget(sp_idset *s, size_t bytes)
{
	if (bytes != 0 && bytes < sp_idset_budget_min())
		bytes = sp_idset_budget_min();
	s->budget = bytes;
}

int
sp_idset_spilled(const sp_idset *s)
{
	return s->nspill > 0;
}

size_t
sp_idset_count(const sp_idset *s)
{
	return s->n + s->nspilled;
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

static int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* n bytes at off, all of them: 0, or -1 (errno; EIO for a short file). */
static int
read_at(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	ssize_t k;

	while (n > 0) {
		if ((k = pread(fd, p, n, off)) <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

static int
slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	uint64_t hx = (uint64_t)x->hi << 32 | x->lo;
	uint64_t hy = (uint64_t)y->hi << 32 | y->lo;

	return hx < hy ? -1 : hx > hy;
}

static int
log_flush(sp_idset *s)
{
	if (s->logused == 0)
		return 0;
	if (write_all(s->logfd, s->logbuf, s->logused) < 0)
		return -1;
	s->loglen += (off_t)s->logused;
	s->logused = 0;
	return 0;
}

/* What the first spill allocates, and a spill the list of runs: kept
 * within the budget before they are needed. */
static size_t
spill_reserve(const sp_idset *s)
{
	size_t r = s->logbuf == NULL ? IOBUF : 0;

	if (s->nspill == s->spillcap)
		r += (s->spillcap ? s->spillcap : 16) * sizeof(struct srun);
	return r;
}

/*
 * Write the ids in memory as one sorted run and free the tables: they
 * grow again evenly (kept, the fullest one would decide the next spill,
 * and later runs came out a sixth of the first).  Unless final (the set
 * is done reading), the ids added from then on are logged.  -1 with errno
 * set: the set is then of no use.
 */
static int
spill(sp_idset *s, int final)
{
	struct sent buf[IOBUF / sizeof(struct sent)];
	size_t nb = 0, cap;
	uint64_t n = 0;
	uint32_t i, j, k, file;
	int64_t line;
	struct tab *t;

	if (s->fd < 0 && (s->fd = sp_tmp_open("ids")) < 0)
		return -1;
	if (!final && s->logfd < 0) {
		if ((s->logfd = sp_tmp_open("ids")) < 0 ||
		    (s->logbuf = malloc(IOBUF)) == NULL)
			return -1;
		s->bytes += IOBUF;
	}
	if (s->nspill == s->spillcap) {
		struct srun *v;

		cap = s->spillcap ? 2 * s->spillcap : 16;
		if ((v = realloc(s->spill, cap * sizeof(*v))) == NULL)
			return -1;
		s->bytes += (cap - s->spillcap) * sizeof(*v);
		s->spill = v;
		s->spillcap = cap;
	}
	for (i = 0; i < NTAB; i++) {
		t = &s->t[i];
		/* the table's ids to its front, sorted: its part of the run */
		for (j = k = 0; j < t->cap; j++)
			if (t->v[j].num != 0)
				t->v[k++] = t->v[j];
		if (k > 1)
			qsort(t->v, k, sizeof(*t->v), slot_cmp);
		for (j = 0; j < k; j++) {
			where(s, t->v[j].num - 1, &file, &line);
			buf[nb].h1 = (uint64_t)t->v[j].hi << 32 | t->v[j].lo;
			buf[nb].line = line;
			buf[nb].file = file;
			buf[nb].tab = (uint16_t)i;
			buf[nb].set = 0;
			if (++nb == sizeof(buf) / sizeof(buf[0])) {
				if (write_all(s->fd, buf, sizeof(buf)) < 0)
					return -1;
				nb = 0;
			}
		}
		n += k;
		free(t->v);
		s->bytes -= (size_t)t->cap * sizeof(*t->v);
		t->v = NULL;
		t->cap = 0;
		t->n = 0;
	}
	if (nb > 0 && write_all(s->fd, buf, nb * sizeof(buf[0])) < 0)
		return -1;
	s->spill[s->nspill].fd = s->fd;
	s->spill[s->nspill].off = s->fdlen;
	s->spill[s->nspill].n = n;
	s->spill[s->nspill].stamp = -1;
	s->nspill++;
	s->fdlen += (off_t)(n * sizeof(struct sent));
	s->nspilled += n;
	s->n = 0;
	s->nruns = 0;
	free(s->runs);
	s->bytes -= s->runcap * sizeof(*s->runs);
	s->runs = NULL;
	s->runcap = 0;
	return 0;
}

/* The entry of (tab, h1) in run r: 1 (in *e), 0 none, -1 error. */
static int
run_find(const struct srun *r, uint16_t tab, uint64_t h1, struct sent *e)
{
	uint64_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (read_at(r->fd, e, sizeof(*e), r->off + (off_t)(mid *
		    sizeof(*e))) < 0)
			return -1;
		if (e->tab == tab && e->h1 == h1)
			return 1;
		if (e->tab < tab || (e->tab == tab && e->h1 < h1))
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Where the id of (tab, h1), in memory as id number num, was first seen:
 * in the earliest spilled run that holds it (a repeat that came after a
 * spill), else where num was.  A run that cannot be read is passed over.
 */
static void
first_place(const sp_idset *s, uint32_t tab, uint64_t h1, uint32_t num,
    uint32_t *file, int64_t *line)
{
	struct sent e;
	size_t i;

	for (i = 0; i < s->nspill; i++)
		if (run_find(&s->spill[i], (uint16_t)tab, h1, &e) == 1) {
			if (file != NULL)
				*file = e.file;
			if (line != NULL)
				*line = e.line;
			return;
		}
	where(s, num, file, line);
}

int
sp_idset_find(const sp_idset *s, const sp_idkey *k, uint32_t *ffile,
    int64_t *fline)
{
	uint32_t tab = (uint32_t)(k->h2 >> (64 - NTAB_BITS));
	const struct tab *t = &s->t[tab];
	const struct slot *p;

	if (t->cap == 0 || (p = probe(t, k->h1))->num == 0)
		return 0;
	first_place(s, tab, k->h1, p->num - 1, ffile, fline);
	return 1;
}

/* Log id (idlen bytes) seen at file:line, for sp_idset_check to name. */
static int
log_id(sp_idset *s, const char *id, size_t idlen, uint32_t file,
    int64_t line)
{
	uint16_t n = (uint16_t)(idlen < IDLOG_MAX ? idlen : IDLOG_MAX);
	unsigned char *p;

	if (s->logused + 14 + n > IOBUF && log_flush(s) < 0)
		return -1;
	p = s->logbuf + s->logused;
	memcpy(p, &file, 4);
	memcpy(p + 4, &line, 8);
	memcpy(p + 12, &n, 2);
	memcpy(p + 14, id, n);
	s->logused += 14 + n;
	return 0;
}

int
sp_idset_add(sp_idset *s, const sp_idkey *k, const char *id, size_t idlen,
    uint32_t file, int64_t line, uint32_t *ffile, int64_t *fline)
{
	uint32_t tab = (uint32_t)(k->h2 >> (64 - NTAB_BITS));
	struct tab *t = &s->t[tab];
	uint64_t h = k->h1;
	struct slot *p;
	const struct run *r;
	size_t more = 0;
	int newrun;

	if (t->cap > 0 && (p = probe(t, h))->num != 0) {
		first_place(s, tab, h, p->num - 1, ffile, fline);
		return 1;
	}
	if (s->n >= UINT32_MAX - 1)
		return -1;
	r = s->nruns > 0 ? &s->runs[s->nruns - 1] : NULL;
	newrun = r == NULL || r->file != file || line != s->last_line + 1;
	/* past the budget: the ids in memory to disk, then go on */
	if ((uint64_t)(t->n + 1) * 5 > (uint64_t)t->cap * 4)
		more += (size_t)(t->cap < 8 ? 8 - t->cap : t->cap / 2) *
		    sizeof(*t->v);
	if (newrun && s->nruns == s->runcap)
		more += (s->runcap ? s->runcap : 16) * sizeof(*s->runs);
	if (s->budget != 0 && more > 0 && s->n > 0 && s->bytes + more +
	    spill_reserve(s) > s->budget) {
		if (spill(s, 0) < 0)
			return -1;
		newrun = 1;
	}
	if ((uint64_t)(t->n + 1) * 5 > (uint64_t)t->cap * 4 && grow(s, t) < 0)
		return -1;
	if (newrun) {
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
	if (s->logfd >= 0 && log_id(s, id, idlen, file, line) < 0)
		return -1;
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

/* The order of a check: by fingerprint, then by where (set, file, line),
 * so that the first of equal fingerprints is the id's first place. */
static int
sent_cmp(const struct sent *a, const struct sent *b)
{
	if (a->tab != b->tab)
		return a->tab < b->tab ? -1 : 1;
	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return 0;
}

/* A run being merged: its next entries, read a buffer at a time. */
struct cursor {
	struct srun r;
	uint64_t read;		/* entries of r read into buf so far */
	struct sent *buf;
	size_t n, pos;
};

/* The cursor's next entry into view: 1, 0 at the run's end, -1 error. */
static int
cursor_next(struct cursor *c)
{
	uint64_t left;
	size_t i;

	if (c->pos < c->n)
		return 1;
	if ((left = c->r.n - c->read) == 0)
		return 0;
	c->n = left < IOBUF / sizeof(struct sent) ? (size_t)left :
	    IOBUF / sizeof(struct sent);
	if (read_at(c->r.fd, c->buf, c->n * sizeof(struct sent), c->r.off +
	    (off_t)(c->read * sizeof(struct sent))) < 0)
		return -1;
	if (c->r.stamp >= 0)
		for (i = 0; i < c->n; i++)
			c->buf[i].set = (uint16_t)c->r.stamp;
	c->read += c->n;
	c->pos = 0;
	return 1;
}

/* What a merge finds: the repeats, the earliest max of them kept. */
struct found {
	sp_idrepeat *v;
	size_t max, n;
	long long count;
};

static int
before(const struct sent *a, const sp_idrepeat *b)
{
	if (a->set != b->set)
		return a->set < b->set;
	if (a->file != b->file)
		return a->file < b->file;
	return a->line < b->line;
}

/* e repeats first (the first of its fingerprint). */
static void
found_add(struct found *f, const struct sent *e, const struct sent *first)
{
	size_t i;

	f->count++;
	if (f->max == 0 || (f->n == f->max && !before(e, &f->v[f->n - 1])))
		return;
	if (f->n < f->max)
		f->n++;
	for (i = f->n - 1; i > 0 && before(e, &f->v[i - 1]); i--)
		f->v[i] = f->v[i - 1];
	memset(&f->v[i], 0, sizeof(f->v[i]));
	f->v[i].set = e->set;
	f->v[i].file = e->file;
	f->v[i].line = e->line;
	f->v[i].fset = first->set;
	f->v[i].ffile = first->file;
	f->v[i].fline = first->line;
}

static void
heap_down(struct cursor *c, size_t *h, size_t n, size_t i)
{
	size_t l, m, t;

	for (;;) {
		l = 2 * i + 1;
		if (l >= n)
			return;
		m = l + 1 < n && sent_cmp(&c[h[l + 1]].buf[c[h[l + 1]].pos],
		    &c[h[l]].buf[c[h[l]].pos]) < 0 ? l + 1 : l;
		if (sent_cmp(&c[h[m]].buf[c[h[m]].pos], &c[h[i]].buf[c[h[i]].pos])
		    >= 0)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/*
 * Merge runs r[0..n) into one run appended to out (at *outlen; out -1:
 * none), or into f's repeats.  0, or -1 with errno set.
 */
static int
merge(const struct srun *r, size_t n, int out, off_t *outlen,
    struct srun *made, struct found *f)
{
	struct cursor *c = calloc(n, sizeof(*c));
	size_t *h = calloc(n, sizeof(*h)), nh = 0, i, nw = 0;
	struct sent *w = NULL, first, *e;
	uint64_t nout = 0;
	int rc = -1, k, have = 0;

	if (c == NULL || h == NULL || (out >= 0 &&
	    (w = malloc(IOBUF)) == NULL))
		goto done;
	for (i = 0; i < n; i++) {
		c[i].r = r[i];
		if ((c[i].buf = malloc(IOBUF)) == NULL ||
		    (k = cursor_next(&c[i])) < 0)
			goto done;
		if (k > 0)
			h[nh++] = i;
	}
	for (i = nh; i-- > 0; )
		heap_down(c, h, nh, i);
	while (nh > 0) {
		e = &c[h[0]].buf[c[h[0]].pos];
		if (out >= 0) {
			w[nw++] = *e;
			if (nw == IOBUF / sizeof(*w)) {
				if (write_all(out, w, nw * sizeof(*w)) < 0)
					goto done;
				nw = 0;
			}
			nout++;
		} else if (have && e->tab == first.tab && e->h1 == first.h1)
			found_add(f, e, &first);
		else {
			first = *e;
			have = 1;
		}
		c[h[0]].pos++;
		if ((k = cursor_next(&c[h[0]])) < 0)
			goto done;
		if (k == 0)
			h[0] = h[--nh];
		heap_down(c, h, nh, 0);
	}
	if (out >= 0) {
		if (nw > 0 && write_all(out, w, nw * sizeof(*w)) < 0)
			goto done;
		made->fd = out;
		made->off = *outlen;
		made->n = nout;
		made->stamp = -1;
		*outlen += (off_t)(nout * sizeof(*w));
	}
	rc = 0;
done:
	for (i = 0; c != NULL && i < n; i++)
		free(c[i].buf);
	free(c);
	free(h);
	free(w);
	return rc;
}

/* The ids of f's repeats of set index si, from s's log, read a buffer
 * at a time (a record is at most 14 + IDLOG_MAX bytes). */
static int
found_ids(struct found *f, size_t si, sp_idset *s)
{
	unsigned char buf[IOBUF];
	uint32_t file;
	int64_t line;
	uint16_t n;
	size_t i, have, at;
	off_t off = 0;

	if (f->n == 0 || s->logfd < 0)
		return 0;
	if (log_flush(s) < 0)
		return -1;
	while (off < s->loglen) {
		have = s->loglen - off < (off_t)sizeof(buf) ?
		    (size_t)(s->loglen - off) : sizeof(buf);
		if (read_at(s->logfd, buf, have, off) < 0)
			return -1;
		for (at = 0; at + 14 <= have; at += 14 + n) {
			memcpy(&n, buf + at + 12, 2);
			if (at + 14 + n > have)
				break;
			memcpy(&file, buf + at, 4);
			memcpy(&line, buf + at + 4, 8);
			for (i = 0; i < f->n; i++)
				if (f->v[i].set == si && f->v[i].file ==
				    file && f->v[i].line == line) {
					memcpy(f->v[i].id, buf + at + 14, n);
					f->v[i].idlen = n;
				}
		}
		if (at == 0) {	/* a torn log: never so unless the disk lies */
			errno = EIO;
			return -1;
		}
		off += (off_t)at;
	}
	return 0;
}

long long
sp_idset_check(sp_idset *const *sets, size_t nsets, size_t budget,
    sp_idrepeat *rep, size_t max)
{
	struct srun *r = NULL, *next = NULL;
	struct found f;
	size_t nr = 0, i, j, fanin, nn;
	int tmp = -1, out;
	off_t outlen;
	long long rc = -1;

	memset(&f, 0, sizeof(f));
	f.v = rep;
	f.max = max;
	/* the ids still in memory as a last run of each set */
	for (i = 0; i < nsets; i++) {
		if (sets[i]->n > 0 && spill(sets[i], 1) < 0)
			goto done;
		nr += sets[i]->nspill;
	}
	if ((r = calloc(nr + 1, sizeof(*r))) == NULL)
		goto done;
	for (i = nr = 0; i < nsets; i++)
		for (j = 0; j < sets[i]->nspill; j++) {
			r[nr] = sets[i]->spill[j];
			r[nr++].stamp = (int)i;
		}
	/* a buffer per run and one to write: a merge keeps to the budget */
	fanin = budget == 0 ? 1024 : budget / IOBUF > 3 ? budget / IOBUF - 1 :
	    2;
	while (nr > fanin) {
		if ((out = sp_tmp_open("ids")) < 0 || (next = calloc(nr / fanin + 1,
		    sizeof(*next))) == NULL) {
			if (out >= 0)
				close(out);
			goto done;
		}
		outlen = 0;
		for (i = nn = 0; i < nr; i += fanin, nn++)
			if (merge(r + i, nr - i < fanin ? nr - i : fanin, out,
			    &outlen, &next[nn], NULL) < 0) {
				close(out);
				goto done;
			}
		if (tmp >= 0)
			close(tmp);
		tmp = out;
		free(r);
		r = next;
		next = NULL;
		nr = nn;
	}
	if (merge(r, nr, -1, NULL, NULL, &f) < 0)
		goto done;
	for (i = 0; i < nsets; i++)
		if (found_ids(&f, i, sets[i]) < 0)
			goto done;
	rc = f.count;
done:
	j = (size_t)errno;
	if (tmp >= 0)
		close(tmp);
	free(r);
	free(next);
	for (i = 0; i < nsets; i++)
		spill_drop(sets[i]);
	errno = (int)j;
	return rc;
}
