/*
 * fuzz_money: sp_money_parse and sp_prob_parse on any text.  A parsed amount
 * (micro-units) formats and parses back to itself, every int64 does too,
 * the printed value is within half a cent, and sums are exact.
 */
#include "fuzz.h"
#include "salespipe/field.h"

/* sp_money_format_micro(v) parses back to v; the printed (rounded) value is
 * within half a cent of it, and so are the decimal-comma forms. */
static void
check_format(int64_t v)
{
	static const sp_numfmt dc = { 1, '\0' };
	char buf[48], *p;
	int64_t w, d;
	sp_error e;

	sp_money_format_micro(v, buf);
	FUZZ_CHECK(strlen(buf) < 32);
	FUZZ_CHECK(sp_money_parse(buf, strlen(buf), &w, &e) == 0 && w == v);
	if ((p = strchr(buf, '.')) != NULL)
		*p = ',';
	FUZZ_CHECK(sp_money_parse_fmt(buf, strlen(buf), &dc, &w, &e) == 0 &&
	    w == v);
	sp_money_format_exact(sp_money_of_micro(v), buf);
	FUZZ_CHECK(strlen(buf) < sizeof(buf));
	if (sp_money_parse(buf, strlen(buf), &w, &e) == 0) {
		d = (int64_t)((sp_money)w - v < 0 ? v - (sp_money)w :
		    (sp_money)w - v);
		FUZZ_CHECK(d <= 5000);
	}
}

/* sp_money_add on exact values and the running sum agree with 128-bit
 * arithmetic (two int64 amounts never overflow it). */
static void
check_add(int64_t a, int64_t b, const char *cur, size_t curlen)
{
	sp_money x = sp_money_of_micro(a), want = sp_money_of_micro(a) +
	    sp_money_of_micro(b);
	sp_money_sum s;
	sp_error e;

	FUZZ_CHECK(sp_money_add(&x, sp_money_of_micro(b)) == 0 && x == want);
	/* the same currency twice: only a bad code fails */
	sp_money_sum_init(&s);
	if (sp_money_sum_add(&s, sp_money_of_micro(a), cur, curlen, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0' &&
		    strcmp(e.field, "currency") == 0);
		return;
	}
	FUZZ_CHECK(s.v == sp_money_of_micro(a) &&
	    strlen(s.currency) < sizeof(s.currency));
	FUZZ_CHECK(sp_money_sum_add(&s, sp_money_of_micro(b), cur, curlen, &e) ==
	    0 && s.v == want && !s.mixed);
}

/* One amount text: parses to something that formats back, or errs. */
static int
amount(const char *s, size_t n, int64_t *v)
{
	sp_error e;
	char buf[48];
	int bp;

	sp_err_clear(&e);
	if (sp_prob_parse(s, n, &bp, &e) == 0) {
		int back;
		FUZZ_CHECK(bp >= 0 && bp <= 10000);
		snprintf(buf, sizeof(buf), "%d.%02d%%", bp / 100, bp % 100);
		FUZZ_CHECK(sp_prob_parse(buf, strlen(buf), &back, &e) == 0 &&
		    back == bp);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	sp_err_clear(&e);
	if (sp_money_parse(s, n, v, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		return -1;
	}
	check_format(*v);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl, *nl2, *cur = "";
	size_t curlen = 0;
	int64_t a, b, r[2];
	char buf[32];

	if (size > 4096)
		return 0;
	/* the whole text, then "a\nb[\ncurrency]" */
	amount(s, size, &a);
	if ((nl = memchr(s, '\n', size)) != NULL) {
		size_t rest = size - (size_t)(nl + 1 - s);
		if ((nl2 = memchr(nl + 1, '\n', rest)) != NULL) {
			cur = nl2 + 1;
			/* record values hold no NUL: neither does a currency */
			curlen = strnlen(cur, rest - (size_t)(cur - (nl + 1)));
			rest = (size_t)(nl2 - (nl + 1));
		}
		if (amount(s, (size_t)(nl - s), &a) == 0 &&
		    amount(nl + 1, rest, &b) == 0)
			check_add(a, b, cur, curlen);
	}
	/* any int64: raw bytes for the extremes */
	if (size >= sizeof(r)) {
		memcpy(r, data, sizeof(r));
		check_format(r[0]);
		check_format(r[1]);
		check_add(r[0], r[1], "USD", 3);
		sp_ratio_format(r[0], r[1], buf);
		FUZZ_CHECK(strlen(buf) < sizeof(buf) && (r[1] == 0) ==
		    (buf[0] == '\0'));
		sp_count_format(r[0], buf);
	}
	return 0;
}
