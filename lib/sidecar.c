/*
 * sidecar: JOURNAL.idx, the index file that lets a write program check a
 * batch against a journal of millions of records by reading only the few
 * records the checks need, instead of the whole journal every run.
 *
 * Design.
 *  - What it holds: for every id, the byte range of each of its records
 *    (a chain, newest first); for every duplicate key, the range of the
 *    first record holding it; the id with the highest number; the distinct
 *    stage values written.  It holds no stage logic and no field values
 *    beyond ids and keys: the checks re-read those records through the
 *    one record reader (sp_index_read_ranges), so the answers are the
 *    ones a whole read of the journal gives.
 *  - How it is checked: its header names the journal it indexes (device,
 *    inode, format, kind), how many bytes of it it covers, the journal's
 *    mtime and ctime when it was written, and a hash of the first and of
 *    the last 4 KiB of the covered bytes.  It is used as it is when all
 *    of these match and the journal is still that long; it is brought up
 *    to date by indexing the journal's tail when the journal grew and
 *    the hashes match (a writer killed between its append and its index
 *    update, an older salespipe, a hand append); it is built again from
 *    the whole journal in every other case: missing, empty, another
 *    version or byte order, torn (dirty), another file's (copied over, or
 *    the journal replaced by a rename), a journal shorter than it covers
 *    (cut back, rewritten) or with other bytes there, or a journal of the
 *    same length changed in place (its ctime moved: an edit, but also
 *    chmod or touch).  A file of that name that is not an index is left
 *    alone, and the journal read whole.
 *  - When: only while the journal's lock (sp_journal_open) is held, so
 *    one process at a time reads or writes it.
 *  - Crash safety: the journal append is the commit point and the index a
 *    cache that may lag but never lies.  Before it changes anything the
 *    writer marks the header dirty and flushes that page (msync); it
 *    then changes the tables in place, flushes them, and only then writes
 *    the new header (what it covers, the hashes, a checksum of the
 *    header) and the clean mark, in that order.  A kill at any instruction
 *    leaves either the old clean index (which lags: the tail is indexed
 *    next time), the new clean one, or a dirty one, which the next writer
 *    builds again.  A rebuild writes the dirty header first and keeps it
 *    until the end.  New space comes from posix_fallocate, so a full disk
 *    is an error, never a SIGBUS.
 *  - A journal that cannot be indexed (a record that is not a good
 *    history record, a line ending in a lone CR) gets a refused index: the
 *    header alone, naming the journal's state, so that the writers read
 *    the journal as before without trying again until it changes.
 *  - Layout: a 4 KiB header, then space allocated upwards: two hash tables
 *    (ids, duplicate keys: open addressing, linear probing, at most half
 *    full, doubled by rehashing into new space), the record nodes, the
 *    strings and the stage values.  References are 32-bit counts of 8
 *    bytes (an index of at most 32 GiB).  Native byte order: the index is
 *    a cache of one machine, rebuilt on another.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "salespipe/entry.h"
#include "salespipe/rec.h"
#include "salespipe/group.h"
#include "salespipe/sidecar.h"

#define HDR_SIZE 4096
#define WINDOW 4096			/* bytes hashed at each end */
#define VERSION 1
#define ENDIAN 0x01020304u
#define MAX_SIZE ((uint64_t)1 << 35)	/* 32-bit references of 8 bytes */
#define GRAIN ((uint64_t)1 << 16)	/* the file grows by 64 KiB at least */

static const char magic[8] = { 'S', 'P', 'J', 'I', 'D', 'X', '\r', '\n' };

enum { ST_CLEAN = 0x4e41454c, ST_DIRTY = 0x59545249, ST_REFUSED = 0x44455355 };

struct hdr {
	char magic[8];
	uint32_t version, endian;
	uint32_t fmt, pad;
	uint64_t kind;			/* hash of the kind's prefix, dup fields */
	uint64_t dev, ino;		/* the journal */
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint64_t covered;		/* journal bytes indexed */
	uint64_t lines;			/* newlines in them */
	uint64_t hdrlen, hdrlines;	/* CSV: bytes and lines before the
					   first record */
	uint64_t head_sum, tail_sum;	/* of the covered bytes' ends */
	int64_t max_number;
	uint64_t max_node;		/* a record of the id that has it */
	uint64_t size, used;		/* the file; bytes allocated */
	uint64_t ids, ids_cap, ids_n;
	uint64_t dups, dups_cap, dups_n;
	uint64_t stages, stages_cap, stages_n;
	uint64_t records;
	uint32_t state, pad2;		/* written last */
	uint64_t sum;			/* of the bytes before state */
};

struct slot {
	uint64_t hash;			/* 0: empty */
	uint32_t str;			/* the id or key */
	uint32_t node;			/* ids: the newest record; dups: the
					   first */
};

struct node {
	uint64_t off;			/* the record's bytes in the journal */
	uint32_t prev;			/* the id's record before it, or 0 */
	uint32_t len;
};

struct sp_sidecar {
	char *path;			/* JOURNAL.idx */
	int fd;
	const sp_kind *k;
	sp_journal *j;
	int fmt;
	int usable;
	int ioerr;			/* the index file could not be written */
	char *map;			/* the whole file */
	size_t maplen;
};

#define H(s) ((struct hdr *)(void *)(s)->map)

_Static_assert(sizeof(struct hdr) <= HDR_SIZE, "header fits its page");
_Static_assert(sizeof(struct slot) == 16 && sizeof(struct node) == 16,
    "packed tables");

static uint64_t
key_hash(const char *p, size_t n)
{
	uint64_t h = sp_hash(p, n);

	return h != 0 ? h : 1;
}

static uint64_t
kind_hash(const sp_kind *k)
{
	char buf[256];
	size_t n = 0, i, l, m;
	const char *const *f;

	for (i = 0; i < 5 && (i == 0 || k->dup_fields[i - 1] != NULL); i++) {
		const char *w = i == 0 ? k->prefix : k->dup_fields[i - 1];
		l = strlen(w);
		if (n + l + 1 > sizeof(buf))
			break;
		memcpy(buf + n, w, l);
		n += l;
		buf[n++] = '\0';
	}
	/* the more keys (and the country their phones are read in) are
	   in the index too: another set is another index */
	for (m = 1; m < sp_kind_dup_count(k); m++)
		for (f = sp_kind_dup_fields(k, m); *f != NULL; f++) {
			l = strlen(*f);
			if (n + l + 2 > sizeof(buf))
				break;
			buf[n++] = (char)('0' + m);
			memcpy(buf + n, *f, l);
			n += l;
			buf[n++] = '\0';
		}
	if (k->phone_country != NULL && *k->phone_country != '\0' &&
	    n + strlen(k->phone_country) + 1 < sizeof(buf)) {
		buf[n++] = '+';
		memcpy(buf + n, k->phone_country, strlen(k->phone_country));
		n += strlen(k->phone_country);
	}
	return sp_hash(buf, n);
}

static void
window_sums(const char *text, uint64_t n, uint64_t *head, uint64_t *tail)
{
	uint64_t w = n < WINDOW ? n : WINDOW;

	*head = sp_hash(text, (size_t)w);
	*tail = sp_hash(text + n - w, (size_t)w);
}

/* ---- space ----------------------------------------------------------- */

static void *
at(const sp_sidecar *s, uint64_t ref, size_t len)
{
	uint64_t off = ref << 3;

	if (ref == 0 || off > H(s)->used || len > H(s)->used - off)
		return NULL;
	return s->map + off;
}

/* Grow the file to hold at least want bytes.  0, or -1 (e set). */
static int
grow_file(sp_sidecar *s, uint64_t want, sp_error *e)
{
	uint64_t size = s->maplen, ns = size + size / 2;
	void *m;
	int rc;

	if (ns < want)
		ns = want;
	ns = (ns + GRAIN - 1) / GRAIN * GRAIN;
	s->ioerr = 1;	/* until it worked */
	if (ns > MAX_SIZE) {
		errno = EFBIG;
		return sp_err_sys(e, s->path, "cannot grow the index");
	}
	if ((rc = posix_fallocate(s->fd, (off_t)size, (off_t)(ns - size))) !=
	    0) {
		errno = rc;
		return sp_err_sys(e, s->path, "cannot grow the index");
	}
	m = mremap(s->map, s->maplen, (size_t)ns, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		return sp_err_sys(e, s->path, "cannot map the index");
	s->ioerr = 0;
	s->map = m;
	s->maplen = (size_t)ns;
	H(s)->size = ns;
	return 0;
}

/* n zeroed bytes, 8-aligned: their reference, or 0 (e set). */
static uint32_t
alloc(sp_sidecar *s, uint64_t n, sp_error *e)
{
	uint64_t off;

	n = (n + 7) & ~(uint64_t)7;
	if (H(s)->used + n > s->maplen && grow_file(s, H(s)->used + n, e) < 0)
		return 0;
	off = H(s)->used;
	H(s)->used += n;
	memset(s->map + off, 0, (size_t)n);
	return (uint32_t)(off >> 3);
}

static uint32_t
store_str(sp_sidecar *s, const char *p, size_t n, sp_error *e)
{
	uint32_t ref, len = (uint32_t)n;

	if (n > UINT32_MAX - 8) {
		s->ioerr = 1;
		sp_err_set(e, NULL, "a key of %zu bytes is too long", n);
		return 0;
	}
	if ((ref = alloc(s, 4 + n, e)) == 0)
		return 0;
	memcpy(s->map + ((uint64_t)ref << 3), &len, 4);
	memcpy(s->map + ((uint64_t)ref << 3) + 4, p, n);
	return ref;
}

/* The string at ref: its bytes, *n its length; NULL when out of bounds. */
static const char *
get_str(const sp_sidecar *s, uint32_t ref, size_t *n)
{
	const char *p = at(s, ref, 4);
	uint32_t len;

	if (p == NULL)
		return NULL;
	memcpy(&len, p, 4);
	if (at(s, ref, 4 + (size_t)len) == NULL)
		return NULL;
	*n = len;
	return p + 4;
}

/* ---- hash tables ------------------------------------------------------ */

/*
 * The slot of key in the table at toff (cap slots): the one holding it,
 * or the empty one where it goes.  Its index, or UINT64_MAX when the
 * table is full or out of bounds (a damaged index).
 */
static uint64_t
slot_find(const sp_sidecar *s, uint64_t toff, uint64_t cap, uint64_t h,
    const char *key, size_t len)
{
	const struct slot *t;
	uint64_t i, k;
	size_t n;
	const char *p;

	if (cap == 0 || (cap & (cap - 1)) != 0 || toff + cap * 16 > H(s)->used)
		return UINT64_MAX;
	t = (const struct slot *)(const void *)(s->map + toff);
	for (i = h & (cap - 1), k = 0; k < cap; i = (i + 1) & (cap - 1), k++) {
		if (t[i].hash == 0)
			return i;
		if (t[i].hash == h && (p = get_str(s, t[i].str, &n)) != NULL &&
		    n == len && memcmp(p, key, len) == 0)
			return i;
	}
	return UINT64_MAX;
}

/* Double a table (which: 0 ids, 1 dups) into new space. */
static int
table_grow(sp_sidecar *s, int which, sp_error *e)
{
	uint64_t *toff = which ? &H(s)->dups : &H(s)->ids;
	uint64_t *tcap = which ? &H(s)->dups_cap : &H(s)->ids_cap;
	uint64_t cap = *tcap * 2, i, j;
	uint32_t ref = alloc(s, cap * sizeof(struct slot), e);
	const struct slot *old;
	struct slot *t;

	if (ref == 0)
		return -1;
	/* alloc may have moved the map: the header again */
	toff = which ? &H(s)->dups : &H(s)->ids;
	tcap = which ? &H(s)->dups_cap : &H(s)->ids_cap;
	old = (const struct slot *)(const void *)(s->map + *toff);
	t = (struct slot *)(void *)(s->map + ((uint64_t)ref << 3));
	for (i = 0; i < *tcap; i++) {
		if (old[i].hash == 0)
			continue;
		for (j = old[i].hash & (cap - 1); t[j].hash != 0;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = old[i];
	}
	*toff = (uint64_t)ref << 3;
	*tcap = cap;
	return 0;
}

/*
 * The slot of key in table which, made (empty node) when new: its index,
 * *made 1 when new; UINT64_MAX (e set) on failure.
 */
static uint64_t
slot_get(sp_sidecar *s, int which, const char *key, size_t len, int *made,
    sp_error *e)
{
	uint64_t h = key_hash(key, len), i;
	uint32_t str;
	struct slot *t;

	*made = 0;
	if (((which ? H(s)->dups_n : H(s)->ids_n) + 1) * 2 >
	    (which ? H(s)->dups_cap : H(s)->ids_cap) &&
	    table_grow(s, which, e) < 0)
		return UINT64_MAX;
	i = slot_find(s, which ? H(s)->dups : H(s)->ids,
	    which ? H(s)->dups_cap : H(s)->ids_cap, h, key, len);
	if (i == UINT64_MAX) {
		sp_err_set(e, NULL, "the index is damaged");
		return UINT64_MAX;
	}
	t = (struct slot *)(void *)(s->map + (which ? H(s)->dups : H(s)->ids));
	if (t[i].hash != 0)
		return i;
	if ((str = store_str(s, key, len, e)) == 0)
		return UINT64_MAX;
	t = (struct slot *)(void *)(s->map + (which ? H(s)->dups : H(s)->ids));
	t[i].str = str;
	t[i].node = 0;
	t[i].hash = h;
	if (which)
		H(s)->dups_n++;
	else
		H(s)->ids_n++;
	*made = 1;
	return i;
}

/* The slot holding key in table which, or NULL. */
static const struct slot *
slot_lookup(const sp_sidecar *s, int which, const char *key, size_t len)
{
	uint64_t toff = which ? H(s)->dups : H(s)->ids;
	uint64_t i = slot_find(s, toff, which ? H(s)->dups_cap : H(s)->ids_cap,
	    key_hash(key, len), key, len);
	const struct slot *t = (const struct slot *)(const void *)
	    (s->map + toff);

	if (i == UINT64_MAX || t[i].hash == 0)
		return NULL;
	return &t[i];
}

/* ---- indexing ---------------------------------------------------------- */

struct scan {
	sp_sidecar *s;
	const char *text;	/* the journal */
	uint64_t off, end;	/* off: where line `line` starts */
	long line;
	uint32_t pending;	/* the last node made, its len not yet known */
};

static int
add_stage(sp_sidecar *s, const char *v, size_t n, sp_error *e)
{
	uint32_t *list = (uint32_t *)(void *)(s->map + H(s)->stages), ref;
	uint64_t i;
	const char *p;
	size_t len;

	for (i = 0; i < H(s)->stages_n; i++)
		if ((p = get_str(s, list[i], &len)) != NULL && len == n &&
		    memcmp(p, v, n) == 0)
			return 0;
	if (H(s)->stages_n == H(s)->stages_cap) {
		uint64_t cap = H(s)->stages_cap * 2;
		if ((ref = alloc(s, cap * 4, e)) == 0)
			return -1;
		memcpy(s->map + ((uint64_t)ref << 3), s->map + H(s)->stages,
		    (size_t)H(s)->stages_n * 4);
		H(s)->stages = (uint64_t)ref << 3;
		H(s)->stages_cap = cap;
	}
	if ((ref = store_str(s, v, n, e)) == 0)
		return -1;
	list = (uint32_t *)(void *)(s->map + H(s)->stages);
	list[H(s)->stages_n++] = ref;
	return 0;
}

static struct node *
node_at(const sp_sidecar *s, uint32_t ref)
{
	return at(s, ref, sizeof(struct node));
}

/* One record read by sp_index_scan: its node, its id's and key's slots. */
static int
scan_item(void *ctx, const sp_index_item *it, sp_error *e)
{
	struct scan *sc = ctx;
	sp_sidecar *s = sc->s;
	uint32_t nref;
	uint64_t i;
	struct node *nd;
	struct slot *t;
	int64_t num;
	int made;
	size_t k;

	/* the record's offset: its first line's */
	while (sc->line < it->line) {
		const char *p = memchr(sc->text + sc->off, '\n',
		    (size_t)(sc->end - sc->off));
		if (p == NULL)
			break;
		sc->off = (uint64_t)(p - sc->text) + 1;
		sc->line++;
	}
	if (sc->line != it->line || sc->off >= sc->end)
		return sp_err_set(e, NULL, "line %ld is not where the index "
		    "looked for it", it->line);
	if (sc->pending != 0) {
		nd = node_at(s, sc->pending);
		nd->len = (uint32_t)(sc->off - nd->off);
	}
	if ((nref = alloc(s, sizeof(struct node), e)) == 0)
		return -1;
	nd = node_at(s, nref);
	nd->off = sc->off;
	sc->pending = nref;
	if (H(s)->records++ == 0 && s->fmt == SP_FMT_CSV) {
		H(s)->hdrlen = sc->off;
		H(s)->hdrlines = (uint64_t)it->line - 1;
	}
	if ((i = slot_get(s, 0, it->id, it->idlen, &made, e)) == UINT64_MAX)
		return -1;
	t = (struct slot *)(void *)(s->map + H(s)->ids);
	nd = node_at(s, nref);
	nd->prev = t[i].node;
	t[i].node = nref;
	if (made && (num = sp_index_id_number(s->k, it->id, it->idlen)) >
	    H(s)->max_number) {
		H(s)->max_number = num;
		H(s)->max_node = nref;
	}
	/* every duplicate key: the first record that holds it */
	for (k = 0; k <= SP_DUP_MORE; k++) {
		const char *key = k == 0 ? it->dup : it->more[k - 1];
		size_t klen = k == 0 ? it->duplen : it->morelen[k - 1];
		if (klen == 0)
			continue;
		if ((i = slot_get(s, 1, key, klen, &made, e)) == UINT64_MAX)
			return -1;
		t = (struct slot *)(void *)(s->map + H(s)->dups);
		if (made)
			t[i].node = nref;
	}
	if (it->stagelen > 0 && add_stage(s, it->stage, it->stagelen, e) < 0)
		return -1;
	return 0;
}

/* 1 when the n bytes at p have a CR that does not end a CRLF. */
static int
lone_cr(const char *p, size_t n)
{
	const char *q, *end = p + n;

	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 == end || q[1] != '\n')
			return 1;
	return 0;
}

static uint64_t
count_nl(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t k = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/*
 * Index the journal's bytes from what the index covers to n (text: the
 * whole journal).  The caller marked the index dirty.  0, or -1 (e set):
 * the journal cannot be indexed, or the index not written.
 */
static int
index_tail(sp_sidecar *s, const char *text, uint64_t n, sp_error *e)
{
	struct scan sc;
	uint64_t from = H(s)->covered;
	const char *buf = text + from;
	char *copy = NULL;
	size_t len = (size_t)(n - from);
	long base = (long)H(s)->lines;
	int rc;

	if (n == from)
		return 0;
	if (lone_cr(text + from, (size_t)(n - from)))
		return sp_err_set(e, NULL, "a line ends in a lone CR");
	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	sc.text = text;
	sc.off = from;
	sc.end = n;
	sc.line = (long)H(s)->lines + 1;
	if (s->fmt == SP_FMT_CSV && H(s)->records == 0) {
		/* the header is all there is before: read from the start */
		buf = text;
		len = (size_t)n;
		base = 0;
	} else if (s->fmt == SP_FMT_CSV) {
		/* the header, then the new rows */
		uint64_t hl = H(s)->hdrlen;
		if (hl > from || (copy = malloc((size_t)(hl + n - from))) ==
		    NULL)
			return sp_err_set(e, NULL, hl > from ? "the index is "
			    "damaged" : "out of memory");
		memcpy(copy, text, (size_t)hl);
		memcpy(copy + hl, text + from, (size_t)(n - from));
		buf = copy;
		len = (size_t)(hl + n - from);
		base = (long)(H(s)->lines - H(s)->hdrlines);
	}
	rc = sp_index_scan(s->k, buf, len, s->fmt, sp_journal_path(s->j), base,
	    scan_item, &sc, e);
	free(copy);
	if (rc < 0)
		return -1;
	if (sc.pending != 0) {
		struct node *nd = node_at(s, sc.pending);
		nd->len = (uint32_t)(n - nd->off);
	}
	H(s)->lines = (uint64_t)sc.line - 1 + count_nl(text + sc.off,
	    (size_t)(n - sc.off));
	H(s)->covered = n;
	if (H(s)->records == 0) {
		H(s)->hdrlen = n;
		H(s)->hdrlines = H(s)->lines;
	}
	return 0;
}

/* The journal's identity and the covered bytes' hashes into the header. */
static void
set_identity(sp_sidecar *s, const struct stat *jst, const char *text,
    uint64_t n)
{
	struct hdr *h = H(s);

	h->dev = (uint64_t)jst->st_dev;
	h->ino = (uint64_t)jst->st_ino;
	h->mtime_s = (int64_t)jst->st_mtim.tv_sec;
	h->mtime_ns = (int64_t)jst->st_mtim.tv_nsec;
	h->ctime_s = (int64_t)jst->st_ctim.tv_sec;
	h->ctime_ns = (int64_t)jst->st_ctim.tv_nsec;
	h->covered = n;
	window_sums(text, n, &h->head_sum, &h->tail_sum);
}

static int
mark_dirty(sp_sidecar *s, sp_error *e)
{
	__atomic_store_n(&H(s)->state, ST_DIRTY, __ATOMIC_SEQ_CST);
	if (msync(s->map, HDR_SIZE, MS_SYNC) < 0)
		return sp_err_sys(e, s->path, "cannot write the index");
	return 0;
}

/* Flush the tables, then the header's checksum, then its state. */
static int
seal(sp_sidecar *s, uint32_t state, sp_error *e)
{
	if (msync(s->map, s->maplen, MS_SYNC) < 0)
		return sp_err_sys(e, s->path, "cannot write the index");
	H(s)->sum = sp_hash(s->map, offsetof(struct hdr, state));
	__atomic_store_n(&H(s)->state, state, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * The journal cannot be indexed: keep only a header that says so, for
 * this state of the journal (text, n bytes; jst).  Called dirty.
 */
static int
refuse(sp_sidecar *s, const struct stat *jst, const char *text, uint64_t n,
    sp_error *e)
{
	struct hdr *h;

	s->usable = 0;
	if (s->ioerr) {		/* the index's fault, not the journal's */
		sp_err_where(e, s->path, 0);
		return -1;
	}
	/* the header page alone stays */
	if (s->maplen > HDR_SIZE) {
		if (munmap(s->map + HDR_SIZE, s->maplen - HDR_SIZE) < 0)
			return sp_err_sys(e, s->path, "cannot write the index");
		s->maplen = HDR_SIZE;
	}
	if (ftruncate(s->fd, HDR_SIZE) < 0)
		return sp_err_sys(e, s->path, "cannot write the index");
	h = H(s);
	memset(&h->covered, 0, offsetof(struct hdr, state) -
	    offsetof(struct hdr, covered));
	h->size = h->used = HDR_SIZE;
	set_identity(s, jst, text, n);
	return seal(s, ST_REFUSED, e);
}

/* The header of a new, empty index in the file (left dirty). */
static int
start(sp_sidecar *s, uint64_t size, sp_error *e)
{
	char *page = calloc(1, HDR_SIZE);
	struct hdr *h = (struct hdr *)(void *)page;
	void *m;
	int rc;

	if (page == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	s->map = NULL;
	memcpy(h->magic, magic, sizeof(magic));
	h->version = VERSION;
	h->endian = ENDIAN;
	h->state = ST_DIRTY;
	/* the dirty header first: whatever the file held is dead now */
	rc = pwrite(s->fd, page, HDR_SIZE, 0) == HDR_SIZE ? 0 : -1;
	free(page);
	if (rc < 0 || ftruncate(s->fd, HDR_SIZE) < 0)
		return sp_err_sys(e, s->path, "cannot write the index");
	size = (size + GRAIN - 1) / GRAIN * GRAIN;
	if (size > MAX_SIZE)
		size = MAX_SIZE;
	if ((rc = posix_fallocate(s->fd, HDR_SIZE, (off_t)(size - HDR_SIZE))) !=
	    0) {
		errno = rc;
		return sp_err_sys(e, s->path, "cannot write the index");
	}
	m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
	    0);
	if (m == MAP_FAILED)
		return sp_err_sys(e, s->path, "cannot map the index");
	s->map = m;
	s->maplen = (size_t)size;
	h = H(s);
	h->fmt = (uint32_t)s->fmt;
	h->kind = kind_hash(s->k);
	h->size = size;
	h->used = HDR_SIZE;
	/* the first GRAIN holds these: no growth, no move */
	h->ids_cap = h->dups_cap = 64;
	h->stages_cap = 16;
	h->ids = (uint64_t)alloc(s, 64 * sizeof(struct slot), e) << 3;
	h->dups = (uint64_t)alloc(s, 64 * sizeof(struct slot), e) << 3;
	h->stages = (uint64_t)alloc(s, 16 * 4, e) << 3;
	return 0;
}

/*
 * Build the index from the whole journal (text, n bytes).  1 built, 0
 * refused (the journal cannot be indexed), -1 (e set) not written.
 */
static int
rebuild(sp_sidecar *s, const struct stat *jst, const char *text, uint64_t n,
    sp_error *e)
{
	sp_error why;

	/* about 40 bytes of index per record of 100 bytes, and room */
	if (start(s, HDR_SIZE + n / 3 + GRAIN, e) < 0)
		return -1;
	s->usable = 1;
	sp_err_clear(&why);
	if (index_tail(s, text, n, &why) < 0) {
		*e = why;
		return refuse(s, jst, text, n, e) < 0 ? -1 : 0;
	}
	set_identity(s, jst, text, n);
	return seal(s, ST_CLEAN, e) < 0 ? -1 : 1;
}

/* 1 when the clean or refused header h is whole and of this journal. */
static int
header_ok(const sp_sidecar *s, const struct hdr *h, uint64_t fsize,
    const struct stat *jst)
{
	if (h->version != VERSION || h->endian != ENDIAN ||
	    (h->state != ST_CLEAN && h->state != ST_REFUSED) ||
	    h->sum != sp_hash((const char *)h, offsetof(struct hdr, state)))
		return 0;
	if (h->fmt != (uint32_t)s->fmt || h->kind != kind_hash(s->k) ||
	    h->dev != (uint64_t)jst->st_dev || h->ino != (uint64_t)jst->st_ino)
		return 0;
	if (h->size != fsize || h->used > h->size || h->size < HDR_SIZE)
		return 0;
	return 1;
}

static int
same_times(const struct hdr *h, const struct stat *jst)
{
	return h->mtime_s == (int64_t)jst->st_mtim.tv_sec &&
	    h->mtime_ns == (int64_t)jst->st_mtim.tv_nsec &&
	    h->ctime_s == (int64_t)jst->st_ctim.tv_sec &&
	    h->ctime_ns == (int64_t)jst->st_ctim.tv_nsec;
}

static int
map_file(sp_sidecar *s, uint64_t size, sp_error *e)
{
	void *m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    s->fd, 0);

	if (m == MAP_FAILED)
		return sp_err_sys(e, s->path, "cannot map the index");
	s->map = m;
	s->maplen = (size_t)size;
	return 0;
}

void
sp_sidecar_close(sp_sidecar *s)
{
	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
}

sp_sidecar *
sp_sidecar_open(sp_journal *j, const sp_kind *k, int *how, sp_error *e)
{
	sp_sidecar *s;
	struct stat jst, st;
	struct hdr h;
	const char *text;
	size_t n;
	uint64_t head, tail;
	ssize_t got;
	int jfd = sp_journal_fd(j), rc, fresh = 0;

	*how = SP_SIDECAR_NONE;
	sp_err_clear(e);
	if (jfd < 0) {
		sp_err_where(e, sp_journal_path(j), 0);
		sp_err_set(e, NULL, "not a regular file: no index");
		return NULL;
	}
	if (fstat(jfd, &jst) < 0) {
		sp_err_sys(e, sp_journal_path(j), "cannot stat");
		return NULL;
	}
	text = sp_journal_text(j, &n);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = malloc(strlen(sp_journal_path(j)) + 5)) == NULL) {
		free(s);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	strcpy(s->path, sp_journal_path(j));
	strcat(s->path, ".idx");
	s->k = k;
	s->j = j;
	s->fmt = sp_journal_format(j);
	s->fd = open(s->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0 && errno == ENOENT) {
		s->fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		/* readable and writable by whoever may write the journal */
		if (s->fd >= 0)
			(void)fchmod(s->fd, jst.st_mode & 0666);
	}
	if (s->fd < 0 || fstat(s->fd, &st) < 0) {
		if (errno == ELOOP || errno == EISDIR)
			*how = SP_SIDECAR_FOREIGN;
		sp_err_sys(e, s->path, errno == ELOOP ? "a symbolic link, left "
		    "as it is" : errno == EISDIR ? "not a regular file, left as "
		    "it is" : "cannot open the index");
		sp_sidecar_close(s);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*how = SP_SIDECAR_FOREIGN;
		sp_err_where(e, s->path, 0);
		sp_err_set(e, NULL, "not a regular file, left as it is");
		sp_sidecar_close(s);
		return NULL;
	}
	memset(&h, 0, sizeof(h));
	got = st.st_size > 0 ? pread(s->fd, &h, sizeof(h), 0) : 0;
	if (got > 0 && (got < (ssize_t)sizeof(magic) ||
	    memcmp(h.magic, magic, sizeof(magic)) != 0)) {
		*how = SP_SIDECAR_FOREIGN;
		sp_err_where(e, s->path, 0);
		sp_err_set(e, NULL, "not a salespipe journal index, left as it "
		    "is");
		sp_sidecar_close(s);
		return NULL;
	}
	if (got == (ssize_t)sizeof(h) &&
	    header_ok(s, &h, (uint64_t)st.st_size, &jst)) {
		window_sums(text, h.covered <= n ? h.covered : 0, &head, &tail);
		if (h.covered > n || head != h.head_sum || tail != h.tail_sum)
			;	/* cut back, or other bytes: build it again */
		else if (h.state == ST_REFUSED) {
			if (h.covered == n && same_times(&h, &jst) &&
			    map_file(s, HDR_SIZE, e) == 0) {
				*how = SP_SIDECAR_REFUSED;
				return s;
			}
		} else if (h.covered < n || same_times(&h, &jst))
			fresh = 1;
	}
	if (fresh) {
		if (map_file(s, (uint64_t)st.st_size, e) < 0) {
			sp_sidecar_close(s);
			return NULL;
		}
		s->usable = 1;
		if (h.covered == n) {
			*how = SP_SIDECAR_FRESH;
			return s;
		}
		*how = SP_SIDECAR_TAIL;
		if (mark_dirty(s, e) < 0) {
			sp_sidecar_close(s);
			return NULL;
		}
		if (index_tail(s, text, n, e) == 0) {
			set_identity(s, &jst, text, n);
			if (seal(s, ST_CLEAN, e) == 0)
				return s;
			sp_sidecar_close(s);
			return NULL;
		}
		if (refuse(s, &jst, text, n, e) < 0) {
			sp_sidecar_close(s);
			return NULL;
		}
		*how = SP_SIDECAR_REFUSED;
		return s;
	}
	rc = rebuild(s, &jst, text, n, e);
	if (rc < 0) {
		sp_sidecar_close(s);
		return NULL;
	}
	*how = rc == 1 ? SP_SIDECAR_BUILT : SP_SIDECAR_REFUSED;
	return s;
}

int
sp_sidecar_usable(const sp_sidecar *s)
{
	return s != NULL && s->usable;
}

int
sp_sidecar_update(sp_sidecar *s, sp_journal *j, sp_error *e)
{
	struct stat jst;
	uint64_t n = (uint64_t)sp_journal_size(j);
	void *text;
	int rc;

	sp_err_clear(e);
	if (n == H(s)->covered)
		return 0;
	if (n < H(s)->covered || fstat(sp_journal_fd(j), &jst) < 0) {
		errno = n < H(s)->covered ? EINVAL : errno;
		return sp_err_sys(e, sp_journal_path(j), "cannot index");
	}
	text = mmap(NULL, (size_t)n, PROT_READ, MAP_SHARED, sp_journal_fd(j),
	    0);
	if (text == MAP_FAILED)
		return sp_err_sys(e, sp_journal_path(j), "cannot index");
	if ((rc = mark_dirty(s, e)) == 0) {
		if (!s->usable) {
			set_identity(s, &jst, text, n);
			rc = seal(s, ST_REFUSED, e);
		} else if (index_tail(s, text, n, e) == 0) {
			set_identity(s, &jst, text, n);
			rc = seal(s, ST_CLEAN, e);
		} else
			rc = refuse(s, &jst, text, n, e);
	}
	munmap(text, (size_t)n);
	return rc;
}

/* ---- answers ------------------------------------------------------------ */

struct ranges {
	sp_index_range *v;
	size_t n, cap;
};

static int
push_node(const sp_sidecar *s, struct ranges *r, uint32_t ref)
{
	const struct node *nd = node_at(s, ref);

	if (nd == NULL || nd->off + nd->len > H(s)->covered)
		return -1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		sp_index_range *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].off = nd->off;
	r->v[r->n].len = nd->len;
	r->n++;
	return 0;
}

/* Every record of the id in slot sl, newest first. */
static int
push_chain(const sp_sidecar *s, struct ranges *r, const struct slot *sl)
{
	uint32_t ref = sl->node;
	uint64_t k;

	for (k = 0; ref != 0; k++) {
		if (k > H(s)->records || push_node(s, r, ref) < 0)
			return -1;
		ref = node_at(s, ref)->prev;
	}
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	uint64_t x = ((const sp_index_range *)a)->off;
	uint64_t y = ((const sp_index_range *)b)->off;

	return (x > y) - (x < y);
}

int
sp_sidecar_load(sp_sidecar *s, sp_index *x, const char *const *ids,
    size_t nids, const char *const *dups, const size_t *duplens,
    size_t ndups, int max, char ***header, sp_error *e)
{
	struct ranges r;
	const struct slot *sl;
	const char *text;
	size_t n, i, k;
	uint64_t total = 0;
	int rc = -1;

	sp_err_clear(e);
	if (header != NULL)
		*header = NULL;
	memset(&r, 0, sizeof(r));
	if (!s->usable)
		return sp_err_set(e, NULL, "the journal has no usable index");
	text = sp_journal_text(s->j, &n);
	if (n != H(s)->covered)
		return sp_err_set(e, NULL, "the index does not cover the "
		    "journal");
	for (i = 0; i < nids; i++)
		if ((sl = slot_lookup(s, 0, ids[i], strlen(ids[i]))) != NULL &&
		    push_chain(s, &r, sl) < 0)
			goto damaged;
	for (i = 0; i < ndups; i++)
		if (duplens[i] > 0 && (sl = slot_lookup(s, 1, dups[i],
		    duplens[i])) != NULL && push_node(s, &r, sl->node) < 0)
			goto damaged;
	if (max && H(s)->max_node != 0 && push_node(s, &r, (uint32_t)
	    H(s)->max_node) < 0)
		goto damaged;
	if (r.n > 1)
		qsort(r.v, r.n, sizeof(*r.v), cmp_range);
	for (i = k = 0; i < r.n; i++)
		if (k == 0 || r.v[i].off != r.v[k - 1].off) {
			r.v[k++] = r.v[i];
			total += r.v[i].len;
		}
	r.n = k;
	if (total > H(s)->covered / 2) {
		free(r.v);
		return 1;
	}
	rc = sp_index_read_ranges(x, text, n, s->fmt, sp_journal_path(s->j),
	    s->fmt == SP_FMT_CSV ? (size_t)H(s)->hdrlen : 0, r.v, r.n, header,
	    e);
	free(r.v);
	return rc;
damaged:
	free(r.v);
	return sp_err_set(e, NULL, "the index is damaged");
}

int
sp_sidecar_has(const sp_sidecar *s, const char *id, size_t idlen)
{
	return s->usable && slot_lookup(s, 0, id, idlen) != NULL;
}

int
sp_sidecar_stage(const sp_sidecar *s, size_t i, const char **name,
    size_t *len)
{
	const uint32_t *list;

	if (!s->usable || i >= H(s)->stages_n ||
	    at(s, (uint32_t)(H(s)->stages >> 3), H(s)->stages_n * 4) == NULL)
		return 0;
	list = (const uint32_t *)(const void *)(s->map + H(s)->stages);
	return (*name = get_str(s, list[i], len)) != NULL;
}

uint64_t
sp_sidecar_covered(const sp_sidecar *s)
{
	return H(s)->covered;
}

int64_t
sp_sidecar_max_number(const sp_sidecar *s)
{
	return H(s)->max_number;
}

int
sp_sidecar_walk(const sp_sidecar *s, int (*fn)(void *ctx, int what,
    const char *key, size_t len, const sp_index_range *r, size_t nr),
    void *ctx)
{
	struct ranges r;
	const struct slot *t;
	const char *key;
	size_t len;
	uint64_t i;
	int which, rc = 0;

	if (!s->usable)
		return 0;
	memset(&r, 0, sizeof(r));
	for (which = 0; which < 2 && rc == 0; which++) {
		uint64_t cap = which ? H(s)->dups_cap : H(s)->ids_cap;
		t = (const struct slot *)(const void *)(s->map + (which ?
		    H(s)->dups : H(s)->ids));
		for (i = 0; i < cap && rc == 0; i++) {
			if (t[i].hash == 0)
				continue;
			r.n = 0;
			if ((key = get_str(s, t[i].str, &len)) == NULL ||
			    (which ? push_node(s, &r, t[i].node) :
			    push_chain(s, &r, &t[i])) < 0) {
				rc = -1;
				break;
			}
			if (r.n > 1)
				qsort(r.v, r.n, sizeof(*r.v), cmp_range);
			rc = fn(ctx, which, key, len, r.v, r.n);
		}
	}
	free(r.v);
	return rc;
}
