/*
 * Unit tests of sp_reader_split (include/salespipe/rec.h): reading the
 * parts of a split reader in order must give exactly what one reader gives
 * over the same bytes: every record's values, file, line and text, every
 * bad record's error, in the same order; and the parts' line counts must
 * add up to the file's.  The inputs are generated (fixed seeds) so that
 * cuts fall inside quoted fields with newlines, doubled quotes, CRLF, blank
 * lines and bad rows; the one reader is the reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/rec.h"

/* ---- a growing text --------------------------------------------------- */

struct text {
	char *s;
	size_t n, cap;
};

static void
put(struct text *t, const char *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->n, s, n);
	t->n += n;
	t->s[t->n] = '\0';
}

static void
puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void
printf_(struct text *t, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	put(t, b, (size_t)k);
}

/* a small deterministic generator (xorshift), so a failure is repeatable */
static uint64_t rng;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---- what a reader gives ------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One result of sp_reader_next as a line of text: the code; for a record
 * or a bad record its file, line, text and its fields as name=value pairs
 * sorted by name (slots first met after a split are numbered per part);
 * for an error its place, field and message.
 */
static void
describe(struct text *out, sp_reader *rd, int k, const sp_rec *r,
    const sp_error *e)
{
	size_t i, m = 0;
	char **pairs;

	printf_(out, "%d", k);
	if (k == 1 || k == -1) {
		printf_(out, " %s:%ld raw=", r->file, r->line);
		put(out, r->raw ? r->raw : "", r->raw ? r->rawlen : 0);
	}
	if (k == 1) {
		pairs = calloc(r->nslot + 1, sizeof(*pairs));
		assert_non_null(pairs);
		for (i = 0; i < r->nslot; i++) {
			const char *name = sp_reader_slot_name(rd, (int)i);
			size_t need;
			if (r->val[i] == NULL)
				continue;
			assert_non_null(name);
			need = strlen(name) + r->len[i] + 4;
			pairs[m] = malloc(need);
			assert_non_null(pairs[m]);
			snprintf(pairs[m], need, "%s=%s%s", name, r->val[i],
			    r->num[i] ? "#" : "");
			m++;
		}
		qsort(pairs, m, sizeof(*pairs), cmp_str);
		for (i = 0; i < m; i++) {
			puts_(out, " |");
			puts_(out, pairs[i]);
			free(pairs[i]);
		}
		free(pairs);
	}
	if (k < 0)
		printf_(out, " E %s:%ld: field '%s': %s", e->file, e->line,
		    e->field, e->msg);
	puts_(out, "\n");
}

/* Read rd to its end (or to a fatal error); returns the last code. */
static int
drain(struct text *out, sp_reader *rd, sp_rec *r)
{
	sp_error e;
	int k;

	for (;;) {
		k = sp_reader_next(rd, r, &e);
		if (k == 0)
			return 0;
		describe(out, rd, k, r, &e);
		if (k == -2 || k == SP_READ_INEXACT)
			return k;
	}
}

static sp_reader *
open_input(const char *path, const struct text *data, int fmt)
{
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;

	memset(&o, 0, sizeof(o));
	o.format = fmt;
	o.bufsize = 4096;	/* lines and records across buffer ends */
	if (path != NULL) {
		char *const paths[] = { (char *)path };
		rd = sp_reader_open(paths, 1, &o, &e);
	} else
		rd = sp_reader_open_mem(data->s, data->n, "t.in", &o, &e);
	if (rd == NULL)
		fail_msg("open: %s", e.msg);
	/* a field a program would declare before reading */
	assert_true(sp_reader_slot(rd, "amount") >= 0);
	return rd;
}

/*
 * The one reader's results against the parts' results for n parts; the
 * number of parts made is returned.  path NULL: the bytes of data, in
 * memory.
 */
static int
check_split(const char *path, const struct text *data, int fmt, int n)
{
	struct text one = { 0 }, many = { 0 };
	sp_reader *rd, *parts[1100];
	sp_rec *r = sp_rec_new();
	sp_error e;
	long lines, sum = 0;
	int k, i, m, stopped = 0;

	assert_non_null(r);
	rd = open_input(path, data, fmt);
	drain(&one, rd, r);
	lines = sp_reader_lines(rd);
	sp_reader_close(rd);

	rd = open_input(path, data, fmt);
	k = sp_reader_next(rd, r, &e);
	assert_true(k == 1 || k == -1);
	describe(&many, rd, k, r, &e);
	m = sp_reader_split(rd, n, parts, &e);
	if (m < 1)
		fail_msg("split: %s", e.msg);
	assert_true(m <= n || (n < 2 && m == 1));
	assert_ptr_equal(parts[0], rd);
	for (i = 0; i < m; i++) {
		if (!stopped) {
			k = drain(&many, parts[i], r);
			/* a fatal error ends the input for one reader */
			stopped = k == -2;
			assert_int_not_equal(k, SP_READ_INEXACT);
		}
		sum += sp_reader_lines(parts[i]);
	}
	if (strcmp(one.s, many.s) != 0) {
		size_t at = 0;
		while (one.s[at] == many.s[at])
			at++;
		fail_msg("n=%d, %d parts: results differ at byte %zu:\none: "
		    "%.300s\nparts: %.300s", n, m, at, one.s + at, many.s + at);
	}
	if (!stopped)
		assert_int_equal(sum, lines);
	for (i = 1; i < m; i++)
		sp_reader_close(parts[i]);
	sp_reader_close(rd);
	sp_rec_free(r);
	free(one.s);
	free(many.s);
	return m;
}

/* ---- generated inputs -------------------------------------------------- */

/* A CSV value: plain, empty, or quoted with commas, doubled quotes and
 * line breaks (LF or CRLF) inside. */
static void
csv_value(struct text *t, int i)
{
	switch (rnd(8)) {
	case 0:
		break;
	case 1:
		puts_(t, "\"a \"\"quoted\"\" word\"");
		break;
	case 2:
		puts_(t, "\"line one\nline two\n\nline four\"");
		break;
	case 3:
		puts_(t, "\"crlf\r\ninside, with a comma\"");
		break;
	case 4:
		puts_(t, "\"\"\"\"");	/* a lone quote */
		break;
	case 5:
		puts_(t, "\"\n\"");
		break;
	default:
		printf_(t, "v%d", i * 7 + (int)rnd(1000));
	}
}

/*
 * A CSV file of about `size` bytes: 4 columns, records full of quoted
 * newlines, CRLF and LF line ends, blank lines; with bad != 0, also
 * ragged rows, a quote inside an unquoted field and text after a closing
 * quote; with last_nl == 0 the last line has no newline.
 */
static void
gen_csv(struct text *t, size_t size, int bad, int last_nl)
{
	int i = 0, c;

	puts_(t, "id,amount,name,note\n");
	while (t->n < size) {
		const char *eol = rnd(3) == 0 ? "\r\n" : "\n";
		if (rnd(20) == 0)
			puts_(t, rnd(2) ? "\n" : "\r\n");	/* blank line */
		if (bad && rnd(40) == 0) {
			switch (rnd(3)) {
			case 0:
				printf_(t, "r%d,1,ragged%s", i, eol);
				break;
			case 1:
				printf_(t, "r%d,1,a\"b,\"x\ny\"%s", i, eol);
				break;
			default:
				printf_(t, "r%d,1,\"closed\"after,z%s", i, eol);
				break;
			}
			i++;
			continue;
		}
		printf_(t, "r%d,%d.%02d", i, (int)rnd(100000), (int)rnd(100));
		for (c = 0; c < 2; c++) {
			puts_(t, ",");
			csv_value(t, i);
		}
		puts_(t, eol);
		i++;
	}
	if (!last_nl)
		puts_(t, "rlast,1,\"no\nnewline\",end");
}

/* JSON lines of about `size` bytes, blank lines, optional keys, numbers;
 * with bad != 0 also lines that are not JSON or not objects. */
static void
gen_jsonl(struct text *t, size_t size, int bad)
{
	int i = 0;

	while (t->n < size) {
		if (rnd(25) == 0)
			puts_(t, rnd(2) ? "\n" : "  \r\n");
		if (bad && rnd(50) == 0) {
			puts_(t, rnd(2) ? "{\"id\": \"x\", oops}\n" : "[1,2]\n");
			continue;
		}
		printf_(t, "{\"id\":\"r%d\",\"amount\":%d.5", i, (int)rnd(9999));
		if (rnd(3) == 0)
			printf_(t, ",\"note\":\"a\\nb \\\"q\\\" %d\"", i);
		if (rnd(5) == 0)
			printf_(t, ",\"extra%d\":true", (int)rnd(4));
		puts_(t, rnd(4) == 0 ? "}\r\n" : "}\n");
		i++;
	}
}

static const int counts[] = { 1, 2, 3, 7, 64 };

/* ---- tests ---------------------------------------------------------------- */

static void
test_csv_quoted_newlines(void **state)
{
	struct text t = { 0 };
	size_t i;
	int last;

	(void)state;
	for (last = 0; last <= 1; last++) {
		rng = 88172645463325252ULL + (uint64_t)last;
		t.n = 0;
		gen_csv(&t, 400000, 0, last);
		for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			int m = check_split(NULL, &t, SP_FMT_AUTO, counts[i]);
			/* 400 kB past a 64 kB head: every n asked for is made,
			   up to what the head leaves */
			if (counts[i] > 1)
				assert_true(m >= 2);
		}
	}
	free(t.s);
}

static void
test_csv_bad_rows(void **state)
{
	struct text t = { 0 };
	size_t i;

	(void)state;
	rng = 1234567;
	gen_csv(&t, 300000, 1, 1);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_split(NULL, &t, SP_FMT_CSV, counts[i]);
	free(t.s);
}

/* An unterminated quote at the end: its message names the last line.
 * The file starts with a byte order mark. */
static void
test_csv_unterminated(void **state)
{
	struct text t = { 0 };
	size_t i;

	(void)state;
	rng = 99;
	puts_(&t, "\xef\xbb\xbf");	/* a UTF-8 byte order mark, skipped */
	gen_csv(&t, 200000, 0, 1);
	puts_(&t, "rx,1,\"never\nclosed,\n\nat all\n");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_split(NULL, &t, SP_FMT_CSV, counts[i]);
	free(t.s);
}

static void
test_jsonl(void **state)
{
	struct text t = { 0 };
	size_t i;
	int bad;

	(void)state;
	for (bad = 0; bad <= 1; bad++) {
		rng = 42 + (uint64_t)bad;
		t.n = 0;
		gen_jsonl(&t, 300000, bad);
		for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			int m = check_split(NULL, &t, SP_FMT_AUTO, counts[i]);
			if (counts[i] > 1)
				assert_true(m >= 2);
		}
	}
	free(t.s);
}

/* A real file: opened again, positioned, mapped to find the cuts. */
static void
test_file(void **state)
{
	struct text t = { 0 };
	char path[] = "/tmp/test_split.XXXXXX.csv";
	int fd = mkstemps(path, 4);
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	rng = 7;
	gen_csv(&t, 500000, 1, 0);
	assert_int_equal(write(fd, t.s, t.n), (ssize_t)t.n);
	close(fd);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_split(path, &t, SP_FMT_AUTO, counts[i]);
	unlink(path);
	free(t.s);
}

/* A file changed after the split, so that the first range ends inside a
 * quoted field: the part says it cannot be exact. */
static void
test_file_changed(void **state)
{
	struct text t = { 0 };
	char path[] = "/tmp/test_split.XXXXXX.csv";
	int fd = mkstemps(path, 4), k, i;
	sp_reader *rd, *parts[2];
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t at;

	(void)state;
	assert_true(fd >= 0);
	puts_(&t, "id,amount\n");
	for (i = 0; t.n < 400000; i++)
		printf_(&t, "r%06d,%d\n", i, i);
	assert_int_equal(write(fd, t.s, t.n), (ssize_t)t.n);
	rd = open_input(path, &t, SP_FMT_CSV);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	assert_int_equal(sp_reader_split(rd, 2, parts, &e), 2);
	/* a quote opening the first field of a line well inside range 0,
	   past what rd has read: no quote follows in the file */
	for (at = t.n / 2 - 2000; t.s[at - 1] != '\n'; at--)
		;
	assert_int_equal(pwrite(fd, "\"", 1, (off_t)at), 1);
	close(fd);
	while ((k = sp_reader_next(rd, r, &e)) == 1)
		;
	assert_int_equal(k, SP_READ_INEXACT);
	assert_int_equal(sp_reader_next(rd, r, &e), SP_READ_INEXACT);
	sp_reader_close(parts[1]);
	sp_reader_close(rd);
	sp_rec_free(r);
	unlink(path);
	free(t.s);
}

/*
 * Values with bytes that are not UTF-8, in a note no program reads: each
 * part counts its own, and sp_reader_add_replaced gives the one reader's
 * count and first place.  Rows past the first 64 KiB (the encoding is
 * guessed there): row 8000 lies in the first of two ranges, rows 15000
 * and 20000 in the second.
 */
static void
check_replaced(int with_first, unsigned long want_n, long want_line)
{
	struct text t = { 0 };
	char path[] = "/tmp/test_split.XXXXXX.csv";
	int fd = mkstemps(path, 4), k, i;
	sp_reader *rd, *parts[2];
	sp_rec *r = sp_rec_new();
	sp_error e;
	const char *file, *field;
	long line;

	assert_true(fd >= 0);
	puts_(&t, "id,amount,note\n");
	for (i = 0; i < 22000; i++)
		printf_(&t, "r%06d,%d,%s\n", i, i, (i == 8000 && with_first) ||
		    i == 15000 || i == 20000 ? "caf\xe9" : "cafe");
	assert_int_equal(write(fd, t.s, t.n), (ssize_t)t.n);
	close(fd);
	rd = open_input(path, &t, SP_FMT_CSV);
	/* the program reads amount: the note's bytes are replaced */
	assert_int_equal(sp_reader_use(rd, sp_reader_slot(rd, "amount")), 0);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	assert_int_equal(sp_reader_split(rd, 2, parts, &e), 2);
	while ((k = sp_reader_next(rd, r, &e)) == 1)
		;
	if (k != 0)
		fail_msg("%d: %s:%ld: %s", k, e.file, e.line, e.msg);
	while ((k = sp_reader_next(parts[1], r, &e)) == 1)
		;
	if (k != 0)
		fail_msg("%d: %s:%ld: %s", k, e.file, e.line, e.msg);
	assert_int_equal(sp_reader_replaced(parts[1], NULL, NULL, NULL), 2);
	assert_int_equal(sp_reader_add_replaced(rd, parts[1]), 0);
	assert_int_equal(sp_reader_replaced(rd, &file, &line, &field),
	    want_n);
	assert_string_equal(file, path);
	assert_string_equal(field, "note");
	assert_int_equal(line, want_line);
	sp_reader_close(parts[1]);
	sp_reader_close(rd);
	sp_rec_free(r);
	unlink(path);
	free(t.s);
}

static void
test_replaced(void **state)
{
	(void)state;
	check_replaced(1, 3, 8002);	/* the first part's place */
	check_replaced(0, 2, 15002);	/* none there: the second's */
}

/* Many random CSV files, many cut counts. */
static void
test_stress(void **state)
{
	struct text t = { 0 };
	int round, n;

	(void)state;
	for (round = 0; round < 12; round++) {
		rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(round + 1);
		t.n = 0;
		gen_csv(&t, 70000 + rnd(200000), round % 2, round % 3 != 0);
		for (n = 2; n <= 40; n += 1 + rnd(5))
			check_split(NULL, &t, SP_FMT_CSV, n);
	}
	free(t.s);
}

/* One part on each thread, as --threads reads them. */
struct job {
	sp_reader *rd;
	struct text out;
	int last;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	sp_rec *r = sp_rec_new();

	j->last = r != NULL ? drain(&j->out, j->rd, r) : -9;
	sp_rec_free(r);
	return NULL;
}

static void
test_threads(void **state)
{
	struct text t = { 0 }, one = { 0 }, many = { 0 };
	sp_reader *rd, *parts[8];
	struct job jobs[8];
	pthread_t th[8];
	sp_rec *r = sp_rec_new();
	sp_error e;
	int fmt, i, m;

	(void)state;
	for (fmt = SP_FMT_CSV; fmt <= SP_FMT_JSONL; fmt++) {
		rng = 31337 + (uint64_t)fmt;
		t.n = one.n = many.n = 0;
		if (fmt == SP_FMT_CSV)
			gen_csv(&t, 600000, 1, 1);
		else
			gen_jsonl(&t, 600000, 1);
		rd = open_input(NULL, &t, fmt);
		drain(&one, rd, r);
		sp_reader_close(rd);
		rd = open_input(NULL, &t, fmt);
		describe(&many, rd, sp_reader_next(rd, r, &e), r, &e);
		m = sp_reader_split(rd, 8, parts, &e);
		assert_true(m >= 4);
		for (i = 0; i < m; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].rd = parts[i];
			assert_int_equal(pthread_create(&th[i], NULL, job_run,
			    &jobs[i]), 0);
		}
		for (i = 0; i < m; i++) {
			assert_int_equal(pthread_join(th[i], NULL), 0);
			assert_int_equal(jobs[i].last, 0);
			if (jobs[i].out.n > 0)
				put(&many, jobs[i].out.s, jobs[i].out.n);
			free(jobs[i].out.s);
			if (i > 0)
				sp_reader_close(parts[i]);
		}
		assert_string_equal(one.s, many.s);
		sp_reader_close(rd);
	}
	sp_rec_free(r);
	free(t.s);
	free(one.s);
	free(many.s);
}

/* What cannot be split stays one reader, untouched. */
static void
test_refused(void **state)
{
	struct text t = { 0 };
	sp_read_opts o;
	sp_reader *rd, *parts[4];
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	rng = 5;
	gen_csv(&t, 200000, 0, 1);
	memset(&o, 0, sizeof(o));
	/* before the first record */
	rd = sp_reader_open_mem(t.s, t.n, "t.csv", &o, &e);
	assert_int_equal(sp_reader_split(rd, 4, parts, &e), 1);
	assert_ptr_equal(parts[0], rd);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	/* n = 1 */
	assert_int_equal(sp_reader_split(rd, 1, parts, &e), 1);
	sp_reader_close(rd);
	/* a decoded input */
	o.encoding = SP_ENC_LATIN1;
	rd = sp_reader_open_mem(t.s, t.n, "t.csv", &o, &e);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	assert_int_equal(sp_reader_split(rd, 4, parts, &e), 1);
	sp_reader_close(rd);
	/* a small input: all of it buffered already */
	o.encoding = SP_ENC_AUTO;
	rd = sp_reader_open_mem("a,b\n1,2\n3,4\n", 12, "t.csv", &o, &e);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	assert_int_equal(sp_reader_split(rd, 4, parts, &e), 1);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	assert_int_equal(sp_reader_next(rd, r, &e), 0);
	assert_int_equal(sp_reader_lines(rd), 3);
	sp_reader_close(rd);
	sp_rec_free(r);
	free(t.s);
}

/* A JSON key that is a canonical name but for case, met after the split:
 * the part says it cannot be exact. */
static void
test_jsonl_inexact(void **state)
{
	struct text t = { 0 };
	sp_read_opts o;
	sp_reader *rd, *parts[2];
	sp_rec *r = sp_rec_new();
	sp_error e;
	int i, k, m, seen = 0;

	(void)state;
	for (i = 0; i < 6000; i++)
		printf_(&t, "{\"id\":\"r%d\",\"amount\":\"%d\"}\n", i, i);
	puts_(&t, "{\"id\":\"z\",\"Stage\":\"won\"}\n");
	memset(&o, 0, sizeof(o));
	o.bufsize = 4096;
	rd = sp_reader_open_mem(t.s, t.n, "t.jsonl", &o, &e);
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	m = sp_reader_split(rd, 2, parts, &e);
	assert_int_equal(m, 2);
	while ((k = sp_reader_next(rd, r, &e)) == 1)
		;
	assert_int_equal(k, 0);
	while ((k = sp_reader_next(parts[1], r, &e)) == 1)
		;
	if (k == SP_READ_INEXACT)
		seen = 1;
	assert_int_equal(seen, 1);
	assert_int_equal(sp_reader_next(parts[1], r, &e), SP_READ_INEXACT);
	sp_reader_close(parts[1]);
	sp_reader_close(rd);
	sp_rec_free(r);
	free(t.s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_quoted_newlines),
		cmocka_unit_test(test_csv_bad_rows),
		cmocka_unit_test(test_csv_unterminated),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_changed),
		cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_jsonl_inexact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
