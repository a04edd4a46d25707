/*
 * Unit tests of journal: open (create, format, torn tail), the text read
 * under the lock, appends and their rollback, the lock itself, and
 * sp_journal_repair (include/salespipe/journal.h, DESIGN.md section 2),
 * and the rows the write programs append (sp_rows_write, sp_rows_missing,
 * sp_journal_append_rows).
 * Every test works on real files in a fresh mkdtemp(3) directory; the
 * expected bytes, offsets and line numbers are counted by hand from the
 * small contents written here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "salespipe/journal.h"
#include "salespipe/rec.h"

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
	snprintf(d->path, sizeof(d->path), "/tmp/test_journal.XXXXXX");
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

/* dir/name into buf (static per call site is enough: 256 bytes). */
static const char *
in(void **state, const char *name, char *buf, size_t size)
{
	const struct dir *d = *state;

	snprintf(buf, size, "%s/%s", d->path, name);
	return buf;
}

static void
write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n > 0)
		assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, malloc'd and NUL-terminated; *n its size. */
static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, k;

	assert_non_null(f);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		k = fread(buf + len, 1, cap - len - 1, f);
		len += k;
		if (k == 0)
			break;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

static void
assert_file(const char *path, const char *want, size_t wn)
{
	size_t n;
	char *got = read_file(path, &n);

	assert_int_equal(n, wn);
	if (wn > 0)
		assert_memory_equal(got, want, wn);
	free(got);
}

static sp_journal *
must_open(const char *path)
{
	sp_error e;
	sp_journal *j = sp_journal_open(path, SP_JOURNAL_CREATE, &e);

	if (j == NULL)
		fail_msg("journal_open(%s): %s:%ld: %s", path, e.file, e.line,
		    e.msg);
	return j;
}

static void
must_append(sp_journal *j, const char *buf, size_t n)
{
	sp_error e;

	if (sp_journal_append(j, buf, n, &e) != 0)
		fail_msg("journal_append: %s", e.msg);
}

/* ---- open: creation and format -------------------------------------- */

static void
test_open_creates_with_umask(void **state)
{
	char p[256];
	struct stat st;
	mode_t old;
	sp_journal *j;
	size_t n = 99;

	in(state, "deals.jsonl", p, sizeof(p));
	old = umask(022);
	j = must_open(p);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* 0666 & ~022 */
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 0);
	assert_string_equal(sp_journal_path(j), p);
	assert_null(sp_journal_text(j, &n));
	assert_int_equal(n, 0);
	assert_int_equal(sp_journal_empty(j), 1);
	sp_journal_close(j);

	/* another umask, another mode: 0666 & ~077 */
	in(state, "private.jsonl", p, sizeof(p));
	old = umask(077);
	j = must_open(p);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	sp_journal_close(j);
}

static void
test_open_format_new(void **state)
{
	char p[256];
	sp_journal *j;

	j = must_open(in(state, "x.jsonl", p, sizeof(p)));
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	sp_journal_close(j);
	j = must_open(in(state, "x", p, sizeof(p)));
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	sp_journal_close(j);
	j = must_open(in(state, "x.csv", p, sizeof(p)));
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	assert_int_equal(sp_journal_empty(j), 1);
	sp_journal_close(j);
	/* ".csv" must be the ending, not just somewhere in the name */
	j = must_open(in(state, "x.csv.bak", p, sizeof(p)));
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	sp_journal_close(j);
}

static void
test_open_format_existing(void **state)
{
	char p[256];
	sp_journal *j;
	static const char json[] = "{\"id\":\"D-1\"}\n";
	static const char csv[] = "id,at\nD-1,2026-01-01\n";
	static const char blank_json[] = " \t\r\n\n  {\"id\":\"D-1\"}\n";

	/* the contents decide, whatever the name says */
	write_file(in(state, "a.csv", p, sizeof(p)), json, strlen(json));
	j = must_open(p);
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	assert_int_equal(sp_journal_empty(j), 0);
	sp_journal_close(j);

	write_file(in(state, "b.jsonl", p, sizeof(p)), csv, strlen(csv));
	j = must_open(p);
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	sp_journal_close(j);

	write_file(in(state, "c", p, sizeof(p)), csv, strlen(csv));
	j = must_open(p);
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	sp_journal_close(j);

	/* first non-blank byte: blanks and blank lines before '{' */
	write_file(in(state, "d.csv", p, sizeof(p)), blank_json,
	    strlen(blank_json));
	j = must_open(p);
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	sp_journal_close(j);
}

static void
test_open_blank_file(void **state)
{
	char p[256];
	sp_journal *j;
	const char *t;
	size_t n;
	static const char blank[] = "\n \n\t\n";

	/* only blanks: empty, format from the name, text still the bytes */
	write_file(in(state, "blank.csv", p, sizeof(p)), blank, strlen(blank));
	j = must_open(p);
	assert_int_equal(sp_journal_empty(j), 1);
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	t = sp_journal_text(j, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(t, blank, 5);
	sp_journal_close(j);

	write_file(in(state, "blank.jsonl", p, sizeof(p)), blank,
	    strlen(blank));
	j = must_open(p);
	assert_int_equal(sp_journal_empty(j), 1);
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	sp_journal_close(j);

	/* an existing zero-byte file is empty too */
	write_file(in(state, "zero.csv", p, sizeof(p)), "", 0);
	j = must_open(p);
	assert_int_equal(sp_journal_empty(j), 1);
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	assert_null(sp_journal_text(j, &n));
	assert_int_equal(n, 0);
	sp_journal_close(j);
}

static void
test_text_is_the_bytes(void **state)
{
	char p[256];
	sp_journal *j;
	const char *t;
	size_t n;
	/* a NUL and a non-ASCII byte inside: the text is bytes, not a C
	 * string */
	static const char body[] = "{\"id\":\"D-1\"}\n"
	    "{\"x\":\"a\0b\xc3\xa9\"}\n";
	size_t bn = sizeof(body) - 1;

	write_file(in(state, "t.jsonl", p, sizeof(p)), body, bn);
	j = must_open(p);
	t = sp_journal_text(j, &n);
	assert_int_equal(n, bn);
	assert_memory_equal(t, body, bn);
	assert_int_equal(sp_journal_empty(j), 0);
	sp_journal_close(j);
	/* opening changes nothing */
	assert_file(p, body, bn);
}

/* ---- appends -------------------------------------------------------- */

static void
test_append_reopen(void **state)
{
	char p[256];
	sp_journal *j;
	const char *t;
	size_t n;
	static const char r1[] =
	    "{\"id\":\"D-1\",\"at\":\"2026-01-01T00:00:00Z\"}\n";
	static const char r2[] =
	    "{\"id\":\"D-2\",\"at\":\"2026-01-02T00:00:00Z\"}\n"
	    "{\"id\":\"D-3\",\"at\":\"2026-01-03T00:00:00Z\"}\n";
	static const char r3[] =
	    "{\"id\":\"D-4\",\"at\":\"2026-01-04T00:00:00Z\"}\n";
	char want[512];

	in(state, "h.jsonl", p, sizeof(p));
	j = must_open(p);
	assert_int_equal(sp_journal_empty(j), 1);
	must_append(j, r1, strlen(r1));
	sp_journal_close(j);
	assert_file(p, r1, strlen(r1));

	/* reopen: the text is what the last open appended */
	j = must_open(p);
	assert_int_equal(sp_journal_empty(j), 0);
	assert_int_equal(sp_journal_format(j), SP_FMT_JSONL);
	t = sp_journal_text(j, &n);
	assert_int_equal(n, strlen(r1));
	assert_memory_equal(t, r1, n);
	/* two appends in one open, each after the other */
	must_append(j, r2, strlen(r2));
	must_append(j, r3, strlen(r3));
	/* the text stays the contents at lock time */
	t = sp_journal_text(j, &n);
	assert_int_equal(n, strlen(r1));
	sp_journal_close(j);

	snprintf(want, sizeof(want), "%s%s%s", r1, r2, r3);
	assert_file(p, want, strlen(want));

	j = must_open(p);
	t = sp_journal_text(j, &n);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(t, want, n);
	sp_journal_close(j);
}

static void
test_append_large(void **state)
{
	char p[256];
	sp_journal *j;
	size_t n = 200000, i;	/* more than three 64 KiB writes */
	char *buf = malloc(n), *want;
	static const char head[] = "id,at\n";

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
	write_file(in(state, "big.csv", p, sizeof(p)), head, strlen(head));
	j = must_open(p);
	assert_int_equal(sp_journal_format(j), SP_FMT_CSV);
	must_append(j, buf, n);
	sp_journal_close(j);
	want = malloc(strlen(head) + n);
	assert_non_null(want);
	memcpy(want, head, strlen(head));
	memcpy(want + strlen(head), buf, n);
	assert_file(p, want, strlen(head) + n);
	free(want);
	free(buf);
}

static void
test_append_zero(void **state)
{
	char p[256];
	sp_journal *j;
	static const char body[] = "x\n";

	write_file(in(state, "z.jsonl", p, sizeof(p)), body, 2);
	j = must_open(p);
	must_append(j, "", 0);
	sp_journal_close(j);
	assert_file(p, body, 2);
}

/*
 * In a child: open path, lower RLIMIT_FSIZE to limit bytes, append n bytes
 * (crossing it), and report rc and the message through fd.
 */
static void
child_append_limited(const char *path, rlim_t limit, size_t n, int fd)
{
	sp_error e;
	sp_journal *j;
	struct rlimit rl;
	char *buf = malloc(n), msg[1100];
	int rc;
	size_t i;

	if (buf == NULL)
		_exit(10);
	for (i = 0; i < n; i++)
		buf[i] = (i % 50 == 49) ? '\n' : 'r';
	if ((j = sp_journal_open(path, SP_JOURNAL_CREATE, &e)) == NULL) {
		free(buf);
		_exit(11);
	}
	rl.rlim_cur = limit;
	rl.rlim_max = limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		_exit(12);
	rc = sp_journal_append(j, buf, n, &e);
	sp_journal_close(j);
	free(buf);	/* valgrind checks the child's exit too */
	snprintf(msg, sizeof(msg), "%d|%s", rc, rc < 0 ? e.msg : "");
	if (write(fd, msg, strlen(msg)) < 0)
		_exit(13);
	_exit(0);
}

/* Run child_append_limited in a fork; returns its report. */
static void
append_limited(const char *path, rlim_t limit, size_t n, char *out,
    size_t size)
{
	int pfd[2], st;
	pid_t pid;
	ssize_t k;
	size_t len = 0;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child_append_limited(path, limit, n, pfd[1]);
	}
	close(pfd[1]);
	while (len + 1 < size && (k = read(pfd[0], out + len,
	    size - len - 1)) > 0)
		len += (size_t)k;
	out[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* killed by SIGXFSZ would be the bug this guards against */
	if (!WIFEXITED(st))
		fail_msg("child died by signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_append_rollback_fsize(void **state)
{
	char p[256], report[1200];
	static const char body[] = "{\"id\":\"D-1\"}\n{\"id\":\"D-2\"}\n";
	size_t bn = strlen(body);

	/* limit within the first write: a partial write, then EFBIG */
	write_file(in(state, "lim.jsonl", p, sizeof(p)), body, bn);
	append_limited(p, bn + 10, 100, report, sizeof(report));
	assert_true(strncmp(report, "-1|", 3) == 0);
	assert_non_null(strstr(report, "cannot append to journal"));
	assert_non_null(strstr(report, strerror(EFBIG)));
	assert_file(p, body, bn);

	/* limit in the second 64 KiB write: the first one is taken back
	 * too */
	append_limited(p, 100000, 200000, report, sizeof(report));
	assert_true(strncmp(report, "-1|", 3) == 0);
	assert_non_null(strstr(report, strerror(EFBIG)));
	assert_file(p, body, bn);

	/* limit at the current size exactly: nothing can be written */
	append_limited(p, bn, 10, report, sizeof(report));
	assert_true(strncmp(report, "-1|", 3) == 0);
	assert_file(p, body, bn);

	/* and under the limit it works: 50 bytes fit in bn + 50 */
	append_limited(p, bn + 50, 50, report, sizeof(report));
	assert_string_equal(report, "0|");
	{
		size_t n;
		char *got = read_file(p, &n);
		assert_int_equal(n, bn + 50);
		assert_memory_equal(got, body, bn);
		free(got);
	}
}

static void
test_append_dev_full(void **state)
{
	sp_error e;
	sp_journal *j;
	size_t n = 7;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	j = must_open("/dev/full");
	assert_null(sp_journal_text(j, &n));
	assert_int_equal(n, 0);
	assert_int_equal(sp_journal_append(j, "{}\n", 3, &e), -1);
	assert_non_null(strstr(e.msg, "cannot append to journal"));
	assert_non_null(strstr(e.msg, strerror(ENOSPC)));
	assert_string_equal(e.file, "/dev/full");
	sp_journal_close(j);
}

/* ---- torn tails and repair ------------------------------------------ */

static void
test_torn_tail(void **state)
{
	char p[256];
	sp_error e;
	sp_journal *j;

	write_file(in(state, "torn.jsonl", p, sizeof(p)), "a\nb", 3);
	j = sp_journal_open(p, SP_JOURNAL_CREATE, &e);
	assert_null(j);
	assert_string_equal(e.file, p);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.msg, "torn record at byte 2"));
	assert_non_null(strstr(e.msg, "pipeline --repair"));
	/* nothing written */
	assert_file(p, "a\nb", 3);

	/* torn first line: byte 0, line 1 */
	write_file(p, "{\"id\":", 6);
	assert_null(sp_journal_open(p, SP_JOURNAL_CREATE, &e));
	assert_int_equal(e.line, 1);
	assert_non_null(strstr(e.msg, "torn record at byte 0"));

	/* three whole lines, then a torn fourth at byte 2+3+4 = 9 */
	write_file(p, "a\nbb\nccc\ndddd", 13);
	assert_null(sp_journal_open(p, SP_JOURNAL_CREATE, &e));
	assert_int_equal(e.line, 4);
	assert_non_null(strstr(e.msg, "torn record at byte 9"));
}

static void
test_repair(void **state)
{
	char p[256];
	sp_error e;
	int64_t off = -7;
	long line = -7;
	char *dropped = (char *)"x";
	sp_journal *j;

	write_file(in(state, "r.jsonl", p, sizeof(p)), "a\nb", 3);
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), 1);
	assert_non_null(dropped);
	assert_string_equal(dropped, "b");
	assert_int_equal(off, 2);
	assert_int_equal(line, 2);
	free(dropped);
	assert_file(p, "a\n", 2);
	/* and now it opens */
	j = must_open(p);
	sp_journal_close(j);

	/* a whole file: nothing dropped, nothing changed */
	dropped = (char *)"x";
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), 0);
	assert_null(dropped);
	assert_file(p, "a\n", 2);

	/* an empty file is whole too */
	write_file(p, "", 0);
	dropped = (char *)"x";
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), 0);
	assert_null(dropped);
	assert_file(p, "", 0);

	/* no newline at all: everything goes */
	write_file(p, "{\"id\":\"D", 8);
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), 8);
	assert_string_equal(dropped, "{\"id\":\"D");
	assert_int_equal(off, 0);
	assert_int_equal(line, 1);
	free(dropped);
	assert_file(p, "", 0);

	/* a longer torn tail after three lines */
	write_file(p, "a\nbb\nccc\ndd d", 13);
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), 4);
	assert_string_equal(dropped, "dd d");
	assert_int_equal(off, 9);
	assert_int_equal(line, 4);
	free(dropped);
	assert_file(p, "a\nbb\nccc\n", 9);
}

static void
test_repair_missing(void **state)
{
	char p[256];
	sp_error e;
	int64_t off;
	long line;
	char *dropped;
	struct stat st;

	in(state, "nope.jsonl", p, sizeof(p));
	assert_int_equal(sp_journal_repair(p, &off, &line, &dropped, &e), -1);
	assert_null(dropped);
	assert_true(e.msg[0] != '\0');
	/* and repair creates nothing */
	assert_int_equal(stat(p, &st), -1);
}

/* ---- the lock ------------------------------------------------------- */

static void
test_lock_waits(void **state)
{
	char p[256], c;
	static const char marker[] = "{\"id\":\"CHILD\"}\n";
	static const char body[] = "{\"id\":\"D-1\"}\n";
	int pfd[2], st;
	pid_t pid;
	sp_journal *j;
	const char *t;
	size_t n;

	write_file(in(state, "lock.jsonl", p, sizeof(p)), body, strlen(body));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sp_error e;
		sp_journal *cj;

		close(pfd[0]);
		if ((cj = sp_journal_open(p, SP_JOURNAL_CREATE, &e)) == NULL)
			_exit(1);
		/* the lock is held: let the parent go */
		if (write(pfd[1], "L", 1) != 1)
			_exit(2);
		close(pfd[1]);
		sleep(1);
		if (sp_journal_append(cj, marker, strlen(marker), &e) < 0)
			_exit(3);
		sp_journal_close(cj);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	/* must wait for the child's close: then its marker is there */
	j = must_open(p);
	t = sp_journal_text(j, &n);
	assert_int_equal(n, strlen(body) + strlen(marker));
	assert_memory_equal(t, body, strlen(body));
	assert_memory_equal(t + strlen(body), marker, strlen(marker));
	sp_journal_close(j);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- bad paths ------------------------------------------------------ */

static void
test_open_directory(void **state)
{
	const struct dir *d = *state;
	sp_error e;

	assert_null(sp_journal_open(d->path, SP_JOURNAL_CREATE, &e));
	assert_true(e.msg[0] != '\0');
	assert_string_equal(e.file, d->path);
}

static void
test_open_missing_parent(void **state)
{
	char p[256];
	sp_error e;
	struct stat st;

	in(state, "no/such/dir/deals.jsonl", p, sizeof(p));
	assert_null(sp_journal_open(p, SP_JOURNAL_CREATE, &e));
	assert_non_null(strstr(e.msg, "cannot create journal"));
	assert_non_null(strstr(e.msg, strerror(ENOENT)));
	assert_string_equal(e.file, p);
	in(state, "no", p, sizeof(p));
	assert_int_equal(stat(p, &st), -1);
}

/* Without SP_JOURNAL_CREATE a missing journal is an error, and stays
 * missing. */
static void
test_open_no_create(void **state)
{
	char p[256];
	sp_error e;
	struct stat st;

	in(state, "none.jsonl", p, sizeof(p));
	assert_null(sp_journal_open(p, 0, &e));
	assert_non_null(strstr(e.msg, "no such journal"));
	assert_string_equal(e.file, p);
	assert_int_equal(stat(p, &st), -1);
}

/*
 * A writer waiting for the lock while another process replaces the file
 * (renames a new one over it) must append to the new file, not to the
 * one renamed away.
 */
static void
test_open_replaced_while_waiting(void **state)
{
	char p[256], q[256], c;
	static const char old[] = "{\"id\":\"OLD\"}\n";
	static const char repl[] = "{\"id\":\"NEW\"}\n";
	static const char mine[] = "{\"id\":\"MINE\"}\n";
	int pfd[2], st;
	pid_t pid;
	sp_journal *j;
	sp_error e;

	write_file(in(state, "r.jsonl", p, sizeof(p)), old, strlen(old));
	in(state, "r.new", q, sizeof(q));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sp_journal *cj;

		close(pfd[0]);
		if ((cj = sp_journal_open(p, SP_JOURNAL_CREATE, &e)) == NULL)
			_exit(1);
		if (write(pfd[1], "L", 1) != 1)
			_exit(2);
		close(pfd[1]);
		sleep(1);
		/* replace the file under the lock, then let go */
		write_file(q, repl, strlen(repl));
		if (rename(q, p) < 0)
			_exit(3);
		sp_journal_close(cj);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	j = must_open(p);
	assert_int_equal(sp_journal_append(j, mine, strlen(mine), &e), 0);
	sp_journal_close(j);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	{
		char want[64];
		snprintf(want, sizeof(want), "%s%s", repl, mine);
		assert_file(p, want, strlen(want));
	}
}

/* ---- rows -------------------------------------------------------------- */

/*
 * Two records of four named columns and one unnamed one (left out
 * everywhere): L-1 with an empty note, L-2 without a stage and with a note
 * that CSV quotes.
 */
static const char *const rows_cols[] = { "id", "at", "stage", "note", NULL };
static const char *const rows_vals[] = {
	"L-1", "2026-11-26T00:00:00Z", "new", "", "x",
	"L-2", "2026-11-26T01:00:00Z", NULL, "a,b", "y",
};
static const sp_rows rows_two = { rows_cols, 5, rows_vals, 2 };

/*
 * Append rows (laid out in header) to the journal dir/name, which holds
 * old first (NULL: as it is, or new); then the file must be want.
 */
static void
append_rows_to(void **state, const char *name, const char *old,
    const sp_rows *rows, char *const *header, const char *want)
{
	char p[256];
	sp_journal *j;
	sp_error e;

	in(state, name, p, sizeof(p));
	if (old != NULL)
		write_file(p, old, strlen(old));
	j = must_open(p);
	if (sp_journal_append_rows(j, rows, header, &e) < 0)
		fail_msg("append_rows(%s): %s", p, e.msg);
	sp_journal_close(j);
	assert_file(p, want, strlen(want));
}

/* JSON lines: empty values left out, after what the journal held. */
static void
test_rows_jsonl(void **state)
{
	append_rows_to(state, "r.jsonl", "{\"id\":\"L-0\"}\n", &rows_two,
	    NULL, "{\"id\":\"L-0\"}\n"
	    "{\"id\":\"L-1\",\"at\":\"2026-11-26T00:00:00Z\",\"stage\":\"new\"}\n"
	    "{\"id\":\"L-2\",\"at\":\"2026-11-26T01:00:00Z\",\"note\":\"a,b\"}\n");
}

/*
 * Under an existing CSV header (id,owner,stage,at): rows only, in the
 * header's order; owner, which the rows lack, empty; territory, empty in
 * every row, missing from the header and not missed.
 */
static void
test_rows_csv_header(void **state)
{
	static const char *const cols[] = { "id", "at", "stage", "territory" };
	static const char *const vals[] = {
		"L-1", "2026-11-26T00:00:00Z", "new", "",
		"L-2", "2026-11-26T01:00:00Z", NULL, NULL,
	};
	const sp_rows rows = { cols, 4, vals, 2 };
	char *header[] = { "id", "owner", "stage", "at", NULL };

	assert_null(sp_rows_missing(&rows, header));
	append_rows_to(state, "r.csv", "id,owner,stage,at\n"
	    "L-0,ann,new,2026-11-01T00:00:00Z\n", &rows, header,
	    "id,owner,stage,at\n"
	    "L-0,ann,new,2026-11-01T00:00:00Z\n"
	    "L-1,,new,2026-11-26T00:00:00Z\n"
	    "L-2,,,2026-11-26T01:00:00Z\n");
}

/* A new CSV journal gets the header line of the named columns first; no
 * rows, no bytes (it stays empty, and gets the header after). */
static void
test_rows_csv_empty(void **state)
{
	const sp_rows none = { rows_cols, 5, rows_vals, 0 };

	append_rows_to(state, "n.csv", NULL, &none, NULL, "");
	append_rows_to(state, "n.csv", NULL, &rows_two, NULL,
	    "id,at,stage,note\n"
	    "L-1,2026-11-26T00:00:00Z,new,\n"
	    "L-2,2026-11-26T01:00:00Z,,\"a,b\"\n");
}

/* The first column, in the rows' order, with a value and not in the
 * header; the unnamed column never. */
static void
test_rows_missing(void **state)
{
	char *all[] = { "note", "stage", "at", "id", NULL };
	char *no_note[] = { "id", "at", "stage", NULL };
	char *only_id[] = { "id", NULL };
	char *id_at[] = { "id", "at", NULL };
	char *none[] = { NULL };
	static const char *const vals[] = {
		"L-1", "2026-11-26T00:00:00Z", "", NULL, "x",
		"L-2", "2026-11-26T01:00:00Z", NULL, "", "y",
	};
	const sp_rows empty_notes = { rows_cols, 5, vals, 2 };

	(void)state;
	assert_null(sp_rows_missing(&rows_two, all));
	assert_string_equal(sp_rows_missing(&rows_two, no_note), "note");
	assert_string_equal(sp_rows_missing(&rows_two, only_id), "at");
	assert_string_equal(sp_rows_missing(&rows_two, none), "id");
	/* stage and note empty in both rows: not missed */
	assert_null(sp_rows_missing(&empty_notes, id_at));
	assert_string_equal(sp_rows_missing(&empty_notes, only_id), "at");
}

/* To a FILE: laid out in a header (note first, then id, then a column
 * the rows lack) with its line; nothing for no rows, not even a header. */
static void
test_rows_write(void **state)
{
	char p[256];
	static const char want[] = "note,id,owner\n"
	    ",L-1,\n"
	    "\"a,b\",L-2,\n";
	char *header[] = { "note", "id", "owner", NULL };
	const sp_rows none = { rows_cols, 5, rows_vals, 0 };
	FILE *fp;
	int fd;

	in(state, "w.XXXXXX", p, sizeof(p));
	assert_true((fd = mkstemp(p)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_int_equal(sp_rows_write(fp, SP_FMT_CSV, &none, header, 1), 0);
	assert_int_equal(sp_rows_write(fp, SP_FMT_CSV, &rows_two, header, 1),
	    0);
	assert_int_equal(fclose(fp), 0);
	assert_file(p, want, strlen(want));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_with_umask),
		T(test_open_format_new),
		T(test_open_format_existing),
		T(test_open_blank_file),
		T(test_text_is_the_bytes),
		T(test_append_reopen),
		T(test_append_large),
		T(test_append_zero),
		T(test_append_rollback_fsize),
		T(test_append_dev_full),
		T(test_torn_tail),
		T(test_repair),
		T(test_repair_missing),
		T(test_lock_waits),
		T(test_open_directory),
		T(test_open_missing_parent),
		T(test_open_no_create),
		T(test_open_replaced_while_waiting),
		T(test_rows_jsonl),
		T(test_rows_csv_header),
		T(test_rows_csv_empty),
		T(test_rows_missing),
		T(test_rows_write),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
