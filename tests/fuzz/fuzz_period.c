/*
 * fuzz_period: sp_period_parse and sp_every_parse on any text, against a
 * calendar taken from the first six bytes (fiscal start month, year of
 * "now" and a second in that year).  A period is never empty, and the
 * label of each --every bucket holding its start parses back to exactly
 * that bucket.
 */
#include "fuzz.h"
#include "salespipe/field.h"
#include "salespipe/period.h"

/* The bucket of t, for each --every, names itself. */
static void
check_buckets(int64_t t, const sp_calendar *cal)
{
	sp_period b, q;
	sp_error e;
	int every;

	for (every = SP_EVERY_DAY; every <= SP_EVERY_YEAR; every++) {
		sp_period_bucket(t, every, cal, &b);
		FUZZ_CHECK(b.start < b.end && sp_period_contains(&b, t));
		FUZZ_CHECK(memchr(b.label, '\0', sizeof(b.label)) != NULL);
		FUZZ_CHECK(sp_period_parse(b.label, cal, &q, &e) == 0);
		FUZZ_CHECK(q.start == b.start && q.end == b.end);
		FUZZ_CHECK(strcmp(q.label, b.label) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_calendar cal;
	sp_period p;
	sp_error e;
	char *s;
	int64_t lo, hi, year;

	if (size < 6 || size > 4096)
		return 0;
	/* now: about any second of the years 1 to 9997 */
	cal.fiscal_start = 1 + data[0] % 12;
	year = 1 + (data[1] << 8 | data[2]) % 9997;
	cal.now = sp_days_from_civil(year, 1, 1) * 86400 +
	    (int64_t)((uint32_t)data[3] << 16 | data[4] << 8 | data[5]) *
	    2 % (365 * 86400);
	s = fuzz_cstr(data + 6, size - 6);

	(void)sp_every_parse(s);
	sp_err_clear(&e);
	if (sp_period_parse(s, &cal, &p, &e) == 0) {
		FUZZ_CHECK(p.start < p.end);
		FUZZ_CHECK(memchr(p.label, '\0', sizeof(p.label)) != NULL &&
		    p.label[0] != '\0');
		/* labels have four-digit years: check where they do */
		lo = sp_days_from_civil(1, 1, 1) * 86400;
		hi = sp_days_from_civil(9998, 1, 1) * 86400;
		if (p.start >= lo && p.start < hi)
			check_buckets(p.start, &cal);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	/* and "now" itself */
	check_buckets(cal.now, &cal);
	free(s);
	return 0;
}
