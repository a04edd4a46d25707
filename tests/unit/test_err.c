/*
 * Unit tests of err: the caller-owned error record and the one formatter
 * of the house error line (include/salespipe/err.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "salespipe/err.h"
#include "salespipe/util.h"

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(SP_EXIT_OK, 0);
	assert_int_equal(SP_EXIT_DATA, 1);
	assert_int_equal(SP_EXIT_USAGE, 2);
}

static void
test_clear(void **state)
{
	sp_error e;

	(void)state;
	memset(&e, 'x', sizeof e);
	sp_err_clear(&e);
	assert_string_equal(e.file, "");
	assert_int_equal(e.line, 0);
	assert_string_equal(e.field, "");
	assert_string_equal(e.msg, "");
	sp_err_clear(NULL);	/* must not crash */
}

static void
test_set_keeps_place(void **state)
{
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "deals.csv", 12);
	assert_int_equal(sp_err_set(&e, "amount", "'%s' is not an amount", "abc"),
	    -1);
	assert_string_equal(e.file, "deals.csv");
	assert_int_equal(e.line, 12);
	assert_string_equal(e.field, "amount");
	assert_string_equal(e.msg, "'abc' is not an amount");
}

static void
test_set_null_field(void **state)
{
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_err_set(&e, NULL, "out of memory"), -1);
	assert_string_equal(e.field, "");
	assert_string_equal(e.msg, "out of memory");
}

static void
test_set_null_error(void **state)
{
	(void)state;
	assert_int_equal(sp_err_set(NULL, "amount", "x %d", 1), -1);
	sp_err_where(NULL, "f", 1);	/* must not crash */
}

static void
test_set_long_message_truncated(void **state)
{
	sp_error e;
	char big[3000];

	(void)state;
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sp_err_clear(&e);
	sp_err_set(&e, "f", "%s", big);
	assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
	assert_int_equal(e.msg[0], 'm');
}

static void
test_where_null_file_keeps_old(void **state)
{
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "a.csv", 3);
	sp_err_where(&e, NULL, 7);
	assert_string_equal(e.file, "a.csv");
	assert_int_equal(e.line, 7);
	sp_err_where(&e, "b.csv", 9);
	assert_string_equal(e.file, "b.csv");
	assert_int_equal(e.line, 9);
}

/* sp_err_quote may or may not add the surrounding quotes itself (the header
 * says "a quotation"); strip one pair of single quotes if present. */
static const char *
unquoted(char *buf)
{
	size_t n = strlen(buf);

	if (n >= 2 && buf[0] == '\'' && buf[n - 1] == '\'') {
		buf[n - 1] = '\0';
		return buf + 1;
	}
	return buf;
}

static void
test_quote_plain(void **state)
{
	char buf[128];

	(void)state;
	assert_ptr_equal(sp_err_quote(buf, sizeof buf, "abc", 3), buf);
	assert_string_equal(unquoted(buf), "abc");
	/* only n bytes are quoted */
	sp_err_quote(buf, sizeof buf, "abcdef", 2);
	assert_string_equal(unquoted(buf), "ab");
	sp_err_quote(buf, sizeof buf, "", 0);
	assert_string_equal(unquoted(buf), "");
}

static void
test_quote_control_bytes(void **state)
{
	char buf[128];

	(void)state;
	/* hex digits chosen without letters, so case does not matter */
	sp_err_quote(buf, sizeof buf, "a\x01" "b\x19" "c", 5);
	assert_string_equal(unquoted(buf), "a\\x01b\\x19c");
	/* an embedded NUL is a control byte too */
	sp_err_quote(buf, sizeof buf, "a\0b", 3);
	assert_string_equal(unquoted(buf), "a\\x00b");
}

static void
test_quote_long_is_cut(void **state)
{
	char in[100], buf[256];
	const char *q;
	size_t n, i;

	(void)state;
	memset(in, 'a', sizeof in);
	/* exactly 60 bytes: not cut */
	sp_err_quote(buf, sizeof buf, in, 60);
	q = unquoted(buf);
	assert_int_equal(strlen(q), 60);
	assert_null(strstr(q, "..."));
	/* 100 bytes: at most 60 of them, then "..." */
	sp_err_quote(buf, sizeof buf, in, 100);
	q = unquoted(buf);
	n = strlen(q);
	assert_true(n > 3);
	assert_string_equal(q + n - 3, "...");
	for (i = 0; i < n - 3; i++)
		assert_int_equal(q[i], 'a');
	assert_true(n - 3 <= 60);
	assert_true(n - 3 >= 50);
}

static void
test_quote_small_buffer(void **state)
{
	char buf[6];

	(void)state;
	memset(buf, 'z', sizeof buf);
	sp_err_quote(buf, sizeof buf, "abcdefghijkl", 12);
	assert_true(memchr(buf, '\0', sizeof buf) != NULL);
}

/* issue 9 item 20: bytes that are not printable UTF-8 are escaped, so
 * that two different names never print alike. */
static void
test_quote_not_printable_utf8(void **state)
{
	char buf[256];

	(void)state;
	/* Latin-1 e-acute: invalid UTF-8, escaped; UTF-8 e-acute: kept */
	sp_err_quote(buf, sizeof buf, "N\xe9go", 4);
	assert_string_equal(unquoted(buf), "N\\xe9go");
	sp_err_quote(buf, sizeof buf, "N\xc3\xa9go", 5);
	assert_string_equal(unquoted(buf), "N\xc3\xa9go");
	/* zero-width space U+200B, right-to-left override U+202E, byte order
	   mark U+FEFF, C1 control U+0085: invisible, escaped as \uNNNN */
	sp_err_quote(buf, sizeof buf, "won\xe2\x80\x8b", 6);
	assert_string_equal(unquoted(buf), "won\\u200b");
	sp_err_quote(buf, sizeof buf, "\xe2\x80\xaewon", 6);
	assert_string_equal(unquoted(buf), "\\u202ewon");
	sp_err_quote(buf, sizeof buf, "\xef\xbb\xbfid", 5);
	assert_string_equal(unquoted(buf), "\\ufeffid");
	sp_err_quote(buf, sizeof buf, "a\xc2\x85", 3);
	assert_string_equal(unquoted(buf), "a\\u0085");
	/* a 4-byte character and a truncated one */
	sp_err_quote(buf, sizeof buf, "\xf0\x9f\x98\x80!", 5);
	assert_string_equal(unquoted(buf), "\xf0\x9f\x98\x80!");
	sp_err_quote(buf, sizeof buf, "x\xf0\x9f", 3);
	assert_string_equal(unquoted(buf), "x\\xf0\\x9f");
	{
		char esc[SP_ESCAPE_MAX];
		assert_int_equal(sp_escape_char("\xc3\xa9", 2, esc), 2);
		assert_string_equal(esc, "");
		assert_int_equal(sp_escape_char("\xe2\x80\x8b", 3, esc), 3);
		assert_string_equal(esc, "\\u200b");
		assert_int_equal(sp_escape_char("\x7f", 1, esc), 1);
		assert_string_equal(esc, "\\x7f");
	}
}

/* A cut never splits a character: 59 a's then e-acute (2 bytes) */
static void
test_quote_cut_whole_characters(void **state)
{
	char in[80], buf[256];
	const char *q;

	(void)state;
	memset(in, 'a', 59);
	memcpy(in + 59, "\xc3\xa9" "bbbbbbbbbbbbbbbbbbb", 21);
	sp_err_quote(buf, sizeof buf, in, 80);
	q = unquoted(buf);
	assert_int_equal(strlen(q), 59 + 3);
	assert_string_equal(q + 59, "...");
}

/* The whole line escapes the same way (a file or field name) */
static void
test_format_escapes_utf8(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "d\xe9" "als.csv", 2);
	sp_err_set(&e, "st\xe2\x80\x8b" "age", "'%s' is unknown", "Gagn\xc3\xa9");
	sp_err_format(&e, "win-rate", buf, sizeof buf);
	assert_string_equal(buf, "win-rate: d\\xe9als.csv:2: field "
	    "'st\\u200bage': 'Gagn\xc3\xa9' is unknown");
}

static void
test_format_full(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "deals.csv", 12);
	sp_err_set(&e, "amount", "'abc' is not an amount");
	assert_ptr_equal(sp_err_format(&e, "funnel", buf, sizeof buf), buf);
	assert_string_equal(buf,
	    "funnel: deals.csv:12: field 'amount': 'abc' is not an amount");
}

static void
test_format_no_field(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "deals.csv", 3);
	sp_err_set(&e, NULL, "unterminated quote");
	sp_err_format(&e, "funnel", buf, sizeof buf);
	assert_string_equal(buf, "funnel: deals.csv:3: unterminated quote");
}

static void
test_format_no_place(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_set(&e, "stage", "unknown stage 'x'");
	sp_err_format(&e, "funnel", buf, sizeof buf);
	assert_string_equal(buf, "funnel: field 'stage': unknown stage 'x'");

	sp_err_clear(&e);
	sp_err_set(&e, NULL, "bad option");
	sp_err_format(&e, "funnel", buf, sizeof buf);
	assert_string_equal(buf, "funnel: bad option");
}

static void
test_format_file_without_line(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "missing.csv", 0);
	sp_err_set(&e, NULL, "No such file or directory");
	sp_err_format(&e, "funnel", buf, sizeof buf);
	assert_string_equal(buf,
	    "funnel: missing.csv: No such file or directory");
}

static void
test_format_no_prog(void **state)
{
	sp_error e;
	char buf[256];

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "a.csv", 2);
	sp_err_set(&e, "amount", "m");
	sp_err_format(&e, "", buf, sizeof buf);
	assert_string_equal(buf, "a.csv:2: field 'amount': m");
}

static void
test_format_truncates(void **state)
{
	sp_error e;
	char buf[16];
	const char *full = "funnel: deals.csv:12: field 'amount': m";

	(void)state;
	sp_err_clear(&e);
	sp_err_where(&e, "deals.csv", 12);
	sp_err_set(&e, "amount", "m");
	memset(buf, 'z', sizeof buf);
	sp_err_format(&e, "funnel", buf, sizeof buf);
	assert_int_equal(strlen(buf), sizeof buf - 1);
	assert_memory_equal(buf, full, sizeof buf - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_set_keeps_place),
		cmocka_unit_test(test_set_null_field),
		cmocka_unit_test(test_set_null_error),
		cmocka_unit_test(test_set_long_message_truncated),
		cmocka_unit_test(test_where_null_file_keeps_old),
		cmocka_unit_test(test_quote_plain),
		cmocka_unit_test(test_quote_control_bytes),
		cmocka_unit_test(test_quote_long_is_cut),
		cmocka_unit_test(test_quote_small_buffer),
		cmocka_unit_test(test_quote_not_printable_utf8),
		cmocka_unit_test(test_quote_cut_whole_characters),
		cmocka_unit_test(test_format_escapes_utf8),
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_format_no_field),
		cmocka_unit_test(test_format_no_place),
		cmocka_unit_test(test_format_file_without_line),
		cmocka_unit_test(test_format_no_prog),
		cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
