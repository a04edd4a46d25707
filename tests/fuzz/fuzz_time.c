/*
 * fuzz_time: sp_time_parse (ISO 8601, no --date-format) on any text.  A
 * parsed time prints with sp_time_format and parses back to itself, a date
 * prints back as itself, and sp_days_from_civil and sp_civil_from_days are
 * inverses over a wide range of days.
 */
#include <ctype.h>

#include "fuzz.h"
#include "salespipe/field.h"

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* Day z and its civil date agree both ways, and z + 1 is the next day. */
static void
check_days(int64_t z)
{
	int64_t y, y2;
	int m, d, m2, d2;

	sp_civil_from_days(z, &y, &m, &d);
	FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= mdays(y, m));
	FUZZ_CHECK(sp_days_from_civil(y, m, d) == z);
	sp_civil_from_days(z + 1, &y2, &m2, &d2);
	if (d < mdays(y, m))
		FUZZ_CHECK(y2 == y && m2 == m && d2 == d + 1);
	else if (m < 12)
		FUZZ_CHECK(y2 == y && m2 == m + 1 && d2 == 1);
	else
		FUZZ_CHECK(y2 == y + 1 && m2 == 1 && d2 == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *u = s;
	size_t n = size;
	int64_t t, back, lo, hi, z;
	char buf[32], day[16];
	sp_error e;

	if (size > 4096)
		return 0;
	/* times are refused outside the years 0000-9999: what prints back */
	lo = sp_days_from_civil(0, 1, 1) * 86400;
	hi = sp_days_from_civil(10000, 1, 1) * 86400;
	sp_err_clear(&e);
	if (sp_time_parse(s, size, NULL, &t, &e) == 0) {
		FUZZ_CHECK(t >= lo && t < hi);
		sp_time_format(t, buf);
		FUZZ_CHECK(sp_time_parse(buf, strlen(buf), NULL, &back, &e) == 0 &&
		    back == t);
		/* a bare date is midnight UTC and prints back as itself */
		while (n > 0 && isspace((unsigned char)*u)) {
			u++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)u[n - 1]))
			n--;
		if (n == 10) {
			FUZZ_CHECK(t % 86400 == 0);
			FUZZ_CHECK(strncmp(sp_date_format(t, day), u, 10) == 0);
		}
	} else
		FUZZ_CHECK(e.msg[0] != '\0');

	/* days: any 8 bytes, kept to +-2^40 days (about 3e9 years) */
	if (size >= 8) {
		memcpy(&z, data, sizeof(z));
		z %= (int64_t)1 << 40;
		check_days(z);
		check_days(-z);
	}
	return 0;
}
