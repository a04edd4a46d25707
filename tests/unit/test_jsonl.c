/*
 * Unit tests of the JSON lines fast path (lib/jsonl.c): the string decoder
 * against the JSON grammar (RFC 8259 section 7) and UTF-8 (RFC 3629), and
 * whole lines read with the fast path on and off.  Expected bytes are
 * worked out from the RFCs (U+00E9 is C3 A9, U+20AC is E2 82 AC, U+1F600
 * is the pair D83D DE00 and F0 9F 98 80), not copied from the library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/map.h"
#include "salespipe/rec.h"
#include "../../lib/reader_impl.h"

/* ---- the string decoder --------------------------------------------- */

/*
 * Decode the JSON string token tok (with its quotes) followed by rest:
 * returns what sp_rd_json_string returns; the text goes to out (NUL
 * added), and *end to the offset just past the closing quote.
 */
static int
decode(const char *tok, char *out, size_t *outlen, size_t *end)
{
	size_t n = strlen(tok), p = 1, o = 0;
	char *d = malloc(n + 1);
	int k;

	assert_non_null(d);
	assert_int_equal(tok[0], '"');
	k = sp_rd_json_string(tok, n, &p, d, &o);
	if (k == 0) {
		assert_true(o <= n);
		memcpy(out, d, o);
		out[o] = '\0';
		*outlen = o;
		*end = p;
	}
	free(d);
	return k;
}

/* tok decodes to the n bytes want and ends where the token ends. */
static void
assert_decodes(const char *tok, const char *want, size_t n)
{
	char out[512];
	size_t len, end;

	if (decode(tok, out, &len, &end) != 0)
		fail_msg("declined: %s", tok);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
	assert_int_equal(end, strlen(tok));
}

static void
assert_declines(const char *tok)
{
	char out[512];
	size_t len, end;

	if (decode(tok, out, &len, &end) == 0)
		fail_msg("taken: %s", tok);
}

static void
test_string_plain(void **state)
{
	(void)state;
	assert_decodes("\"\"", "", 0);
	assert_decodes("\"a\"", "a", 1);
	/* 8-byte runs and the bytes after them, quote at every offset */
	assert_decodes("\"abcdefgh\"", "abcdefgh", 8);
	assert_decodes("\"abcdefghi\"", "abcdefghi", 9);
	assert_decodes("\"abcdefghijklmnopq\"", "abcdefghijklmnopq", 17);
	assert_decodes("\"Oak Industries Inc - Enterprise Plan\"",
	    "Oak Industries Inc - Enterprise Plan", 36);
	/* DEL and the last printable bytes are plain */
	assert_decodes("\"\x7f~ }\"", "\x7f~ }", 4);
	/* the token ends at the first unescaped quote */
	{
		char out[64];
		size_t len, end;
		assert_int_equal(decode("\"ab\",\"cd\"", out, &len, &end), 0);
		assert_string_equal(out, "ab");
		assert_int_equal(end, 4);
	}
}

static void
test_string_escapes(void **state)
{
	(void)state;
	assert_decodes("\"\\\"\"", "\"", 1);
	assert_decodes("\"\\\\\"", "\\", 1);
	assert_decodes("\"\\/\"", "/", 1);
	assert_decodes("\"\\b\"", "\b", 1);
	assert_decodes("\"\\f\"", "\f", 1);
	assert_decodes("\"\\n\"", "\n", 1);
	assert_decodes("\"\\r\"", "\r", 1);
	assert_decodes("\"\\t\"", "\t", 1);
	assert_decodes("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"",
	    "a\"b\\c/d\be\ff\ng\rh\ti", 17);
	/* an escaped quote inside an 8-byte run */
	assert_decodes("\"abcdef\\\"ghijkl\"", "abcdef\"ghijkl", 13);
	/* a backslash pair before the closing quote */
	assert_decodes("\"abcdefgh\\\\\"", "abcdefgh\\", 9);
}

static void
test_string_unicode(void **state)
{
	(void)state;
	assert_decodes("\"\\u0041\"", "A", 1);
	assert_decodes("\"\\u0001\"", "\x01", 1);
	assert_decodes("\"\\u007f\"", "\x7f", 1);
	assert_decodes("\"\\u0080\"", "\xc2\x80", 2);
	assert_decodes("\"\\u00e9\"", "\xc3\xa9", 2);
	assert_decodes("\"\\u00E9\"", "\xc3\xa9", 2);	/* either case */
	assert_decodes("\"\\u07ff\"", "\xdf\xbf", 2);
	assert_decodes("\"\\u0800\"", "\xe0\xa0\x80", 3);
	assert_decodes("\"\\u20ac\"", "\xe2\x82\xac", 3);
	assert_decodes("\"\\uFFFF\"", "\xef\xbf\xbf", 3);
	/* pairs: U+1F600, U+10000 (D800 DC00), U+10FFFF (DBFF DFFF) */
	assert_decodes("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	assert_decodes("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80", 4);
	assert_decodes("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80", 4);
	assert_decodes("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4);
	assert_decodes("\"x\\u00e9\\ud83d\\ude00y\"",
	    "x\xc3\xa9\xf0\x9f\x98\x80y", 8);
	/* raw UTF-8 of every length passes through */
	assert_decodes("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	assert_decodes("\"caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\"",
	    "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9", 20);
	assert_decodes("\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf", 4);
}

static void
test_string_declines(void **state)
{
	(void)state;
	/* not ended */
	assert_declines("\"abc");
	assert_declines("\"abcdefghijklmnop");
	assert_declines("\"abc\\\"");
	assert_declines("\"abc\\");
	/* escapes JSON does not have, or cut short */
	assert_declines("\"\\x\"");
	assert_declines("\"\\a\"");
	assert_declines("\"\\U0041\"");
	assert_declines("\"\\u12\"");
	assert_declines("\"\\u12g4\"");
	assert_declines("\"\\u");
	/* \u0000 (jansson takes it; the reader then refuses or replaces) */
	assert_declines("\"\\u0000\"");
	assert_declines("\"a\\u0000b\"");
	/* surrogates not in a pair */
	assert_declines("\"\\ud83d\"");
	assert_declines("\"\\ud83dx\"");
	assert_declines("\"\\ud83d\\u0041\"");
	assert_declines("\"\\ud83d\\ud83d\"");
	assert_declines("\"\\ude00\"");
	assert_declines("\"\\ude00\\ud83d\"");
	assert_declines("\"\\ud83d\\n\"");
	/* control bytes raw */
	assert_declines("\"\x01\"");
	assert_declines("\"a\tb\"");
	assert_declines("\"abcdefgh\nij\"");
	assert_declines("\"\x1f\"");
	/* not UTF-8: a lone lead, a lone continuation, overlongs, a
	   surrogate, above U+10FFFF, bytes that never appear */
	assert_declines("\"\xc3\"");
	assert_declines("\"\xc3x\"");
	assert_declines("\"\x80\"");
	assert_declines("\"\xc0\xaf\"");
	assert_declines("\"\xc1\xbf\"");
	assert_declines("\"\xe0\x80\xaf\"");
	assert_declines("\"\xf0\x80\x80\xaf\"");
	assert_declines("\"\xed\xa0\x80\"");
	assert_declines("\"\xed\xbf\xbf\"");
	assert_declines("\"\xf4\x90\x80\x80\"");
	assert_declines("\"\xf5\x80\x80\x80\"");
	assert_declines("\"\xfe\"");
	assert_declines("\"\xff\"");
	assert_declines("\"abcdefgh\xe2\x82\"");
}

/* ---- whole lines ---------------------------------------------------- */

struct run {
	char out[2048];		/* "line:a=..,b=..(n);" per record, errors */
	unsigned long fast;	/* lines the fast path read */
};

/*
 * Read text (forced JSON lines, map) with the fast path on or off into
 * run: each record as "LINE:" then name=value for every field in
 * sp_reader_fields order ("#" after a number, "-" for absent), each error
 * as "LINE!field:message".
 */
static void
read_text(const char *text, const sp_map *map, int fast, struct run *run)
{
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	const int *f;
	size_t nf, i, w = 0;
	int k;

	memset(&o, 0, sizeof(o));
	o.format = SP_FMT_JSONL;
	o.map = map;
	o.bufsize = 7;		/* lines cross the read buffer */
	rd = sp_reader_open_mem(text, strlen(text), "t.jsonl", &o, &e);
	assert_non_null(rd);
	assert_non_null(r);
	sp_rd_json_fast(rd, fast);
	memset(run, 0, sizeof(*run));
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k != 1) {
			w += (size_t)snprintf(run->out + w, sizeof(run->out) - w,
			    "%ld!%s:%s;", e.line, e.field, e.msg);
			assert_true(k == -1);
			continue;
		}
		w += (size_t)snprintf(run->out + w, sizeof(run->out) - w, "%ld:",
		    r->line);
		f = sp_reader_fields(rd, &nf);
		for (i = 0; i < nf; i++) {
			const char *v = sp_rec_get(r, f[i]);
			if (v != NULL)
				assert_int_equal(sp_rec_len(r, f[i]), strlen(v));
			w += (size_t)snprintf(run->out + w, sizeof(run->out) - w,
			    "%s%s=%s%s", i ? "," : "",
			    sp_reader_slot_name(rd, f[i]), v ? v : "-",
			    v && r->num[f[i]] ? "#" : "");
		}
		w += (size_t)snprintf(run->out + w, sizeof(run->out) - w, ";");
		assert_true(w < sizeof(run->out));
	}
	run->fast = sp_rd_json_fast(rd, 1);
	sp_rec_free(r);
	sp_reader_close(rd);
}

/* text reads as want with the fast path (which takes nfast lines) and
 * without it (which takes none). */
static void
assert_reads(const char *text, const sp_map *map, const char *want,
    unsigned long nfast)
{
	struct run a, b;

	read_text(text, map, 1, &a);
	read_text(text, map, 0, &b);
	assert_string_equal(a.out, want);
	assert_string_equal(b.out, want);
	assert_int_equal(b.fast, 0);
	assert_int_equal(a.fast, nfast);
}

static void
test_lines_values(void **state)
{
	(void)state;
	/* every kind of value; the first line is jansson's, the rest fast */
	assert_reads(
	    "{\"id\":\"D1\",\"amount\":10.50,\"won\":true,\"note\":null}\n"
	    "{\"id\":\"D2\",\"amount\":-0,\"won\":false,\"note\":\"\"}\n"
	    "{\"id\":\"\",\"amount\":1e400,\"won\":null,\"note\":\"x\"}\n"
	    "{\"id\":\"D4\",\"amount\":12345678901234567890,\"won\":true,"
	    "\"note\":\"a\\\"b\"}\n",
	    NULL,
	    "1:id=D1,amount=10.50#,won=true,note=-;"
	    "2:id=D2,amount=-0#,won=false,note=;"
	    "3:id=,amount=1e400#,won=-,note=x;"
	    "4:id=D4,amount=12345678901234567890#,won=true,note=a\"b;", 3);
}

static void
test_lines_escapes(void **state)
{
	(void)state;
	assert_reads(
	    "{\"k\":\"first\"}\n"
	    "{\"k\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"}\n"
	    "{\"k\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n"
	    "{\"k\":\"tab\\there\\/\\\\\"}\n",
	    NULL,
	    "1:k=first;"
	    "2:k=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80;"
	    "3:k=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80;"
	    "4:k=tab\there/\\;", 3);
}

static void
test_lines_whitespace(void **state)
{
	(void)state;
	/* JSON whitespace between tokens, CRLF, blank lines, no final
	   newline */
	assert_reads(
	    "{\"a\":1,\"b\":\"x\"}\r\n"
	    " { \"a\" : 2 , \"b\" : \"y\" } \r\n"
	    "\r\n   \n"
	    "\t{\t\"a\"\t:\t3\t,\t\"b\"\t:\t\"z\"\t}\t\n"
	    "{\"a\":4,\"b\":\"w\"}",
	    NULL,
	    "1:a=1#,b=x;2:a=2#,b=y;5:a=3#,b=z;6:a=4#,b=w;", 3);
}

static void
test_lines_shape_change(void **state)
{
	(void)state;
	/* another order, fewer keys, more keys, nothing: jansson's each
	   time, then fast again on the new shape */
	assert_reads(
	    "{\"a\":1,\"b\":2}\n"
	    "{\"a\":3,\"b\":4}\n"
	    "{\"b\":5,\"a\":6}\n"
	    "{\"b\":7,\"a\":8}\n"
	    "{\"a\":9}\n"
	    "{\"a\":9,\"b\":1,\"c\":2}\n"
	    "{\"a\":9,\"b\":1,\"c\":3}\n"
	    "{}\n"
	    "{\"a\":0,\"b\":0,\"c\":0}\n",
	    NULL,
	    "1:a=1#,b=2#;2:a=3#,b=4#;3:a=6#,b=5#;4:a=8#,b=7#;5:a=9#,b=-;"
	    "6:a=9#,b=1#,c=2#;7:a=9#,b=1#,c=3#;8:a=-,b=-,c=-;"
	    "9:a=0#,b=0#,c=0#;", 3);
}

static void
test_lines_declined_errors(void **state)
{
	(void)state;
	/* lines the fast path declines keep jansson's errors and numbers;
	   the line after each is fast again */
	assert_reads(
	    "{\"a\":\"x\",\"b\":1}\n"
	    "{\"a\":[1],\"b\":1}\n"
	    "{\"a\":\"x\",\"b\":01}\n"
	    "{\"a\":\"x\",\"b\":1} x\n"
	    "{\"a\":\"\\ud800\",\"b\":1}\n"
	    "{\"a\":\"\xff\",\"b\":1}\n"
	    "{\"a\":\"y\",\"b\":2}\n",
	    NULL,
	    "1:a=x,b=1#;"
	    "2!a:nested objects and arrays are not supported;"
	    "3!:invalid JSON at column 14: invalid token near '0';"
	    "4!:invalid JSON at column 17: end of file expected near 'x';"
	    "5!:invalid JSON at column 13: invalid Unicode '\\uD800' near "
	    "'\"\\ud800\"';"
	    "6!:invalid JSON at column 6: unable to decode byte 0xff near "
	    "'\"'"
	    " (not UTF-8: if the file is in another encoding, say which with "
	    "--encoding);"
	    "7:a=y,b=2#;", 1);
}

static void
test_lines_keys(void **state)
{
	sp_map *m = sp_map_new();
	sp_error e;

	(void)state;
	/* a key spelled with an escape is jansson's, even when the same */
	assert_reads(
	    "{\"ab\":1}\n{\"a\\u0062\":2}\n{\"ab\":3}\n",
	    NULL, "1:ab=1#;2:ab=2#;3:ab=3#;", 1);
	/* the key a\ (written "a\\"): the raw bytes a\ before a quote are
	   not that key but the start of a\" (the string goes on) */
	assert_reads(
	    "{\"a\\\\\":1,\"b\":2}\n{\"a\\\":1,\"b\":2}\n"
	    "{\"a\\\\\":3,\"b\":4}\n",
	    NULL, "1:a\\=1#,b=2#;"
	    "2!:invalid JSON at column 10: ':' expected near 'b';"
	    "3:a\\=3#,b=4#;", 0);
	/* a key case folded to a canonical name, then spelled exactly:
	   the folded key goes back to its own name from then on */
	assert_reads(
	    "{\"Stage\":\"won\"}\n{\"Stage\":\"lost\"}\n"
	    "{\"Stage\":\"a\",\"stage\":\"b\"}\n"
	    "{\"Stage\":\"c\",\"stage\":\"d\"}\n"
	    "{\"Stage\":\"e\"}\n",
	    NULL,
	    "1:stage=won;2:stage=lost;"
	    "3:stage=b,Stage=a;4:stage=d,Stage=c;5:stage=-,Stage=e;", 2);
	/* --map: the mapped key and the one it shadows */
	assert_non_null(m);
	assert_int_equal(sp_map_add(m, "stage=to_stage,id=deal_id", &e), 0);
	assert_reads(
	    "{\"deal_id\":\"D1\",\"stage\":\"x\",\"to_stage\":\"won\"}\n"
	    "{\"deal_id\":\"D2\",\"stage\":\"y\",\"to_stage\":\"lost\"}\n",
	    m, "1:id=D1,stage=won;2:id=D2,stage=lost;", 1);
	sp_map_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_plain),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_unicode),
		cmocka_unit_test(test_string_declines),
		cmocka_unit_test(test_lines_values),
		cmocka_unit_test(test_lines_escapes),
		cmocka_unit_test(test_lines_whitespace),
		cmocka_unit_test(test_lines_shape_change),
		cmocka_unit_test(test_lines_declined_errors),
		cmocka_unit_test(test_lines_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
