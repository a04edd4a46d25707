/*
 * fuzz_hours: the business-hours calendar (sp_hours_new) and
 * sp_duration_parse on any text.  The first 12 bytes choose a span of up
 * to about three years around 2026 and a point inside it; the rest is
 * "HOURS\nDAYS\nDURATION".  A calendar that parses counts no more than the
 * span, and the counts of the two parts of the span add up to the whole;
 * a week from a Monday holds the working days' hours exactly.
 */
#include "fuzz.h"
#include "salespipe/field.h"
#include "salespipe/hours.h"

#define MON_2026_01_05 1767571200LL	/* date -u -d 2026-01-05 +%s */

static int64_t
span_of(const uint8_t *p)
{
	return (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]) % (3 * 366 * 86400LL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *hours, *days, *dur, *nl;
	int64_t t0, t1, m, whole, secs, week;
	sp_hours *h;
	sp_error e;
	int ndays, d;

	if (size < 12 || size > 4096)
		return 0;
	t0 = MON_2026_01_05 - 366 * 86400LL + span_of(data);
	t1 = t0 + span_of(data + 4);
	m = t0 + (t1 > t0 ? span_of(data + 8) % (t1 - t0 + 1) : 0);
	s = fuzz_cstr(data + 12, size - 12);
	hours = s;
	days = dur = NULL;
	if ((nl = strchr(hours, '\n')) != NULL) {
		*nl = '\0';
		days = nl + 1;
		if ((nl = strchr(days, '\n')) != NULL) {
			*nl = '\0';
			dur = nl + 1;
		}
	}
	if (dur != NULL && sp_duration_parse(dur, &secs) == 0)
		FUZZ_CHECK(secs > 0 && secs <= 100 * 366 * 86400LL);
	sp_err_clear(&e);
	h = sp_hours_new(hours, days, NULL, &e);
	if (h == NULL) {
		FUZZ_CHECK(e.msg[0] != '\0');
		free(s);
		return 0;
	}
	whole = sp_hours_between(h, t0, t1);
	FUZZ_CHECK(whole >= 0 && whole <= (t1 > t0 ? t1 - t0 : 0));
	FUZZ_CHECK(sp_hours_between(h, t0, m) + sp_hours_between(h, m, t1) ==
	    whole);
	FUZZ_CHECK(sp_hours_between(h, t1, t0) == (t1 > t0 ? 0 : whole));
	/* a week from Monday: the working days times a day's hours */
	ndays = 0;
	for (d = 0; d < 7; d++)
		if (sp_hours_between(h, MON_2026_01_05 + d * 86400LL,
		    MON_2026_01_05 + (d + 1) * 86400LL) > 0)
			ndays++;
	week = sp_hours_between(h, MON_2026_01_05, MON_2026_01_05 +
	    7 * 86400LL);
	FUZZ_CHECK(week == ndays * sp_hours_per_day(h));
	FUZZ_CHECK(sp_hours_per_day(h) > 0 && sp_hours_per_day(h) <= 86400);
	sp_hours_free(h);
	free(s);
	return 0;
}
