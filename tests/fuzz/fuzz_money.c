/*
 * fuzz_money: money_parse and prob_parse on any text.  A parsed amount
 * formats and parses back to itself, every int64 does too, and money_add
 * and money_sum_add report overflow exactly when int64 addition does.
 */
#include "fuzz.h"
#include "salespipe/field.h"

/* money_format(v) parses back to v. */
static void
check_format(int64_t v)
{
	char buf[32];
	int64_t w;
	sp_error e;

	money_format(v, buf);
	FUZZ_CHECK(strlen(buf) < sizeof(buf));
	FUZZ_CHECK(money_parse(buf, strlen(buf), &w, &e) == 0 && w == v);
}

/* money_add and the running sum agree with the compiler's overflow test. */
static void
check_add(int64_t a, int64_t b, const char *cur, size_t curlen)
{
	int64_t x = a, want;
	int over = __builtin_add_overflow(a, b, &want);
	sp_money_sum s;
	sp_error e;

	if (money_add(&x, b) < 0)
		FUZZ_CHECK(over && x == a);
	else
		FUZZ_CHECK(!over && x == want);

	/* the same currency twice: only an overflow or a bad code fails */
	money_sum_init(&s);
	if (money_sum_add(&s, a, cur, curlen, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0' &&
		    strcmp(e.field, "currency") == 0);
		return;
	}
	FUZZ_CHECK(s.minor == a && strlen(s.currency) < sizeof(s.currency));
	if (money_sum_add(&s, b, cur, curlen, &e) < 0)
		FUZZ_CHECK(over && s.minor == a &&
		    strcmp(e.field, "amount") == 0);
	else
		FUZZ_CHECK(!over && s.minor == want);
}

/* One amount text: parses to something that formats back, or errs. */
static int
amount(const char *s, size_t n, int64_t *v)
{
	sp_error e;
	char buf[32];
	int bp;

	err_clear(&e);
	if (prob_parse(s, n, &bp, &e) == 0) {
		int back;
		FUZZ_CHECK(bp >= 0 && bp <= 10000);
		snprintf(buf, sizeof(buf), "%d.%02d%%", bp / 100, bp % 100);
		FUZZ_CHECK(prob_parse(buf, strlen(buf), &back, &e) == 0 &&
		    back == bp);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	err_clear(&e);
	if (money_parse(s, n, v, &e) < 0) {
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
		ratio_format(r[0], r[1], buf);
		FUZZ_CHECK(strlen(buf) < sizeof(buf) && (r[1] == 0) ==
		    (buf[0] == '\0'));
		count_format(r[0], buf);
	}
	return 0;
}
