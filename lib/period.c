/*
 * period: one parser for every way a user names a span of time, and the
 * buckets of --every, so that all programs agree on what "2026-Q4" or
 * "last-quarter" means and label buckets the same way.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "salespipe/field.h"
#include "salespipe/period.h"

#define DAY 86400

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
month_start(int64_t y, int m)
{
	while (m > 12) {
		m -= 12;
		y++;
	}
	while (m < 1) {
		m += 12;
		y--;
	}
	return sp_days_from_civil(y, m, 1) * DAY;
}

/* Monday of ISO week 1 of year y, in days. */
static int64_t
iso_week1(int64_t y)
{
	int64_t d4 = sp_days_from_civil(y, 1, 4);

	return d4 - ((d4 % 7 + 7 + 3) % 7);	/* weekday, Monday 0 */
}

static void
set(sp_period *p, int64_t start, int64_t end, const char *label)
{
	p->start = start;
	p->end = end;
	snprintf(p->label, sizeof(p->label), "%s", label);
}

/* The fiscal year (named by the year it ends in) holding day t. */
static int64_t
fiscal_year(int64_t t, int fs, int *month_in_year)
{
	int64_t y;
	int m, d;

	sp_civil_from_days(floordiv(t, DAY), &y, &m, &d);
	if (fs == 1) {
		*month_in_year = m - 1;
		return y;
	}
	*month_in_year = (m - fs + 12) % 12;
	return m >= fs ? y + 1 : y;
}

static int64_t
fy_start(int64_t fy, int fs)
{
	return fs == 1 ? month_start(fy, 1) : month_start(fy - 1, fs);
}

static void
year_period(int64_t y, int fs, int fiscal, sp_period *p)
{
	char l[48];

	if (fiscal) {
		snprintf(l, sizeof(l), "FY%04lld", (long long)y);
		set(p, fy_start(y, fs), fy_start(y + 1, fs), l);
	} else {
		snprintf(l, sizeof(l), "%04lld", (long long)y);
		set(p, month_start(y, 1), month_start(y + 1, 1), l);
	}
}

static void
quarter_period(int64_t y, int q, int fs, int fiscal, sp_period *p)
{
	char l[48];
	int64_t s;

	if (fiscal) {
		snprintf(l, sizeof(l), "FY%04lld-Q%d", (long long)y, q);
		s = fs == 1 ? month_start(y, 1 + 3 * (q - 1)) :
		    month_start(y - 1, fs + 3 * (q - 1));
	} else {
		snprintf(l, sizeof(l), "%04lld-Q%d", (long long)y, q);
		s = month_start(y, 1 + 3 * (q - 1));
	}
	set(p, s, 0, l);
	{
		int64_t yy;
		int m, d;
		sp_civil_from_days(floordiv(s, DAY), &yy, &m, &d);
		p->end = month_start(yy, m + 3);
	}
}

static void
month_period(int64_t y, int m, sp_period *p)
{
	char l[48];

	snprintf(l, sizeof(l), "%04lld-%02d", (long long)y, m);
	set(p, month_start(y, m), month_start(y, m + 1), l);
}

static void
week_period(int64_t y, int w, sp_period *p)
{
	char l[48];
	int64_t s = (iso_week1(y) + 7 * (w - 1)) * DAY;

	snprintf(l, sizeof(l), "%04lld-W%02d", (long long)y, w);
	set(p, s, s + 7 * DAY, l);
}

static void
day_period(int64_t days, sp_period *p)
{
	char l[16];

	set(p, days * DAY, (days + 1) * DAY, sp_date_format(days * DAY, l));
}

void
sp_period_bucket(int64_t t, int every, const sp_calendar *cal, sp_period *p)
{
	int64_t days = floordiv(t, DAY), y, thu;
	int m, d, mi, fs = cal->fiscal_start < 1 ? 1 : cal->fiscal_start;

	switch (every) {
	case SP_EVERY_DAY:
		day_period(days, p);
		break;
	case SP_EVERY_WEEK:
		thu = days - ((days % 7 + 7 + 3) % 7) + 3;
		sp_civil_from_days(thu, &y, &m, &d);
		week_period(y, (int)((thu - sp_days_from_civil(y, 1, 1)) / 7 + 1),
		    p);
		break;
	case SP_EVERY_MONTH:
		sp_civil_from_days(days, &y, &m, &d);
		month_period(y, m, p);
		break;
	case SP_EVERY_QUARTER:
		y = fiscal_year(t, fs, &mi);
		if (fs == 1)
			quarter_period(y, mi / 3 + 1, fs, 0, p);
		else
			quarter_period(y, mi / 3 + 1, fs, 1, p);
		break;
	case SP_EVERY_YEAR:
	default:
		y = fiscal_year(t, fs, &mi);
		year_period(y, fs, fs != 1, p);
		break;
	}
}

int
sp_every_parse(const char *s)
{
	static const char *const names[] = { "day", "week", "month",
	    "quarter", "year" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return SP_EVERY_DAY + i;
	return -1;
}

/* All-digit run of exactly n chars. */
static int
num(const char *s, size_t n, int64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
relative(const char *s, const sp_calendar *cal, sp_period *p)
{
	int64_t now = cal->now, days = floordiv(now, DAY), y;
	int fs = cal->fiscal_start < 1 ? 1 : cal->fiscal_start, m, d, mi;
	int fiscal = fs != 1, shift = 0;
	const char *unit;
	sp_period cur;

	if (strcmp(s, "today") == 0) {
		day_period(days, p);
		return 0;
	}
	if (strcmp(s, "yesterday") == 0) {
		day_period(days - 1, p);
		return 0;
	}
	if (strcmp(s, "ytd") == 0 || strcmp(s, "qtd") == 0 ||
	    strcmp(s, "mtd") == 0) {
		sp_period_bucket(now, s[0] == 'y' ? SP_EVERY_YEAR : s[0] == 'q' ?
		    SP_EVERY_QUARTER : SP_EVERY_MONTH, cal, &cur);
		p->start = cur.start;
		p->end = (days + 1) * DAY;
		snprintf(p->label, sizeof(p->label), "%.40s", s);
		return 0;
	}
	if (strncmp(s, "this-", 5) == 0)
		unit = s + 5;
	else if (strncmp(s, "last-", 5) == 0) {
		unit = s + 5;
		shift = -1;
	} else if (strncmp(s, "next-", 5) == 0) {
		unit = s + 5;
		shift = 1;
	} else
		return -1;
	if (strcmp(unit, "week") == 0) {
		sp_period_bucket((days + 7 * shift) * DAY, SP_EVERY_WEEK, cal, p);
	} else if (strcmp(unit, "month") == 0) {
		sp_civil_from_days(days, &y, &m, &d);
		m += shift;
		if (m < 1) {
			m += 12;
			y--;
		} else if (m > 12) {
			m -= 12;
			y++;
		}
		month_period(y, m, p);
	} else if (strcmp(unit, "quarter") == 0) {
		y = fiscal_year(now, fs, &mi);
		mi = mi / 3 + shift;
		if (mi < 0) {
			mi += 4;
			y--;
		} else if (mi > 3) {
			mi -= 4;
			y++;
		}
		quarter_period(y, mi + 1, fs, fiscal, p);
	} else if (strcmp(unit, "year") == 0) {
		y = fiscal_year(now, fs, &mi);
		year_period(y + shift, fs, fiscal, p);
	} else
		return -1;
	return 0;
}

/* One period expression without "..". */
static int
single(const char *s, size_t n, const sp_calendar *cal, sp_period *p)
{
	int64_t y, a, b;
	int fs = cal->fiscal_start < 1 ? 1 : cal->fiscal_start;
	char buf[64];

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (relative(buf, cal, p) == 0)
		return 0;
	if (n >= 6 && (buf[0] == 'F' || buf[0] == 'f') &&
	    (buf[1] == 'Y' || buf[1] == 'y') && num(buf + 2, 4, &y) == 0) {
		if (n == 6) {
			year_period(y, fs, 1, p);
			return 0;
		}
		if (n == 9 && buf[6] == '-' && (buf[7] == 'Q' || buf[7] == 'q') &&
		    buf[8] >= '1' && buf[8] <= '4') {
			quarter_period(y, buf[8] - '0', fs, 1, p);
			return 0;
		}
		return -1;
	}
	if (n < 4 || num(buf, 4, &y) < 0)
		return -1;
	if (n == 4) {
		year_period(y, 1, 0, p);
		return 0;
	}
	if (buf[4] != '-')
		return -1;
	if (n == 7 && (buf[5] == 'Q' || buf[5] == 'q') && buf[6] >= '1' &&
	    buf[6] <= '4') {
		quarter_period(y, buf[6] - '0', 1, 0, p);
		return 0;
	}
	if (n == 8 && (buf[5] == 'W' || buf[5] == 'w') &&
	    num(buf + 6, 2, &a) == 0) {
		if (a < 1 || a > (iso_week1(y + 1) - iso_week1(y)) / 7)
			return -1;
		week_period(y, (int)a, p);
		return 0;
	}
	if (n == 7 && num(buf + 5, 2, &a) == 0 && a >= 1 && a <= 12) {
		month_period(y, (int)a, p);
		return 0;
	}
	if (n == 10 && buf[7] == '-' && num(buf + 5, 2, &a) == 0 &&
	    num(buf + 8, 2, &b) == 0) {
		int64_t t;
		if (sp_time_parse(buf, n, NULL, &t, NULL) < 0)
			return -1;
		day_period(floordiv(t, DAY), p);
		return 0;
	}
	return -1;
}

int
sp_period_parse(const char *s, const sp_calendar *cal, sp_period *p,
    sp_error *e)
{
	const char *dots = strstr(s, "..");
	sp_period a, b;
	char q[80];

	if (dots == NULL) {
		if (single(s, strlen(s), cal, p) == 0)
			return 0;
	} else if (single(s, (size_t)(dots - s), cal, &a) == 0 &&
	    single(dots + 2, strlen(dots + 2), cal, &b) == 0 &&
	    a.start < b.end) {
		p->start = a.start;
		p->end = b.end;
		snprintf(p->label, sizeof(p->label), "%.23s..%.22s", a.label,
		    b.label);
		return 0;
	}
	return sp_err_set(e, NULL, "'%s' is not a period (2026, 2026-Q4, "
	    "2026-11, 2026-W48, 2026-11-26, FY2027-Q1, A..B, this-month, "
	    "last-quarter, ytd, ...)", sp_err_quote(q, sizeof(q), s, strlen(s)));
}

int
sp_calendar_init(sp_calendar *cal, const char *now, int fiscal_start,
    sp_error *e)
{
	const char *src = now, *what = "--now";

	if (fiscal_start < 1 || fiscal_start > 12)
		return sp_err_set(e, NULL, "the fiscal year must start in a month "
		    "1 to 12, not %d", fiscal_start);
	cal->fiscal_start = fiscal_start;
	if (src == NULL) {
		src = getenv("SALESPIPE_NOW");
		what = "$SALESPIPE_NOW";
		if (src != NULL && src[0] == '\0')
			src = NULL;
	}
	if (src == NULL) {
		cal->now = (int64_t)time(NULL);
		return 0;
	}
	if (sp_time_parse(src, strlen(src), NULL, &cal->now, e) < 0) {
		char m[512];
		snprintf(m, sizeof(m), "%.500s", e->msg);
		return sp_err_set(e, NULL, "%s: %s", what, m);
	}
	return 0;
}
