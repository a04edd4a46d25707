/*
 * Unit tests of entry: entries made from operands, their canonical form
 * field by field, duplicate keys, and the history index read from a
 * journal's text (include/salespipe/entry.h, DESIGN.md section 2).
 * Canonical values are worked out by hand from the rules in entry.h;
 * times are UTC seconds from date -u -d DATE +%s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/entry.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

/* date -u -d ... +%s */
#define T_2025_12_01		1764547200LL
#define T_2026_01_01		1767225600LL
#define T_2026_01_02		1767312000LL
#define T_2026_01_03		1767398400LL
#define T_2026_01_04		1767484800LL
#define T_2026_01_05		1767571200LL
#define T_2026_01_06		1767657600LL
#define T_2026_01_07		1767744000LL
#define DAY			86400LL

/* The default deal stages, by index. */
enum { QUAL, DISC, PROP, NEGO, WON, LOST };

/* ---- helpers -------------------------------------------------------- */

static sp_stages *
deal_stages(void)
{
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);

	assert_non_null(st);
	return st;
}

/* The entry's names and values as "a=1;b=2;". */
static void
assert_entry(const sp_entry *en, const char *want)
{
	char buf[1024];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < en->n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s=%s;",
		    en->name[i], en->val[i]);
	assert_string_equal(buf, want);
}

/*
 * Normalise field=value (value given with its length, so that it may hold
 * any byte) alone in an entry; returns the canonical value (static) or
 * NULL when the field was removed; *rc the return code, e the error.
 */
static const char *
norm(const char *field, const char *v, size_t n, int *rc, sp_error *e)
{
	static char out[256];
	sp_stages *st = deal_stages();
	sp_entry *en = sp_entry_new();
	const char *got;

	assert_non_null(en);
	sp_err_clear(e);
	assert_int_equal(sp_entry_set(en, field, v, n, e), 0);
	*rc = sp_entry_normalise(en, st, NULL, e);
	got = sp_entry_get(en, field);
	if (got != NULL)
		snprintf(out, sizeof(out), "%s", got);
	sp_entry_free(en);
	sp_stages_free(st);
	return got != NULL ? out : NULL;
}

/* field=v must become want. */
static void
norm_ok(const char *field, const char *v, const char *want)
{
	sp_error e;
	int rc;
	const char *got = norm(field, v, strlen(v), &rc, &e);

	if (rc != 0)
		fail_msg("%s='%s': refused: %s: %s", field, v, e.field, e.msg);
	if (got == NULL)
		fail_msg("%s='%s': removed, want '%s'", field, v, want);
	if (strcmp(got, want) != 0)
		fail_msg("%s='%s': got '%s', want '%s'", field, v, got, want);
}

/* field=v (n bytes) must be refused naming field, msg holding reason. */
static void
norm_bad_n(const char *field, const char *v, size_t n, const char *reason)
{
	sp_error e;
	int rc;

	(void)norm(field, v, n, &rc, &e);
	if (rc != -1)
		fail_msg("%s='%.*s': accepted, want refused (%s)", field,
		    (int)n, v, reason);
	assert_string_equal(e.field, field);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", field, e.msg, reason);
}

static void
norm_bad(const char *field, const char *v, const char *reason)
{
	norm_bad_n(field, v, strlen(v), reason);
}

/* ---- entries: set, get, unset, operands ----------------------------- */

static void
test_set_get_unset(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();

	(void)state;
	assert_non_null(en);
	assert_int_equal(en->n, 0);
	assert_string_equal(en->file, "");
	assert_null(sp_entry_get(en, "a"));
	assert_int_equal(sp_entry_set(en, "a", "1", 1, &e), 0);
	assert_int_equal(sp_entry_set(en, "b", "22", 2, &e), 0);
	/* n bytes of v, not up to its NUL */
	assert_int_equal(sp_entry_set(en, "c", "333xyz", 3, &e), 0);
	assert_entry(en, "a=1;b=22;c=333;");
	/* replacing keeps the place of first setting */
	assert_int_equal(sp_entry_set(en, "b", "new", 3, &e), 0);
	assert_entry(en, "a=1;b=new;c=333;");
	assert_string_equal(sp_entry_get(en, "b"), "new");
	/* an empty value is a value */
	assert_int_equal(sp_entry_set(en, "d", "", 0, &e), 0);
	assert_non_null(sp_entry_get(en, "d"));
	assert_string_equal(sp_entry_get(en, "d"), "");
	sp_entry_unset(en, "b");
	assert_entry(en, "a=1;c=333;d=;");
	assert_null(sp_entry_get(en, "b"));
	sp_entry_unset(en, "nothing");
	assert_entry(en, "a=1;c=333;d=;");
	sp_entry_unset(en, "d");
	sp_entry_unset(en, "a");
	assert_entry(en, "c=333;");
	/* set again after unset: at the end */
	assert_int_equal(sp_entry_set(en, "a", "9", 1, &e), 0);
	assert_entry(en, "c=333;a=9;");
	/* names are exact (case matters) */
	assert_null(sp_entry_get(en, "A"));
	sp_entry_free(en);
	sp_entry_free(NULL);
}

static void
test_set_many(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();
	char name[16], v[16];
	int i;

	(void)state;
	/* past the first growth of the arrays */
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(v, sizeof(v), "%d", i * 3);
		assert_int_equal(sp_entry_set(en, name, v, strlen(v), &e), 0);
	}
	assert_int_equal(en->n, 40);
	assert_string_equal(en->name[0], "f0");
	assert_string_equal(en->name[39], "f39");
	assert_string_equal(sp_entry_get(en, "f17"), "51");
	assert_string_equal(sp_entry_get(en, "f39"), "117");
	sp_entry_free(en);
}

static void
test_operand(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();

	(void)state;
	assert_int_equal(sp_entry_operand(en, "a=b", &e), 0);
	assert_entry(en, "a=b;");
	/* empty value: sets nothing, and leaves an earlier value */
	assert_int_equal(sp_entry_operand(en, "c=", &e), 0);
	assert_entry(en, "a=b;");
	assert_int_equal(sp_entry_operand(en, "a=", &e), 0);
	assert_entry(en, "a=b;");
	/* the first '=' splits */
	assert_int_equal(sp_entry_operand(en, "x=y=z", &e), 0);
	assert_string_equal(sp_entry_get(en, "x"), "y=z");
	/* names: letters, digits, _ - . */
	assert_int_equal(sp_entry_operand(en, "a.b-c_D9=v w", &e), 0);
	assert_string_equal(sp_entry_get(en, "a.b-c_D9"), "v w");
	/* a later operand replaces */
	assert_int_equal(sp_entry_operand(en, "a=2", &e), 0);
	assert_entry(en, "a=2;x=y=z;a.b-c_D9=v w;");

	sp_err_clear(&e);
	assert_int_equal(sp_entry_operand(en, "a b=c", &e), -1);
	assert_non_null(strstr(e.msg, "not a field name"));
	assert_non_null(strstr(e.msg, "a b"));
	sp_err_clear(&e);
	assert_int_equal(sp_entry_operand(en, "noequals", &e), -1);
	assert_non_null(strstr(e.msg, "noequals"));
	assert_non_null(strstr(e.msg, "field=value"));
	sp_err_clear(&e);
	assert_int_equal(sp_entry_operand(en, "=v", &e), -1);
	assert_non_null(strstr(e.msg, "not a field name"));
	sp_err_clear(&e);
	assert_int_equal(sp_entry_operand(en, "a/b=v", &e), -1);
	/* nothing of the refused ones was set */
	assert_entry(en, "a=2;x=y=z;a.b-c_D9=v w;");
	sp_entry_free(en);
}

/* ---- canonical values ----------------------------------------------- */

static void
test_norm_amount(void **state)
{
	(void)state;
	norm_ok("amount", " 12000 ", "12000.00");
	norm_ok("amount", "-3.5", "-3.50");
	norm_ok("amount", "0.07", "0.07");
	norm_ok("amount", "\t42.10\t", "42.10");
	norm_bad("amount", "1,000", "not an amount");
	/* exact: never rounded to cents in the journal */
	norm_ok("amount", "9225.225", "9225.225");
	norm_ok("amount", "19567.7174", "19567.7174");
	norm_ok("amount", "1.2500000", "1.25");
	norm_ok("amount", "0.000001", "0.000001");
	norm_bad("amount", "12.3456789", "more than six decimals");
	norm_bad("amount", "1,000.00", "--thousands");
	norm_bad("amount", "$5", "not an amount");
	norm_bad("amount", "1e3", "not an amount");
}

static void
test_norm_probability(void **state)
{
	(void)state;
	norm_ok("probability", "12.50%", "12.5");
	norm_ok("probability", "50", "50");
	norm_ok("probability", "0.05", "0.05");
	norm_ok("probability", "100", "100");
	norm_ok("probability", "0", "0");
	norm_ok("probability", "7.10", "7.1");
	norm_ok("probability", "33.33", "33.33");
	norm_ok("probability", "20.00%", "20");
	norm_ok("probability", " 5 ", "5");
	norm_bad("probability", "101", "not a probability");
	norm_bad("probability", "-1", "not a probability");
	norm_bad("probability", "half", "not a probability");
}

static void
test_norm_currency(void **state)
{
	(void)state;
	norm_ok("currency", "usd", "USD");
	norm_ok("currency", " eUr ", "EUR");
	norm_ok("currency", "GBP", "GBP");
	norm_bad("currency", "US", "not a currency code");
	norm_bad("currency", "USDX", "not a currency code");
	norm_bad("currency", "U1D", "not a currency code");
	norm_bad("currency", "$", "not a currency code");
}

static void
test_norm_email(void **state)
{
	(void)state;
	norm_ok("email", " Ann@Example.COM ", "ann@example.com");
	norm_ok("email", "a.b+c@mail.example.org", "a.b+c@mail.example.org");
	norm_bad("email", "a@b", "not an email address");
	norm_bad("email", "a@@b.c", "not an email address");
	norm_bad("email", "a@b@c.d", "not an email address");
	norm_bad("email", "@b.c", "not an email address");
	norm_bad("email", "a@.c", "not an email address");
	norm_bad("email", "a@b.", "not an email address");
	norm_bad("email", "ann", "not an email address");
	norm_bad("email", "a b@c.d", "not an email address");
}

static void
test_norm_times(void **state)
{
	(void)state;
	/* 12:00 at +02:00 is 10:00 UTC */
	norm_ok("at", "2026-11-26T12:00:00+02:00", "2026-11-26T10:00:00Z");
	norm_ok("at", "2026-11-26", "2026-11-26T00:00:00Z");
	norm_ok("at", " 2026-11-26 08:05 ", "2026-11-26T08:05:00Z");
	/* 00:30 at +01:00 is the day before, 23:30 UTC */
	norm_ok("created_at", "2026-01-01T00:30:00+01:00",
	    "2025-12-31T23:30:00Z");
	norm_ok("closed_at", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z");
	/* 23:30 at -02:00 is 01:30 UTC the next day: the UTC date */
	norm_ok("close_date", "2026-12-20T23:30:00-02:00", "2026-12-21");
	norm_ok("close_date", "2026-12-20", "2026-12-20");
	norm_bad("at", "2026-02-30", "");
	norm_bad("created_at", "yesterday", "");
	norm_bad("close_date", "2026-13-01", "");
}

static void
test_norm_datefmt(void **state)
{
	sp_error e;
	sp_stages *st = deal_stages();
	sp_entry *en = sp_entry_new();

	(void)state;
	assert_int_equal(sp_entry_operand(en, "at=26/11/2026", &e), 0);
	assert_int_equal(sp_entry_operand(en, "close_date=01/02/2027", &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, "%d/%m/%Y", &e), 0);
	assert_string_equal(sp_entry_get(en, "at"), "2026-11-26T00:00:00Z");
	assert_string_equal(sp_entry_get(en, "close_date"), "2027-02-01");
	sp_entry_free(en);
	sp_stages_free(st);
}

static void
test_norm_stage(void **state)
{
	sp_error e;
	int rc;

	(void)state;
	norm_ok("stage", "PROPOSAL", "proposal");
	norm_ok("stage", " Won ", "won");
	norm_ok("lost_stage", "Negotiation", "negotiation");
	(void)norm("stage", "signed", 6, &rc, &e);
	assert_int_equal(rc, -1);
	assert_string_equal(e.field, "stage");
	assert_non_null(strstr(e.msg, "unknown stage 'signed'"));
	assert_non_null(strstr(e.msg, "qualification, discovery, proposal, "
	    "negotiation, won, lost"));
	norm_bad("lost_stage", "maybe", "unknown stage 'maybe'");
}

static void
test_norm_text(void **state)
{
	(void)state;
	/* other fields: trimmed only, case and inner blanks kept */
	norm_ok("name", "  Big  Deal\t", "Big  Deal");
	norm_ok("account", "a\tb", "a\tb");
	/* UTF-8: 2, 3 and 4 byte sequences */
	norm_ok("name", "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	norm_ok("id", " D-7 ", "D-7");
	norm_bad("name", "a\nb", "line break");
	norm_bad("name", "a\rb", "line break");
	norm_bad("name", "line\n", "line break");
	norm_bad("reason", "bell\x07", "control character");
	norm_bad("reason", "del\x7f", "control character");
	norm_bad("name", "\xff", "not valid UTF-8");
	/* cut short; overlong (2 and 3 bytes); a surrogate; past U+10FFFF */
	norm_bad("name", "x\xc3", "not valid UTF-8");
	norm_bad("name", "\xc0\x80", "not valid UTF-8");
	norm_bad("name", "\xe0\x80\xaf", "not valid UTF-8");
	norm_bad("name", "\xed\xa0\x80", "not valid UTF-8");
	norm_bad("name", "\xf4\x90\x80\x80", "not valid UTF-8");
	norm_bad("name", "\xe2\x82x", "not valid UTF-8");
	norm_bad("id", "   ", "empty");
	norm_bad("id", "", "empty");
	/* a bad value in a typed field is still checked as text first */
	norm_bad("amount", "1\n", "line break");
}

static void
test_norm_blank_removed(void **state)
{
	sp_error e;
	sp_stages *st = deal_stages();
	sp_entry *en = sp_entry_new();

	(void)state;
	assert_int_equal(sp_entry_set(en, "id", "D-1", 3, &e), 0);
	assert_int_equal(sp_entry_set(en, "name", "  ", 2, &e), 0);
	assert_int_equal(sp_entry_set(en, "owner", " ann ", 5, &e), 0);
	assert_int_equal(sp_entry_set(en, "source", "\t", 1, &e), 0);
	assert_int_equal(sp_entry_set(en, "currency", "eur", 3, &e), 0);
	assert_int_equal(sp_entry_set(en, "territory", "", 0, &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), 0);
	/* blank values go, the others keep their order */
	assert_entry(en, "id=D-1;owner=ann;currency=EUR;");
	sp_entry_free(en);
	sp_stages_free(st);
}

/*
 * A blank-only value sets nothing whatever the field: "amount= " is no
 * amount, as "name= " is no name (entry.h: values trimmed; an empty value
 * means unchanged in a history).
 */
static void
test_norm_blank_typed_removed(void **state)
{
	static const char *const typed[] = { "at", "created_at", "closed_at",
		"close_date", "amount", "probability", "currency", "email",
		"stage", "lost_stage", NULL };
	sp_error e;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; typed[i] != NULL; i++) {
		const char *got = norm(typed[i], " \t ", 3, &rc, &e);
		if (rc != 0)
			fail_msg("%s=' \\t ': refused (%s: %s), want removed",
			    typed[i], e.field, e.msg);
		if (got != NULL)
			fail_msg("%s=' \\t ': kept as '%s', want removed",
			    typed[i], got);
	}
}

static void
test_norm_first_error(void **state)
{
	sp_error e;
	sp_stages *st = deal_stages();
	sp_entry *en = sp_entry_new();

	(void)state;
	assert_int_equal(sp_entry_operand(en, "amount=5", &e), 0);
	assert_int_equal(sp_entry_operand(en, "currency=dollars", &e), 0);
	assert_int_equal(sp_entry_operand(en, "stage=nowhere", &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), -1);
	/* the first bad field in entry order is named */
	assert_string_equal(e.field, "currency");
	assert_non_null(strstr(e.msg, "not a currency code"));
	sp_entry_free(en);
	sp_stages_free(st);
}

/* ---- duplicate keys ------------------------------------------------- */

static void
test_dup_key_deal(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();
	char *buf = NULL;
	size_t cap = 0, n;
	static const char want[] = "acme corp\0big deal";

	(void)state;
	assert_int_equal(sp_entry_operand(en, "name=Big Deal", &e), 0);
	/* account missing: no key */
	assert_int_equal(sp_entry_dup_key(en, &sp_kind_deal, &buf, &cap), 0);
	assert_int_equal(sp_entry_operand(en, "account=ACME Corp", &e), 0);
	n = sp_entry_dup_key(en, &sp_kind_deal, &buf, &cap);
	/* account first, then name: 9 + 1 + 8 bytes */
	assert_int_equal(n, 18);
	assert_int_equal(sizeof(want) - 1, 18);
	assert_memory_equal(buf, want, 18);
	/* one of them empty: no key */
	assert_int_equal(sp_entry_set(en, "name", "", 0, &e), 0);
	assert_int_equal(sp_entry_dup_key(en, &sp_kind_deal, &buf, &cap), 0);
	/* a lead's key is its email alone */
	assert_int_equal(sp_entry_dup_key(en, &sp_kind_lead, &buf, &cap), 0);
	sp_entry_free(en);
	free(buf);
}

static void
test_phone_key(void **state)
{
	static const struct {
		const char *in, *country, *want;
	} t[] = {
		{ "(212) 555-0188", NULL, "2125550188" },
		{ "(212) 555-0188", "1", "+12125550188" },
		{ "1-212-555-0188", "1", "+12125550188" },
		{ "1-212-555-0188", NULL, "12125550188" },
		{ "+1 212 555 0188", NULL, "+12125550188" },
		{ "+1 212 555 0188", "44", "+12125550188" },
		{ "212.555.0188 x12", NULL, "2125550188" },
		{ "212.555.0188 ext. 12", NULL, "2125550188" },
		{ "020 7946 0018", "44", "+442079460018" },
		{ "020 7946 0018", "+44", "+442079460018" },
		{ "+44 (0)20 7946 0018", NULL, "+442079460018" },
		{ "0044 20 7946 0018", "1", "+442079460018" },
		{ "555-01", NULL, "" },
		{ "n/a", "1", "" },
		{ "", "1", "" },
		{ "123456789012345678901", NULL, "" },
		{ "1234567", NULL, "1234567" },
	};
	char out[40];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = sp_phone_key(t[i].in, strlen(t[i].in), t[i].country, out,
		    sizeof(out));
		out[n] = '\0';
		if (strcmp(out, t[i].want) != 0)
			fail_msg("'%s' (%s): got '%s', want '%s'", t[i].in,
			    t[i].country ? t[i].country : "-", out, t[i].want);
	}
	assert_true(sp_phone_country_ok("1"));
	assert_true(sp_phone_country_ok("+44"));
	assert_true(sp_phone_country_ok("358"));
	assert_false(sp_phone_country_ok("US"));
	assert_false(sp_phone_country_ok("1234"));
	assert_false(sp_phone_country_ok("01"));
	assert_false(sp_phone_country_ok(""));
	assert_false(sp_phone_country_ok("+"));
}

static void
test_dup_keys_more(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();
	sp_kind us = sp_kind_lead;
	char *buf = NULL;
	size_t cap = 0, n;

	(void)state;
	assert_int_equal(sp_kind_dup_count(&sp_kind_deal), 1);
	assert_int_equal(sp_kind_dup_count(&sp_kind_lead), 3);
	assert_string_equal(sp_kind_dup_fields(&sp_kind_lead, 1)[0], "phone");
	assert_string_equal(sp_kind_dup_fields(&sp_kind_lead, 2)[1], "name");
	/* no phone, no company: no key */
	assert_int_equal(sp_entry_operand(en, "name=Ann Lee", &e), 0);
	assert_int_equal(sp_entry_dup_key_n(en, &sp_kind_lead, 1, &buf, &cap),
	    0);
	assert_int_equal(sp_entry_dup_key_n(en, &sp_kind_lead, 2, &buf, &cap),
	    0);
	assert_int_equal(sp_entry_operand(en, "company=InITech", &e), 0);
	n = sp_entry_dup_key_n(en, &sp_kind_lead, 2, &buf, &cap);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "\x01" "2initech\0ann lee", 17);
	assert_int_equal(sp_entry_operand(en, "phone=(212) 555-0188", &e), 0);
	n = sp_entry_dup_key_n(en, &sp_kind_lead, 1, &buf, &cap);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "\x01" "12125550188", 12);
	us.phone_country = "1";
	n = sp_entry_dup_key_n(en, &us, 1, &buf, &cap);
	assert_int_equal(n, 14);
	assert_memory_equal(buf, "\x01" "1+12125550188", 14);
	/* key 0 is the email's, as sp_entry_dup_key makes it */
	assert_int_equal(sp_entry_dup_key_n(en, &sp_kind_lead, 0, &buf, &cap),
	    0);
	sp_entry_free(en);
	free(buf);
}

static void
test_dup_key_lead(void **state)
{
	sp_error e;
	sp_entry *en = sp_entry_new();
	char *buf = NULL;
	size_t cap = 0, n;

	(void)state;
	assert_int_equal(sp_entry_operand(en, "name=Ann", &e), 0);
	assert_int_equal(sp_entry_dup_key(en, &sp_kind_lead, &buf, &cap), 0);
	assert_int_equal(sp_entry_operand(en, "email=Ann@Example.com", &e), 0);
	n = sp_entry_dup_key(en, &sp_kind_lead, &buf, &cap);
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "ann@example.com", 15);
	/* the buffer is reused and grown */
	assert_int_equal(sp_entry_operand(en, "email=A.Very.Long.Address."
	    "For.Growth@Some.Example.Org", &e), 0);
	n = sp_entry_dup_key(en, &sp_kind_lead, &buf, &cap);
	assert_int_equal(n, 47);
	assert_memory_equal(buf, "a.very.long.address.for.growth@some.example"
	    ".org", 47);
	assert_true(cap >= n);
	sp_entry_free(en);
	free(buf);
}

/* ---- the index, record by record ------------------------------------ */

/* sp_index_state must give ret, stage, since, first. */
#define STATE(x, id, t, wret, wstage, wsince, wfirst) do { \
	int s_; int64_t since_, first_; \
	int r_ = sp_index_state((x), (id), (t), &s_, &since_, &first_); \
	if (r_ != (wret) || (r_ == 1 && (s_ != (wstage) || \
	    since_ != (int64_t)(wsince))) || first_ != (int64_t)(wfirst)) \
		fail_msg("index_state(%s, %lld) = %d stage %d since %lld " \
		    "first %lld; want %d %d %lld %lld", (id), \
		    (long long)(t), r_, s_, (long long)since_, \
		    (long long)first_, (wret), (wstage), \
		    (long long)(wsince), (long long)(wfirst)); \
} while (0)

static void
test_index_add_state(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x = sp_index_new(&sp_kind_deal, st);
	int64_t a = T_2026_01_01;

	(void)state;
	assert_non_null(x);
	/* out of order: 3 days in, then day 1, then a tie at day 3 */
	assert_int_equal(sp_index_add(x, "D-1", 3, a + 3 * DAY, PROP, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-1", 3, a + DAY, QUAL, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-1", 3, a + 5 * DAY, -1, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-1", 3, a + 3 * DAY, NEGO, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-1", 3, a + 7 * DAY, WON, NULL, 0), 0);
	/* an id whose first record sets no stage; idlen counts, not NUL */
	assert_int_equal(sp_index_add(x, "D-2xyz", 3, a + 2 * DAY, -1, NULL, 0),
	    0);
	assert_int_equal(sp_index_add(x, "D-2", 3, a + 4 * DAY, DISC, NULL, 0), 0);

	/* first appearance: the earliest at, whatever the input order */
	STATE(x, "D-1", a, 0, -1, 0, a + DAY);
	STATE(x, "D-1", a + DAY - 1, 0, -1, 0, a + DAY);
	STATE(x, "D-1", a + DAY, 1, QUAL, a + DAY, a + DAY);
	STATE(x, "D-1", a + 3 * DAY - 1, 1, QUAL, a + DAY, a + DAY);
	/* two records at the same at: the later one wins */
	STATE(x, "D-1", a + 3 * DAY, 1, NEGO, a + 3 * DAY, a + DAY);
	/* a record without stage changes nothing */
	STATE(x, "D-1", a + 6 * DAY, 1, NEGO, a + 3 * DAY, a + DAY);
	STATE(x, "D-1", a + 7 * DAY, 1, WON, a + 7 * DAY, a + DAY);
	STATE(x, "D-1", INT64_MAX / 2048, 1, WON, a + 7 * DAY, a + DAY);

	STATE(x, "D-2", a + DAY, 0, -1, 0, a + 2 * DAY);
	/* known, but no stage yet */
	STATE(x, "D-2", a + 3 * DAY, 1, -1, INT64_MIN, a + 2 * DAY);
	STATE(x, "D-2", a + 4 * DAY, 1, DISC, a + 4 * DAY, a + 2 * DAY);

	/* unknown ids */
	STATE(x, "D-3", a + 9 * DAY, 0, -1, 0, INT64_MIN);
	STATE(x, "D", a + 9 * DAY, 0, -1, 0, INT64_MIN);
	assert_int_equal(sp_index_has(x, "D-1"), 1);
	assert_int_equal(sp_index_has(x, "D-2"), 1);
	assert_int_equal(sp_index_has(x, "D-2xyz"), 0);
	assert_int_equal(sp_index_has(x, "D-"), 0);
	assert_int_equal(sp_index_has(x, "d-1"), 0);
	assert_int_equal(sp_index_max_number(x), 2);
	sp_index_free(x);
	sp_stages_free(st);
}

static void
test_index_before_epoch(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x = sp_index_new(&sp_kind_deal, st);

	(void)state;
	/* times before 1970 are negative: the stage must survive them */
	assert_int_equal(sp_index_add(x, "D-1", 3, -DAY - 1, DISC, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-1", 3, -1, LOST, NULL, 0), 0);
	STATE(x, "D-1", -DAY - 1, 1, DISC, -DAY - 1, -DAY - 1);
	STATE(x, "D-1", -2, 1, DISC, -DAY - 1, -DAY - 1);
	STATE(x, "D-1", -1, 1, LOST, -1, -DAY - 1);
	STATE(x, "D-1", 0, 1, LOST, -1, -DAY - 1);
	sp_index_free(x);
	sp_stages_free(st);
}

static void
test_index_dup_and_numbers(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x = sp_index_new(&sp_kind_deal, st);
	static const char k1[] = "acme\0big";
	static const char k2[] = "acme\0bigger";
	int64_t a = T_2026_01_01;

	(void)state;
	assert_int_equal(sp_index_max_number(x), 0);
	assert_int_equal(sp_index_add(x, "D-7", 3, a, QUAL, k1, 8), 0);
	assert_int_equal(sp_index_add(x, "D-12", 4, a, QUAL, k2, 11), 0);
	assert_int_equal(sp_index_add(x, "X-99", 4, a, QUAL, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D-3a", 4, a, QUAL, NULL, 0), 0);
	/* the same key again: the first holder stays */
	assert_int_equal(sp_index_add(x, "D-8", 3, a, QUAL, k1, 8), 0);
	assert_int_equal(sp_index_max_number(x), 12);
	assert_string_equal(sp_index_dup(x, k1, 8), "D-7");
	assert_string_equal(sp_index_dup(x, k2, 11), "D-12");
	/* the NUL is part of the key: "acme" alone or "acmebig" differ */
	assert_null(sp_index_dup(x, "acme", 4));
	assert_null(sp_index_dup(x, "acmebig", 7));
	assert_null(sp_index_dup(x, "acme\0bi", 7));
	/* a leading zero, "D-" alone, a lower-case prefix */
	assert_int_equal(sp_index_add(x, "D-0013", 6, a, -1, NULL, 0), 0);
	assert_int_equal(sp_index_max_number(x), 13);
	assert_int_equal(sp_index_add(x, "D-", 2, a, -1, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "d-50", 4, a, -1, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "D--60", 5, a, -1, NULL, 0), 0);
	assert_int_equal(sp_index_max_number(x), 13);
	sp_index_free(x);
	sp_stages_free(st);

	/* leads count L- ids */
	st = sp_stages_default(SP_STAGES_LEADS);
	x = sp_index_new(&sp_kind_lead, st);
	assert_int_equal(sp_index_add(x, "D-40", 4, a, 0, NULL, 0), 0);
	assert_int_equal(sp_index_add(x, "L-4", 3, a, 0, "a@b.c", 5), 0);
	assert_int_equal(sp_index_max_number(x), 4);
	assert_string_equal(sp_index_dup(x, "a@b.c", 5), "L-4");
	sp_index_free(x);
	sp_stages_free(st);
}

/* ---- the index, read from a journal --------------------------------- */

/*
 * One history in both formats.  D-1 changes stage out of time order
 * (line 5 is before line 4 in time), line 6 spells its id with a JSON
 * escape, line 8 ties with line 3 for D-2 (the later line wins), D-10 and
 * D-100 have D-1 as a prefix.
 */
static const char hist_jsonl[] =
    "{\"id\":\"D-1\",\"at\":\"2026-01-01T00:00:00Z\","
	"\"stage\":\"qualification\",\"name\":\"Big\",\"account\":\"Acme\"}\n"
    "{\"id\":\"D-10\",\"at\":\"2026-01-02T00:00:00Z\","
	"\"stage\":\"Discovery\",\"name\":\"Other\",\"account\":\"BETA\"}\n"
    "{\"id\":\"D-2\",\"at\":\"2026-01-03T00:00:00Z\",\"stage\":\"proposal\"}\n"
    "{\"id\":\"D-1\",\"at\":\"2026-01-05T00:00:00Z\",\"stage\":\"won\"}\n"
    "{\"id\":\"D-1\",\"at\":\"2026-01-04T00:00:00Z\","
	"\"stage\":\"negotiation\"}\n"
    "{\"id\":\"D\\u002d1\",\"at\":\"2026-01-06T00:00:00Z\","
	"\"stage\":\"lost\"}\n"
    "{\"id\":\"D-10\",\"at\":\"2026-01-07T00:00:00Z\",\"amount\":\"5\"}\n"
    "{\"id\":\"D-2\",\"at\":\"2026-01-03T00:00:00Z\","
	"\"stage\":\"negotiation\"}\n"
    "{\"id\":\"D-100\",\"at\":\"2025-12-01T00:00:00Z\",\"stage\":\"won\"}\n";

static const char hist_csv[] =
    "id,at,stage,name,account,amount\n"
    "D-1,2026-01-01T00:00:00Z,qualification,Big,Acme,\n"
    "D-10,2026-01-02T00:00:00Z,Discovery,Other,BETA,\n"
    "D-2,2026-01-03T00:00:00Z,proposal,,,\n"
    "D-1,2026-01-05T00:00:00Z,won,,,\n"
    "D-1,2026-01-04T00:00:00Z,negotiation,,,\n"
    "D-1,2026-01-06T00:00:00Z,lost,,,\n"
    "D-10,2026-01-07T00:00:00Z,,,,5\n"
    "D-2,2026-01-03T00:00:00Z,negotiation,,,\n"
    "D-100,2025-12-01T00:00:00Z,won,,,\n";

/* What the history says about D-1, by hand. */
static void
check_d1(const sp_index *x)
{
	STATE(x, "D-1", T_2026_01_01 - 1, 0, -1, 0, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_01, 1, QUAL, T_2026_01_01, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_03, 1, QUAL, T_2026_01_01, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_04, 1, NEGO, T_2026_01_04, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_05, 1, WON, T_2026_01_05, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_06 - 1, 1, WON, T_2026_01_05,
	    T_2026_01_01);
	STATE(x, "D-1", T_2026_01_06, 1, LOST, T_2026_01_06, T_2026_01_01);
	STATE(x, "D-1", T_2026_01_07 * 2, 1, LOST, T_2026_01_06,
	    T_2026_01_01);
	assert_int_equal(sp_index_has(x, "D-1"), 1);
	assert_string_equal(sp_index_dup(x, "acme\0big", 8), "D-1");
}

static void
check_d10(const sp_index *x)
{
	STATE(x, "D-10", T_2026_01_01, 0, -1, 0, T_2026_01_02);
	STATE(x, "D-10", T_2026_01_02, 1, DISC, T_2026_01_02, T_2026_01_02);
	/* the amount record at day 7 keeps the stage */
	STATE(x, "D-10", T_2026_01_07, 1, DISC, T_2026_01_02, T_2026_01_02);
	assert_int_equal(sp_index_has(x, "D-10"), 1);
	assert_string_equal(sp_index_dup(x, "beta\0other", 10), "D-10");
}

static void
check_d2(const sp_index *x)
{
	STATE(x, "D-2", T_2026_01_02, 0, -1, 0, T_2026_01_03);
	STATE(x, "D-2", T_2026_01_03, 1, NEGO, T_2026_01_03, T_2026_01_03);
	assert_int_equal(sp_index_has(x, "D-2"), 1);
}

static void
check_d100(const sp_index *x)
{
	STATE(x, "D-100", T_2025_12_01 - 1, 0, -1, 0, T_2025_12_01);
	STATE(x, "D-100", T_2026_01_01, 1, WON, T_2025_12_01, T_2025_12_01);
	assert_int_equal(sp_index_has(x, "D-100"), 1);
}

/* Read text into a new index; fails the test on an error. */
static sp_index *
read_index(sp_stages *st, const char *text, int fmt, const char *const *ids,
    size_t nids, char ***header)
{
	sp_error e;
	sp_index *x = sp_index_new(&sp_kind_deal, st);

	assert_non_null(x);
	if (sp_index_read(x, text, strlen(text), fmt, "h", ids, nids, header,
	    &e) != 0)
		fail_msg("index_read: %s:%ld: %s: %s", e.file, e.line, e.field,
		    e.msg);
	return x;
}

static void
test_index_read_full(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x;
	char **h = (char **)1;
	static const char *const want_h[] = { "id", "at", "stage", "name",
		"account", "amount" };
	size_t i;

	(void)state;
	/* JSON lines: no header */
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, NULL, 0, &h);
	assert_null(h);
	check_d1(x);
	check_d10(x);
	check_d2(x);
	check_d100(x);
	assert_int_equal(sp_index_has(x, "D-3"), 0);
	assert_int_equal(sp_index_max_number(x), 100);
	sp_index_free(x);

	/* CSV: the same answers, and its header */
	x = read_index(st, hist_csv, SP_FMT_CSV, NULL, 0, &h);
	assert_non_null(h);
	for (i = 0; i < 6; i++) {
		assert_non_null(h[i]);
		assert_string_equal(h[i], want_h[i]);
	}
	assert_null(h[6]);
	sp_index_header_free(h);
	check_d1(x);
	check_d10(x);
	check_d2(x);
	check_d100(x);
	assert_int_equal(sp_index_has(x, "D-3"), 0);
	assert_int_equal(sp_index_max_number(x), 100);
	sp_index_free(x);

	/* header may be NULL */
	x = read_index(st, hist_csv, SP_FMT_CSV, NULL, 0, NULL);
	check_d1(x);
	sp_index_free(x);
	sp_index_header_free(NULL);
	sp_stages_free(st);
}

static void
test_index_read_ids(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x;
	static const char *const d1[] = { "D-1" };
	static const char *const d10[] = { "D-10" };
	static const char *const d2[] = { "D-2" };
	static const char *const d100[] = { "D-100" };
	static const char *const two[] = { "D-2", "D-1" };
	static const char *const all[] = { "D-100", "D-2", "D-10", "D-1" };

	(void)state;
	/* D-1 is a prefix of D-10 and D-100; one of its records spells it
	 * D\u002d1 */
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, d1, 1, NULL);
	check_d1(x);
	sp_index_free(x);
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, d10, 1, NULL);
	check_d10(x);
	sp_index_free(x);
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, d2, 1, NULL);
	check_d2(x);
	sp_index_free(x);
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, d100, 1, NULL);
	check_d100(x);
	sp_index_free(x);
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, two, 2, NULL);
	check_d1(x);
	check_d2(x);
	sp_index_free(x);
	x = read_index(st, hist_jsonl, SP_FMT_JSONL, all, 4, NULL);
	check_d1(x);
	check_d10(x);
	check_d2(x);
	check_d100(x);
	sp_index_free(x);
	/* CSV with ids: only their lines (each line is a record here) */
	x = read_index(st, hist_csv, SP_FMT_CSV, d1, 1, NULL);
	check_d1(x);
	assert_int_equal(sp_index_has(x, "D-10"), 0);
	sp_index_free(x);
	x = read_index(st, hist_csv, SP_FMT_CSV, all, 4, NULL);
	check_d1(x);
	check_d10(x);
	check_d2(x);
	check_d100(x);
	sp_index_free(x);
	/* a quoted line break: lines are not records, so the whole text */
	{
		static const char ml[] =
		    "id,at,stage,name\n"
		    "D-10,2026-01-02T00:00:00Z,discovery,\"two\nD-1,lines\"\n"
		    "D-1,2026-01-01T00:00:00Z,qualification,x\n";
		x = read_index(st, ml, SP_FMT_CSV, d1, 1, NULL);
		assert_int_equal(sp_index_has(x, "D-1"), 1);
		assert_int_equal(sp_index_has(x, "D-10"), 1);
		STATE(x, "D-10", T_2026_01_02, 1, DISC, T_2026_01_02,
		    T_2026_01_02);
		sp_index_free(x);
	}
	sp_stages_free(st);
}

/* An id at the very start and end of the text, no final newline issue. */
static void
test_index_read_ids_edges(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x;
	static const char text[] =
	    "{\"id\":\"D-5\",\"at\":\"2026-01-01\",\"stage\":\"discovery\"}\n"
	    "{\"at\":\"2026-01-02\",\"stage\":\"won\",\"id\":\"D-5\"}\n";
	static const char *const d5[] = { "D-5" };

	(void)state;
	x = read_index(st, text, SP_FMT_JSONL, d5, 1, NULL);
	STATE(x, "D-5", T_2026_01_01, 1, DISC, T_2026_01_01, T_2026_01_01);
	STATE(x, "D-5", T_2026_01_02, 1, WON, T_2026_01_02, T_2026_01_01);
	sp_index_free(x);
	sp_stages_free(st);
}

/* sp_index_read must fail naming line wline and field wfield. */
static void
read_bad(const char *text, int fmt, const char *const *ids, size_t nids,
    long wline, const char *wfield, const char *wmsg)
{
	sp_stages *st = deal_stages();
	sp_index *x = sp_index_new(&sp_kind_deal, st);
	sp_error e;
	char **h = NULL;
	int rc;

	rc = sp_index_read(x, text, strlen(text), fmt, "deals.jsonl", ids, nids,
	    fmt == SP_FMT_CSV ? &h : NULL, &e);
	if (rc != -1)
		fail_msg("index_read accepted a bad journal (ids %zu)", nids);
	if (e.line != wline)
		fail_msg("line %ld, want %ld (ids %zu; %s: %s)", e.line, wline,
		    nids, e.field, e.msg);
	assert_string_equal(e.file, "deals.jsonl");
	if (wfield != NULL)
		assert_string_equal(e.field, wfield);
	if (wmsg != NULL && strstr(e.msg, wmsg) == NULL)
		fail_msg("message '%s' lacks '%s'", e.msg, wmsg);
	assert_null(h);
	sp_index_free(x);
	sp_stages_free(st);
}

static void
test_index_read_bad(void **state)
{
	static const char *const d1[] = { "D-1" };
	static const char *const d3[] = { "D-3" };
	/* line 3 is blank; the bad at is on line 6 */
	static const char bad_at[] =
	    "{\"id\":\"D-1\",\"at\":\"2026-01-01\","
	    "\"stage\":\"qualification\"}\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-01\"}\n"
	    "\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-02\"}\n"
	    "{\"id\":\"D-3\",\"at\":\"2026-01-02\"}\n"
	    "{\"id\":\"D-1\",\"at\":\"soon\"}\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-03\"}\n";
	/* broken JSON on line 4, holding D-1 */
	static const char bad_json[] =
	    "{\"id\":\"D-2\",\"at\":\"2026-01-01\"}\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-02\"}\n"
	    "{\"id\":\"D-2\",\"at\":\"2026-01-03\"}\n"
	    "{\"id\":\"D-1\",\"at\":\n"
	    "{\"id\":\"D-1\",\"at\":\"2026-01-03\"}\n";
	/* an unknown stage on line 3, the id escaped */
	static const char bad_stage[] =
	    "{\"id\":\"D-2\",\"at\":\"2026-01-01\"}\n"
	    "{\"id\":\"D-1\",\"at\":\"2026-01-01\"}\n"
	    "{\"id\":\"D\\u002d1\",\"at\":\"2026-01-02\","
	    "\"stage\":\"signed\"}\n";
	/* no at on line 2 */
	static const char no_at[] =
	    "{\"id\":\"D-3\",\"at\":\"2026-01-01\"}\n"
	    "{\"id\":\"D-1\",\"stage\":\"won\"}\n";
	/* no id on line 2 */
	static const char no_id[] =
	    "{\"id\":\"D-3\",\"at\":\"2026-01-01\"}\n"
	    "{\"at\":\"2026-01-01\",\"stage\":\"won\"}\n";
	/* CSV: header is line 1, bad stage on line 4 */
	static const char bad_csv[] =
	    "id,at,stage\n"
	    "D-1,2026-01-01,qualification\n"
	    "D-2,2026-01-01,discovery\n"
	    "D-1,2026-01-02,closing\n";

	(void)state;
	read_bad(bad_at, SP_FMT_JSONL, NULL, 0, 6, "at", NULL);
	read_bad(bad_at, SP_FMT_JSONL, d1, 1, 6, "at", NULL);
	read_bad(bad_json, SP_FMT_JSONL, NULL, 0, 4, NULL, NULL);
	read_bad(bad_json, SP_FMT_JSONL, d1, 1, 4, NULL, NULL);
	read_bad(bad_stage, SP_FMT_JSONL, NULL, 0, 3, "stage",
	    "unknown stage 'signed'");
	read_bad(bad_stage, SP_FMT_JSONL, d1, 1, 3, "stage",
	    "unknown stage 'signed'");
	/* the escaped line is parsed whatever ids are asked for */
	read_bad(bad_stage, SP_FMT_JSONL, d3, 1, 3, "stage", NULL);
	read_bad(no_at, SP_FMT_JSONL, NULL, 0, 2, "at", "missing");
	read_bad(no_at, SP_FMT_JSONL, d1, 1, 2, "at", "missing");
	read_bad(no_id, SP_FMT_JSONL, NULL, 0, 2, "id", "missing");
	read_bad(bad_csv, SP_FMT_CSV, NULL, 0, 4, "stage",
	    "unknown stage 'closing'");
	read_bad(bad_csv, SP_FMT_CSV, d1, 1, 4, "stage", NULL);
}

static void
test_index_read_empty(void **state)
{
	sp_stages *st = deal_stages();
	sp_index *x = sp_index_new(&sp_kind_deal, st);
	sp_error e;
	char **h = (char **)1;

	(void)state;
	assert_int_equal(sp_index_read(x, "", 0, SP_FMT_CSV, "h", NULL, 0, &h,
	    &e), 0);
	assert_null(h);
	assert_int_equal(sp_index_read(x, "", 0, SP_FMT_JSONL, "h", NULL, 0,
	    NULL, &e), 0);
	assert_int_equal(sp_index_has(x, "D-1"), 0);
	assert_int_equal(sp_index_max_number(x), 0);
	sp_index_free(x);
	sp_stages_free(st);
}

/* ---- near-canonical field names, --probability-scale (issue 9) ---- */

static void
near(const sp_kind *k, const char *name, const char *want)
{
	const char *got = sp_entry_resembles(k, name);

	if (want == NULL && got != NULL)
		fail_msg("'%s' taken for '%s', want no match", name, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("'%s' taken for '%s', want '%s'", name,
		    got ? got : "(none)", want);
}

static void
test_resembles(void **state)
{
	(void)state;
	/* the typo, and one edit of each kind (amount: 6 letters,
	   one edit; 7 and more: two) */
	near(&sp_kind_deal, "amont", "amount");		/* removed */
	near(&sp_kind_deal, "ammount", "amount");	/* added */
	near(&sp_kind_deal, "amoumt", "amount");	/* changed */
	near(&sp_kind_deal, "amuont", "amount");	/* swapped */
	near(&sp_kind_deal, "Amount", "amount");	/* case only */
	near(&sp_kind_deal, "amnt", NULL);		/* two: too far */
	near(&sp_kind_deal, "probabilty", "probability");
	near(&sp_kind_deal, "porbabilty", "probability");	/* two */
	near(&sp_kind_deal, "close-date", "close_date");
	near(&sp_kind_deal, "closedate", "close_date");
	near(&sp_kind_deal, "CloseDate", "close_date");	/* case + '_' */
	near(&sp_kind_deal, "loss_reason", "lost_reason");
	near(&sp_kind_deal, "stgae", "stage");
	near(&sp_kind_deal, "state", "stage");		/* near: allow it */
	/* the nearest wins ("Amount" is two edits from "account" too) */
	near(&sp_kind_deal, "acount", "account");
	/* two letters: a case change only */
	near(&sp_kind_deal, "ID", "id");
	near(&sp_kind_deal, "At", "at");
	near(&sp_kind_deal, "uid", NULL);
	near(&sp_kind_deal, "tag", NULL);
	near(&sp_kind_deal, "x", NULL);
	/* four letters: one edit */
	near(&sp_kind_deal, "nmae", "name");
	near(&sp_kind_deal, "names", "name");
	near(&sp_kind_deal, "team", NULL);
	near(&sp_kind_deal, "note", NULL);
	/* five and six letters: one edit */
	near(&sp_kind_deal, "order", NULL);
	near(&sp_kind_deal, "count", "account");	/* two of seven */
	near(&sp_kind_deal, "region", NULL);
	/* canonical names are themselves, and pass-through fields pass */
	near(&sp_kind_deal, "amount", NULL);
	near(&sp_kind_deal, "at", NULL);
	near(&sp_kind_deal, "lost_stage", NULL);
	near(&sp_kind_deal, "notes", NULL);
	near(&sp_kind_deal, "region", NULL);
	near(&sp_kind_deal, "reached_stage", NULL);
	/* per kind: a lead's fields */
	near(&sp_kind_lead, "emial", "email");
	near(&sp_kind_lead, "compnay", "company");
	near(&sp_kind_lead, "campain", "campaign");
	near(&sp_kind_lead, "email", NULL);
	near(&sp_kind_lead, "reason", NULL);
	near(&sp_kind_lead, "amont", NULL);	/* not a lead field */
	near(&sp_kind_deal, "emial", NULL);
}

static void
test_check_names(void **state)
{
	sp_entry *en = sp_entry_new();
	char *allow[] = { "amont", "stgae" };
	sp_error e;

	(void)state;
	assert_non_null(en);
	sp_err_clear(&e);
	assert_int_equal(sp_entry_operand(en, "name=X", &e), 0);
	assert_int_equal(sp_entry_operand(en, "region=EMEA", &e), 0);
	assert_int_equal(sp_entry_check_names(en, &sp_kind_deal, NULL, 0, &e),
	    0);
	assert_int_equal(sp_entry_operand(en, "amont=10", &e), 0);
	assert_int_equal(sp_entry_check_names(en, &sp_kind_deal, NULL, 0, &e),
	    -1);
	assert_string_equal(e.field, "amont");
	assert_non_null(strstr(e.msg, "'amount'"));
	assert_non_null(strstr(e.msg, "--allow-field amont"));
	/* --allow-field names it: recorded as it is */
	sp_err_clear(&e);
	assert_int_equal(sp_entry_check_names(en, &sp_kind_deal, allow, 1, &e),
	    0);
	/* each name must be allowed on its own */
	assert_int_equal(sp_entry_operand(en, "stgae=won", &e), 0);
	assert_int_equal(sp_entry_check_names(en, &sp_kind_deal, allow, 1, &e),
	    -1);
	assert_string_equal(e.field, "stgae");
	sp_err_clear(&e);
	assert_int_equal(sp_entry_check_names(en, &sp_kind_deal, allow, 2, &e),
	    0);
	sp_entry_free(en);
}

static void
test_norm_probability_scale(void **state)
{
	sp_stages *st = deal_stages();
	sp_entry *en = sp_entry_new();
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	/* scale 1: HubSpot's 0.4 is recorded as 40 (a percentage) */
	en->prob_scale = 1;
	assert_int_equal(sp_entry_set(en, "probability", "0.4", 3, &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), 0);
	assert_string_equal(sp_entry_get(en, "probability"), "40");
	assert_int_equal(sp_entry_set(en, "probability", "0.125", 5, &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), 0);
	assert_string_equal(sp_entry_get(en, "probability"), "12.5");
	/* above 1: refused */
	assert_int_equal(sp_entry_set(en, "probability", "40", 2, &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), -1);
	assert_string_equal(e.field, "probability");
	assert_non_null(strstr(e.msg, "--probability-scale 1"));
	/* scale 100 (and 0, the default): 0.4 is 0.4% */
	en->prob_scale = 100;
	sp_err_clear(&e);
	assert_int_equal(sp_entry_set(en, "probability", "0.4", 3, &e), 0);
	assert_int_equal(sp_entry_normalise(en, st, NULL, &e), 0);
	assert_string_equal(sp_entry_get(en, "probability"), "0.4");
	sp_entry_free(en);
	sp_stages_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_unset),
		cmocka_unit_test(test_set_many),
		cmocka_unit_test(test_operand),
		cmocka_unit_test(test_norm_amount),
		cmocka_unit_test(test_norm_probability),
		cmocka_unit_test(test_norm_currency),
		cmocka_unit_test(test_norm_email),
		cmocka_unit_test(test_norm_times),
		cmocka_unit_test(test_norm_datefmt),
		cmocka_unit_test(test_norm_stage),
		cmocka_unit_test(test_norm_text),
		cmocka_unit_test(test_norm_blank_removed),
		cmocka_unit_test(test_norm_blank_typed_removed),
		cmocka_unit_test(test_norm_first_error),
		cmocka_unit_test(test_dup_key_deal),
		cmocka_unit_test(test_dup_key_lead),
		cmocka_unit_test(test_phone_key),
		cmocka_unit_test(test_dup_keys_more),
		cmocka_unit_test(test_index_add_state),
		cmocka_unit_test(test_index_before_epoch),
		cmocka_unit_test(test_index_dup_and_numbers),
		cmocka_unit_test(test_index_read_full),
		cmocka_unit_test(test_index_read_ids),
		cmocka_unit_test(test_index_read_ids_edges),
		cmocka_unit_test(test_index_read_bad),
		cmocka_unit_test(test_index_read_empty),
		cmocka_unit_test(test_resembles),
		cmocka_unit_test(test_check_names),
		cmocka_unit_test(test_norm_probability_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
