/*
 * Unit tests of the journal's index file (include/salespipe/sidecar.h):
 * built when missing, used when fresh, the tail indexed when the journal
 * grew, built again when it is stale (cut back, changed in place, another
 * journal's, another kind's), dirty (a writer killed in the middle of an
 * update, simulated at each step), torn or damaged; a file that is not an
 * index left alone; a journal that cannot be indexed refused until it
 * changes.  The answers are checked against small journals whose offsets
 * are counted by hand, and on larger generated ones against an index read
 * from the whole journal (sp_index_read), the reference.
 *
 * The file includes lib/sidecar.c itself, to reach its header and its
 * steps (mark_dirty, seal) and stop an update between any two of them.
 *
 * Run with --dump JOURNAL deal|lead it prints what the index of JOURNAL
 * answers (after opening it as a writer would), sorted, for
 * tests/journal.sh to compare with a fresh build: "how WHAT", "covered N",
 * "max N", "id ID OFF:LEN ...", "dup KEY OFF:LEN" (KEY with \0 as "\0").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "../../lib/sidecar.c"

/* ---- helpers -------------------------------------------------------- */

struct dir {
	char path[64];
};

static int
setup_dir(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/test_sidecar.XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static const char *
in(void **state, const char *name, char *buf, size_t size)
{
	const struct dir *d = *state;

	snprintf(buf, size, "%s/%s", d->path, name);
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
append_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "ab");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static sp_journal *
jopen(const char *path)
{
	sp_error e;
	sp_journal *j = sp_journal_open(path, SP_JOURNAL_CREATE, &e);

	if (j == NULL)
		fail_msg("journal_open(%s): %s:%ld: %s", path, e.file, e.line,
		    e.msg);
	return j;
}

/* Open the index of j; it must do `want`. */
static sp_sidecar *
sopen(sp_journal *j, const sp_kind *k, int want)
{
	sp_error e;
	int how = -1;
	sp_sidecar *s = sp_sidecar_open(j, k, &how, &e);

	if (how != want)
		fail_msg("sidecar_open(%s): did %d, want %d (%s)",
		    sp_journal_path(j), how, want, e.msg);
	return s;
}

/* Open journal and index, check how, close both. */
static void
expect_how(const char *path, const sp_kind *k, int want)
{
	sp_journal *j = jopen(path);
	sp_sidecar *s = sopen(j, k, want);

	sp_sidecar_close(s);
	sp_journal_close(j);
}

static int64_t
mtime_ns(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* A time a second from now: a file changed in the same clock tick as
 * it was indexed keeps its ctime on coarse clocks, and tests must not
 * depend on that. */
static void
tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Read the index's answers for ids/dups/max into a new index. */
static sp_index *
loaded(sp_sidecar *s, const sp_kind *k, sp_stages *st, const char *const *ids,
    size_t nids, const char *const *dups, size_t ndups, int max,
    char ***header)
{
	sp_index *x = sp_index_new(k, st);
	size_t lens[16], i;
	sp_error e;
	int rc;

	assert_non_null(x);
	assert_true(ndups <= 16);
	for (i = 0; i < ndups; i++)
		lens[i] = strlen(dups[i]);
	rc = sp_sidecar_load(s, x, ids, nids, dups, lens, ndups, max, header,
	    &e);
	if (rc != 0)
		fail_msg("sidecar_load: %d: %s", rc, e.msg);
	return x;
}

/* The stage of id at t in x (-2: unknown then). */
static int
stage_at(const sp_index *x, const char *id, int64_t t)
{
	int stage;
	int64_t since, first;

	if (!sp_index_state(x, id, t, &stage, &since, &first))
		return -2;
	return stage;
}

static int64_t
day(int d)
{
	return (int64_t)(20454 + d) * 86400;	/* 2026-01-01 + d */
}

/* ---- hand-counted journals -------------------------------------------- */

/* 4 records; byte offsets 0, 87, 137, 224 (lengths 87, 50, 87, 52). */
#define R1 "{\"id\":\"D-1\",\"at\":\"2026-01-01\",\"stage\":\"qualification\"," \
	"\"account\":\"Acme\",\"name\":\"Pilot\"}\n"
#define R2 "{\"id\":\"D-1\",\"at\":\"2026-01-03\",\"stage\":\"proposal\"}\n"
#define R3 "{\"id\":\"D-2\",\"at\":\"2026-01-02\",\"stage\":\"qualification\"," \
	"\"account\":\"ACME\",\"name\":\"pilot\"}\n"
#define R4 "{\"id\":\"D-17\",\"at\":\"2026-01-04\",\"stage\":\"Discovery\"}\n"
/* 66 bytes of another id, 8 times after them: 528 bytes */
#define PAD1 "{\"id\":\"X-1\",\"at\":\"2026-01-05\",\"note\":\"padding, padding, " \
	"padding\"}\n"
#define PAD PAD1 PAD1 PAD1 PAD1 PAD1 PAD1 PAD1 PAD1

struct walked {
	char buf[4096];
	size_t n;
};

static int
walk_line(void *ctx, int what, const char *key, size_t len,
    const sp_index_range *r, size_t nr)
{
	struct walked *w = ctx;
	size_t i;

	w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n, "%s ",
	    what ? "dup" : "id");
	for (i = 0; i < len; i++)
		w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n,
		    key[i] == '\0' ? "|" : key[i] == '\n' ? "\\n" : "%c",
		    key[i]);
	for (i = 0; i < nr; i++)
		w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n,
		    " %llu:%u", (unsigned long long)r[i].off, r[i].len);
	w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n, "\n");
	return 0;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk's lines, sorted, into out. */
static void
walk_sorted(const sp_sidecar *s, char *out, size_t size)
{
	struct walked w;
	char *v[64], *p, *save = NULL;
	size_t n = 0, i, k = 0;

	w.n = 0;
	w.buf[0] = '\0';
	assert_int_equal(sp_sidecar_walk(s, walk_line, &w), 0);
	for (p = strtok_r(w.buf, "\n", &save); p != NULL && n < 64;
	    p = strtok_r(NULL, "\n", &save))
		v[n++] = p;
	qsort(v, n, sizeof(*v), cmp_line);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, size - k, "%s\n", v[i]);
}

static void
test_built_then_fresh(void **state)
{
	char p[256], ip[256], got[4096];
	const char *ids[] = { "D-1", "D-2", "D-9" };
	const char *dups[] = { "acme\0pilot", "other\0x" };
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_journal *j;
	sp_sidecar *s;
	sp_index *x;
	size_t lens[2] = { 10, 7 };
	sp_error e;
	const char *name;
	size_t len;

	in(state, "d.jsonl", p, sizeof(p));
	in(state, "d.jsonl.idx", ip, sizeof(ip));
	write_file(p, R1 R2 R3 R4 PAD);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	assert_int_equal(sp_sidecar_usable(s), 1);
	assert_int_equal(sp_sidecar_covered(s), 804);
	assert_int_equal(sp_sidecar_max_number(s), 17);
	walk_sorted(s, got, sizeof(got));
	/* D-2's key is the same as D-1's (lower case): D-1 holds it */
	assert_string_equal(got,
	    "dup acme|pilot 0:87\n"
	    "id D-1 0:87 87:50\n"
	    "id D-17 224:52\n"
	    "id D-2 137:87\n"
	    "id X-1 276:66 342:66 408:66 474:66 540:66 606:66 672:66 "
	    "738:66\n");
	assert_int_equal(sp_sidecar_has(s, "D-2", 3), 1);
	assert_int_equal(sp_sidecar_has(s, "D-3", 3), 0);
	assert_int_equal(sp_sidecar_has(s, "D-", 2), 0);
	/* the stage values as written */
	assert_int_equal(sp_sidecar_stage(s, 0, &name, &len), 1);
	assert_int_equal(len, 13);
	assert_memory_equal(name, "qualification", 13);
	assert_int_equal(sp_sidecar_stage(s, 1, &name, &len), 1);
	assert_memory_equal(name, "proposal", 8);
	assert_int_equal(sp_sidecar_stage(s, 2, &name, &len), 1);
	assert_memory_equal(name, "Discovery", 9);
	assert_int_equal(sp_sidecar_stage(s, 3, &name, &len), 0);
	/* the records the checks need, through the reader */
	x = sp_index_new(&sp_kind_deal, st);
	assert_int_equal(sp_sidecar_load(s, x, ids, 3, dups, lens, 2, 1, NULL,
	    &e), 0);
	assert_int_equal(sp_index_has(x, "D-1"), 1);
	assert_int_equal(sp_index_has(x, "D-2"), 1);
	assert_int_equal(sp_index_has(x, "D-9"), 0);
	assert_int_equal(sp_index_max_number(x), 17);
	assert_string_equal(sp_index_dup(x, "acme\0pilot", 10), "D-1");
	assert_null(sp_index_dup(x, "other\0x", 7));
	assert_int_equal(stage_at(x, "D-1", day(1)), 0);
	assert_int_equal(stage_at(x, "D-1", day(2)), 2);
	assert_int_equal(stage_at(x, "D-1", day(-1)), -2);
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	/* the second open uses it as it is: no write */
	{
		int64_t before = mtime_ns(ip);
		expect_how(p, &sp_kind_deal, SP_SIDECAR_FRESH);
		assert_true(mtime_ns(ip) == before);
	}
	sp_stages_free(st);
}

/* More than half of the journal: the caller reads it whole. */
/* A lead journal's more keys (phone, company and name) are indexed and
 * loaded as its email is; another --default-country is another index. */
static void
test_more_keys(void **state)
{
	char p[256], got[4096];
	const char *ids[] = { "L-3" };
	const char *dups[] = { "\x01" "1" "2125550188", "\x01" "2acme\0ann",
	    "\x01" "1+12125550188" };
	size_t lens[] = { 12, 10, 14 };
	sp_stages *st = sp_stages_default(SP_STAGES_LEADS);
	sp_kind us = sp_kind_lead;
	sp_journal *j;
	sp_sidecar *s;
	sp_index *x;
	sp_error e;

	write_file(in(state, "l.jsonl", p, sizeof(p)),
	    "{\"id\":\"L-1\",\"at\":\"2026-01-01\",\"name\":\"Ann\","
	    "\"company\":\"Acme\",\"phone\":\"(212) 555-0188\"}\n"
	    "{\"id\":\"L-2\",\"at\":\"2026-01-01\",\"name\":\"ANN\","
	    "\"company\":\"ACME\",\"phone\":\"212 555 0188 x1\"}\n"
	    "{\"id\":\"L-3\",\"at\":\"2026-01-01\",\"name\":\"Bo\"}\n"
	    PAD PAD PAD);
	j = jopen(p);
	s = sopen(j, &sp_kind_lead, SP_SIDECAR_BUILT);
	walk_sorted(s, got, sizeof(got));
	/* L-2's keys are L-1's (86 bytes at 0): L-1 holds them */
	assert_non_null(strstr(got, "dup \x01" "12125550188 0:86\n"));
	assert_non_null(strstr(got, "dup \x01" "2acme|ann 0:86\n"));
	x = sp_index_new(&sp_kind_lead, st);
	assert_int_equal(sp_sidecar_load(s, x, ids, 1, dups, lens, 3, 1, NULL,
	    &e), 0);
	assert_string_equal(sp_index_dup(x, dups[0], lens[0]), "L-1");
	assert_string_equal(sp_index_dup(x, dups[1], lens[1]), "L-1");
	assert_null(sp_index_dup(x, dups[2], lens[2]));
	assert_int_equal(sp_index_has(x, "L-3"), 1);
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	/* read with a calling code: built again, with the +1 keys */
	us.phone_country = "1";
	j = jopen(p);
	s = sopen(j, &us, SP_SIDECAR_BUILT);
	x = sp_index_new(&us, st);
	assert_int_equal(sp_sidecar_load(s, x, ids, 1, dups, lens, 3, 1, NULL,
	    &e), 0);
	assert_null(sp_index_dup(x, dups[0], lens[0]));
	assert_string_equal(sp_index_dup(x, dups[2], lens[2]), "L-1");
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	sp_stages_free(st);
}

static void
test_load_most_of_it(void **state)
{
	char p[256];
	const char *ids[] = { "D-1", "D-2" };
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_journal *j;
	sp_sidecar *s;
	sp_index *x;
	sp_error e;

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1 R2 R3 R4);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	x = sp_index_new(&sp_kind_deal, st);
	assert_int_equal(sp_sidecar_load(s, x, ids, 2, NULL, NULL, 0, 0, NULL,
	    &e), 1);
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	sp_stages_free(st);
}

static void
test_tail(void **state)
{
	char p[256], got[4096];
	sp_journal *j;
	sp_sidecar *s;

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1 R2);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* a hand append, with a blank line: the tail is indexed */
	append_file(p, "\n" R3 R4);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_TAIL);
	walk_sorted(s, got, sizeof(got));
	/* the blank line is in no record's range: D-1's second record
	   ended where the index ended */
	assert_string_equal(got,
	    "dup acme|pilot 0:87\n"
	    "id D-1 0:87 87:50\n"
	    "id D-17 225:52\n"
	    "id D-2 138:87\n");
	assert_int_equal(sp_sidecar_covered(s), 277);
	assert_int_equal(sp_sidecar_max_number(s), 17);
	sp_sidecar_close(s);
	sp_journal_close(j);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_FRESH);
}

/* sp_sidecar_update after sp_journal_append, then fresh. */
static void
test_update(void **state)
{
	char p[256], got[4096];
	sp_journal *j;
	sp_sidecar *s;
	sp_error e;

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	assert_int_equal(sp_journal_append(j, R2 R3, strlen(R2 R3), &e), 0);
	assert_int_equal(sp_sidecar_update(s, j, &e), 0);
	assert_int_equal(sp_sidecar_covered(s), 224);
	/* nothing more: nothing to do */
	assert_int_equal(sp_sidecar_update(s, j, &e), 0);
	sp_sidecar_close(s);
	sp_journal_close(j);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_FRESH);
	walk_sorted(s, got, sizeof(got));
	assert_string_equal(got,
	    "dup acme|pilot 0:87\n"
	    "id D-1 0:87 87:50\n"
	    "id D-2 137:87\n");
	sp_sidecar_close(s);
	sp_journal_close(j);
}

static void
test_stale(void **state)
{
	char p[256], got[4096];
	sp_journal *j;
	sp_sidecar *s;
	int fd;

	in(state, "d.jsonl", p, sizeof(p));
	/* cut back below what it covers */
	write_file(p, R1 R2 R3);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	assert_int_equal(truncate(p, 137), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* cut back, then grown past it again: other bytes at its end */
	append_file(p, R4 R3);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_TAIL);
	assert_int_equal(truncate(p, 137), 0);
	append_file(p, R3 R4);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* the same length, changed in place (D-2 becomes D-3): its ctime
	   moved */
	tick();
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "3", 1, 146), 1);
	close(fd);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	walk_sorted(s, got, sizeof(got));
	assert_string_equal(got,
	    "dup acme|pilot 0:87\n"
	    "id D-1 0:87 87:50\n"
	    "id D-17 224:52\n"
	    "id D-3 137:87\n");
	sp_sidecar_close(s);
	sp_journal_close(j);
	/* a touch alone: built again too (it cannot tell) */
	tick();
	assert_int_equal(utimensat(AT_FDCWD, p, NULL, 0), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_FRESH);
}

/* Another journal's index copied over; another kind's. */
static void
test_foreign_index(void **state)
{
	char p[256], q[256], pi[256], qi[256], cmd[1100];
	sp_journal *j;
	sp_sidecar *s;

	write_file(in(state, "a.jsonl", p, sizeof(p)), R1 R2 R3 R4);
	write_file(in(state, "b.jsonl", q, sizeof(q)), R1 R2 R3 R4);
	in(state, "a.jsonl.idx", pi, sizeof(pi));
	in(state, "b.jsonl.idx", qi, sizeof(qi));
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* the same bytes, another file */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", pi, qi);
	assert_int_equal(system(cmd), 0);
	expect_how(q, &sp_kind_deal, SP_SIDECAR_BUILT);
	expect_how(q, &sp_kind_deal, SP_SIDECAR_FRESH);
	/* the journal replaced by a rename: another inode */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && mv '%s.new' '%s'", p,
	    p, p, p);
	assert_int_equal(system(cmd), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* a lead program on it: another kind */
	j = jopen(p);
	s = sopen(j, &sp_kind_lead, SP_SIDECAR_BUILT);
	assert_int_equal(sp_sidecar_max_number(s), 0);	/* no "L-n" */
	sp_sidecar_close(s);
	sp_journal_close(j);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
}

/* A file of that name that is not an index: left alone. */
static void
test_not_an_index(void **state)
{
	char p[256], ip[256], lp[256];
	sp_journal *j;
	sp_error e;
	int how;

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1);
	write_file(in(state, "d.jsonl.idx", ip, sizeof(ip)), "my notes\n");
	j = jopen(p);
	assert_null(sp_sidecar_open(j, &sp_kind_deal, &how, &e));
	assert_int_equal(how, SP_SIDECAR_FOREIGN);
	assert_non_null(strstr(e.msg, "not a salespipe journal index"));
	sp_journal_close(j);
	{
		char *got;
		FILE *f = fopen(ip, "r");
		char buf[64];
		assert_non_null(f);
		got = fgets(buf, sizeof(buf), f);
		fclose(f);
		assert_non_null(got);
		assert_string_equal(buf, "my notes\n");
	}
	/* a symbolic link is not followed */
	unlink(ip);
	in(state, "elsewhere", lp, sizeof(lp));
	assert_int_equal(symlink(lp, ip), 0);
	j = jopen(p);
	assert_null(sp_sidecar_open(j, &sp_kind_deal, &how, &e));
	assert_int_equal(how, SP_SIDECAR_FOREIGN);
	sp_journal_close(j);
	assert_int_equal(access(lp, F_OK), -1);
	/* an empty file is a missing index */
	unlink(ip);
	write_file(ip, "");
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* not a regular file at all */
	unlink(ip);
	assert_int_equal(mkdir(ip, 0755), 0);
	j = jopen(p);
	assert_null(sp_sidecar_open(j, &sp_kind_deal, &how, &e));
	assert_int_equal(how, SP_SIDECAR_FOREIGN);
	sp_journal_close(j);
	/* a journal that is not a regular file has none */
	j = sp_journal_open("/dev/null", 0, &e);
	assert_non_null(j);
	assert_null(sp_sidecar_open(j, &sp_kind_deal, &how, &e));
	assert_int_equal(how, SP_SIDECAR_NONE);
	sp_journal_close(j);
}

/* Damage: a torn or changed header, the file cut short. */
static void
test_damaged(void **state)
{
	char p[256], ip[256];
	struct hdr h;
	int fd;

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1 R2 R3 R4);
	in(state, "d.jsonl.idx", ip, sizeof(ip));
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* one byte of the header changed: its checksum */
	fd = open(ip, O_RDWR);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	h.max_number = 99;
	assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	close(fd);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* another version */
	fd = open(ip, O_RDWR);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	h.version = VERSION + 1;
	h.sum = sp_hash((const char *)&h, offsetof(struct hdr, state));
	assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	close(fd);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* the file cut short, header and all */
	assert_int_equal(truncate(ip, 100), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	assert_int_equal(truncate(ip, HDR_SIZE + 8), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_FRESH);
}

/*
 * A writer killed in the middle of its update, at each step: after its
 * append, before the index is marked (it lags: the tail); marked dirty;
 * tables half changed; flushed but not sealed.  Each time the next open
 * gives the answers of the whole journal.
 */
static void
test_killed_update(void **state)
{
	char p[256], got[4096], want[4096];
	int step;

	in(state, "d.jsonl", p, sizeof(p));
	write_file(p, R1 R2 R3 R4);
	{
		sp_journal *j = jopen(p);
		sp_sidecar *s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
		sp_error e;
		assert_int_equal(sp_journal_append(j, R3, strlen(R3), &e), 0);
		assert_int_equal(sp_sidecar_update(s, j, &e), 0);
		walk_sorted(s, want, sizeof(want));
		sp_sidecar_close(s);
		sp_journal_close(j);
	}
	for (step = 0; step < 4; step++) {
		pid_t pid;
		int status, how;
		sp_journal *j;
		sp_sidecar *s;

		write_file(p, R1 R2 R3 R4);
		expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
		fflush(NULL);
		if ((pid = fork()) == 0) {
			sp_error e;
			struct stat jst;
			j = jopen(p);
			s = sopen(j, &sp_kind_deal, SP_SIDECAR_FRESH);
			if (sp_journal_append(j, R3, strlen(R3), &e) < 0)
				_exit(3);
			if (step >= 1 && mark_dirty(s, &e) < 0)
				_exit(3);
			if (step >= 2) {
				void *t = mmap(NULL, 363, PROT_READ, MAP_SHARED,
				    sp_journal_fd(j), 0);
				if (t == MAP_FAILED || index_tail(s, t, 363,
				    &e) < 0)
					_exit(3);
				fstat(sp_journal_fd(j), &jst);
				set_identity(s, &jst, t, 363);
			}
			if (step >= 3 && msync(s->map, s->maplen, MS_SYNC) < 0)
				_exit(3);
			raise(SIGKILL);
			_exit(4);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		j = jopen(p);
		how = step == 0 ? SP_SIDECAR_TAIL : SP_SIDECAR_BUILT;
		s = sopen(j, &sp_kind_deal, how);
		walk_sorted(s, got, sizeof(got));
		assert_string_equal(got, want);
		assert_int_equal(sp_sidecar_covered(s), 363);
		sp_sidecar_close(s);
		sp_journal_close(j);
	}
}

/* A journal that cannot be indexed: refused until it changes. */
static void
test_refused(void **state)
{
	char p[256], ip[256];
	sp_journal *j;
	sp_sidecar *s;
	sp_error e;
	int64_t before;

	in(state, "d.jsonl", p, sizeof(p));
	in(state, "d.jsonl.idx", ip, sizeof(ip));
	write_file(p, R1 "{\"id\":\"D-5\",\"stage\":\"won\"}\n" R3);
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_REFUSED);
	assert_int_equal(sp_sidecar_usable(s), 0);
	assert_int_equal(sp_sidecar_has(s, "D-1", 3), 0);
	/* kept up to date while refused */
	assert_int_equal(sp_journal_append(j, R4, strlen(R4), &e), 0);
	assert_int_equal(sp_sidecar_update(s, j, &e), 0);
	sp_sidecar_close(s);
	sp_journal_close(j);
	before = mtime_ns(ip);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_REFUSED);
	assert_true(mtime_ns(ip) == before);	/* not tried again */
	/* mended (the bad line rewritten): built */
	write_file(p, R1 R3 R4);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* a bad record in a tail: refused */
	append_file(p, "{\"at\":\"2026-01-09\"}\n");
	expect_how(p, &sp_kind_deal, SP_SIDECAR_REFUSED);
	/* a lone CR */
	write_file(p, R1 "\r" R3);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_REFUSED);
	/* CRLF is fine */
	write_file(p, "{\"id\":\"D-1\",\"at\":\"2026-01-01\"}\r\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-01\"}\r\n");
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	/* a stage outside any list is no reason to refuse */
	write_file(p, "{\"id\":\"D-1\",\"at\":\"2026-01-01\",\"stage\":\"zzz\"}\n");
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
}

/* A CSV journal: the header, quoted line breaks, a tail. */
static void
test_csv(void **state)
{
	char p[256], got[4096];
	const char *ids[] = { "D-2" };
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_journal *j;
	sp_sidecar *s;
	sp_index *x;
	char **header = NULL;

	in(state, "d.csv", p, sizeof(p));
	/* offsets: header 0 (25 bytes), rows at 25 (and a blank line),
	   58 (two lines), 88; 109 in all */
	write_file(p, "id,at,stage,name,account\n"
	    "D-1,2026-01-01,proposal,Pilot,A\n"
	    "\n"
	    "D-2,2026-01-02,,\"two\nlines\",B\n"
	    "D-1,2026-01-03,won,,\n");
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	walk_sorted(s, got, sizeof(got));
	assert_string_equal(got,
	    "dup a|pilot 25:33\n"
	    "dup b|two\\nlines 58:30\n"
	    "id D-1 25:33 88:21\n"
	    "id D-2 58:30\n");
	x = loaded(s, &sp_kind_deal, st, ids, 1, NULL, 0, 1, &header);
	assert_non_null(header);
	assert_string_equal(header[0], "id");
	assert_string_equal(header[4], "account");
	assert_null(header[5]);
	assert_int_equal(sp_index_has(x, "D-2"), 1);
	assert_int_equal(sp_index_max_number(x), 2);
	sp_index_header_free(header);
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	/* a tail: read with the header */
	append_file(p, "D-3,2026-01-04,,x,y\n");
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_TAIL);
	walk_sorted(s, got, sizeof(got));
	assert_string_equal(got,
	    "dup a|pilot 25:33\n"
	    "dup b|two\\nlines 58:30\n"
	    "dup y|x 109:20\n"
	    "id D-1 25:33 88:21\n"
	    "id D-2 58:30\n"
	    "id D-3 109:20\n");
	sp_sidecar_close(s);
	sp_journal_close(j);
	/* a header alone, then rows */
	write_file(p, "id,at,stage\n");
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_BUILT);
	x = loaded(s, &sp_kind_deal, st, ids, 1, NULL, 0, 1, &header);
	assert_non_null(header);
	assert_string_equal(header[2], "stage");
	sp_index_header_free(header);
	sp_index_free(x);
	sp_sidecar_close(s);
	sp_journal_close(j);
	append_file(p, "D-4,2026-01-04,won\n");
	j = jopen(p);
	s = sopen(j, &sp_kind_deal, SP_SIDECAR_TAIL);
	walk_sorted(s, got, sizeof(got));
	assert_string_equal(got, "id D-4 12:19\n");
	assert_int_equal(sp_sidecar_max_number(s), 4);
	sp_sidecar_close(s);
	sp_journal_close(j);
	sp_stages_free(st);
}

/*
 * Thousands of records (the tables and the file grow, in a build and in
 * tails of every size): for every id and key, what the index reads back
 * is what the whole journal says.
 */
static void
test_many(void **state)
{
	char p[256], id[32], key[64];
	sp_stages *st = sp_stages_default(SP_STAGES_LEADS);
	const char *stages[] = { "new", "contacted", "qualified" };
	unsigned seed = 7;
	int i, k, round;

	in(state, "l.jsonl", p, sizeof(p));
	write_file(p, "");
	for (round = 0, i = 1; round < 6; round++) {
		int upto = i + (round == 0 ? 3000 : 1 << (round * 2));
		FILE *f = fopen(p, "ab");
		assert_non_null(f);
		for (; i < upto; i++) {
			seed = seed * 1103515245 + 12345;
			k = 1 + (int)((seed >> 8) % (unsigned)i);
			/* a new lead, or a move of an earlier one */
			if (seed % 3 != 0 || k == i)
				fprintf(f, "{\"id\":\"L-%d\",\"at\":\"2026-%02d-%02d\","
				    "\"stage\":\"new\",\"email\":\"u%d@X.io\"}\n",
				    i, 1 + i % 12, 1 + i % 28, (int)(seed % 5000));
			else
				fprintf(f, "{\"id\":\"L-%d\",\"at\":\"2026-%02d-%02d\","
				    "\"stage\":\"%s\"}\n", k, 1 + i % 12,
				    1 + i % 28, stages[seed % 3]);
		}
		fclose(f);
		{
			sp_journal *j = jopen(p);
			sp_sidecar *s = sopen(j, &sp_kind_lead, round == 0 ?
			    SP_SIDECAR_BUILT : SP_SIDECAR_TAIL);
			sp_index *full = sp_index_new(&sp_kind_lead, st);
			const char *text;
			size_t n;
			sp_error e;

			text = sp_journal_text(j, &n);
			assert_int_equal(sp_index_read(full, text, n,
			    SP_FMT_JSONL, p, NULL, 0, NULL, &e), 0);
			for (k = 1; k < i + 3; k += round == 5 ? 1 : 7) {
				const char *ids[1];
				const char *dups[1];
				sp_index *x;
				int64_t t;
				snprintf(id, sizeof(id), "L-%d", k);
				snprintf(key, sizeof(key), "u%d@x.io", k % 5000);
				ids[0] = id;
				dups[0] = key;
				x = loaded(s, &sp_kind_lead, st, ids, 1, dups, 1,
				    1, NULL);
				assert_int_equal(sp_index_has(x, id),
				    sp_index_has(full, id));
				assert_int_equal(sp_sidecar_has(s, id, strlen(id)),
				    sp_index_has(full, id));
				for (t = day(-1); t < day(400); t += 86400 * 13)
					assert_int_equal(stage_at(x, id, t),
					    stage_at(full, id, t));
				if (sp_index_dup(full, key, strlen(key)) == NULL)
					assert_null(sp_index_dup(x, key,
					    strlen(key)));
				else
					assert_string_equal(sp_index_dup(x, key,
					    strlen(key)), sp_index_dup(full, key,
					    strlen(key)));
				assert_int_equal(sp_index_max_number(x),
				    sp_index_max_number(full));
				sp_index_free(x);
			}
			assert_int_equal(sp_sidecar_max_number(s),
			    sp_index_max_number(full));
			sp_index_free(full);
			sp_sidecar_close(s);
			sp_journal_close(j);
		}
	}
	sp_stages_free(st);
}

/* The index file takes the journal's permissions. */
static void
test_mode(void **state)
{
	char p[256], ip[256];
	struct stat st;
	mode_t old = umask(077);

	write_file(in(state, "d.jsonl", p, sizeof(p)), R1);
	assert_int_equal(chmod(p, 0664), 0);
	expect_how(p, &sp_kind_deal, SP_SIDECAR_BUILT);
	umask(old);
	assert_int_equal(stat(in(state, "d.jsonl.idx", ip, sizeof(ip)), &st),
	    0);
	assert_int_equal(st.st_mode & 07777, 0664);
}

/* ---- --dump: for tests/journal.sh ------------------------------------- */

struct dump {
	char **v;
	size_t n, cap;
};

static int
dump_line(void *ctx, int what, const char *key, size_t len,
    const sp_index_range *r, size_t nr)
{
	struct dump *d = ctx;
	char *buf = NULL;
	size_t blen = 0, i;
	FILE *f = open_memstream(&buf, &blen);

	if (f == NULL)
		return -1;
	fputs(what ? "dup " : "id ", f);
	for (i = 0; i < len; i++)
		if (key[i] == '\0')
			fputs("\\0", f);
		else if (key[i] == '\n' || key[i] == '\\')
			fprintf(f, "\\x%02x", (unsigned char)key[i]);
		else
			fputc(key[i], f);
	for (i = 0; i < nr; i++)
		fprintf(f, " %llu:%u", (unsigned long long)r[i].off, r[i].len);
	if (fclose(f) != 0)
		return -1;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		if ((d->v = realloc(d->v, d->cap * sizeof(*d->v))) == NULL)
			return -1;
	}
	d->v[d->n++] = buf;
	return 0;
}

static int
dump(const char *path, const char *kind)
{
	static const char *hows[] = { "none", "fresh", "tail", "built",
	    "refused", "foreign" };
	const sp_kind *k = strcmp(kind, "lead") == 0 ? &sp_kind_lead :
	    &sp_kind_deal;
	struct dump d = { NULL, 0, 0 };
	sp_error e;
	sp_journal *j = sp_journal_open(path, 0, &e);
	sp_sidecar *s;
	size_t i;
	int how;

	if (j == NULL) {
		fprintf(stderr, "test_sidecar: %s: %s\n", path, e.msg);
		return 1;
	}
	s = sp_sidecar_open(j, k, &how, &e);
	printf("how %s\n", hows[how]);
	if (s == NULL || !sp_sidecar_usable(s)) {
		fprintf(stderr, "test_sidecar: %s: no index (%s)\n", path, e.msg);
		sp_sidecar_close(s);
		sp_journal_close(j);
		return 1;
	}
	printf("covered %llu\nmax %lld\n", (unsigned long long)
	    sp_sidecar_covered(s), (long long)sp_sidecar_max_number(s));
	if (sp_sidecar_walk(s, dump_line, &d) != 0) {
		fprintf(stderr, "test_sidecar: %s: walk failed\n", path);
		return 1;
	}
	qsort(d.v, d.n, sizeof(*d.v), cmp_line);
	for (i = 0; i < d.n; i++) {
		puts(d.v[i]);
		free(d.v[i]);
	}
	free(d.v);
	sp_sidecar_close(s);
	sp_journal_close(j);
	return fflush(stdout) != 0;
}

int
main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_built_then_fresh),
		T(test_more_keys),
		T(test_load_most_of_it),
		T(test_tail),
		T(test_update),
		T(test_stale),
		T(test_foreign_index),
		T(test_not_an_index),
		T(test_damaged),
		T(test_killed_update),
		T(test_refused),
		T(test_csv),
		T(test_many),
		T(test_mode),
	};

	if (argc == 4 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2], argv[3]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
