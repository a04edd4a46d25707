/*
 * hours: the business-hours calendar (include/salespipe/hours.h).  A day
 * at a time: on each local day of the span that is a working day and no
 * holiday, each range's two wall-clock ends become instants through the
 * zone (so a range keeps its wall-clock hours across daylight saving)
 * and the part of the span between them counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/field.h"
#include "salespipe/hours.h"

#define MAX_RANGES 24

struct sp_hours {
	int32_t from[MAX_RANGES], to[MAX_RANGES];	/* seconds of the day */
	int nr;
	unsigned char day[7];	/* mon = 0 */
	const sp_tz *tz;
	int64_t *hol;		/* local days off, sorted */
	size_t nhol, holcap;
};

static const char dname[7][4] = { "mon", "tue", "wed", "thu", "fri", "sat",
	"sun" };

/* "HH:MM" at *s (00:00 to 24:00) as seconds; advances *s; -1 if not. */
static int32_t
clock_time(const char **s)
{
	const char *p = *s;
	int h, m;

	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] != ':' || p[3] < '0' || p[3] > '9' || p[4] < '0' ||
	    p[4] > '9')
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*s = p + 5;
	return h * 3600 + m * 60;
}

static int
parse_hours(sp_hours *h, const char *spec, sp_error *e)
{
	const char *p = spec;
	int32_t a, b;

	for (;;) {
		if ((a = clock_time(&p)) < 0 || *p++ != '-' ||
		    (b = clock_time(&p)) < 0)
			return sp_err_set(e, NULL, "'%s' is not working hours "
			    "(HH:MM-HH:MM, ranges joined by commas)", spec);
		if (b <= a)
			return sp_err_set(e, NULL, "'%s': a range of working "
			    "hours ends after it starts (24:00 is midnight at "
			    "the end of the day)", spec);
		if (h->nr > 0 && a < h->to[h->nr - 1])
			return sp_err_set(e, NULL, "'%s': the ranges of "
			    "working hours go in order and do not overlap",
			    spec);
		if (h->nr == MAX_RANGES)
			return sp_err_set(e, NULL, "'%s': more than %d ranges "
			    "of working hours", spec, MAX_RANGES);
		h->from[h->nr] = a;
		h->to[h->nr++] = b;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return sp_err_set(e, NULL, "'%s' is not working hours "
			    "(HH:MM-HH:MM, ranges joined by commas)", spec);
	}
}

static int
day_index(const char *p)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strncmp(p, dname[i], 3) == 0)
			return i;
	return -1;
}

static int
parse_days(sp_hours *h, const char *spec, sp_error *e)
{
	const char *p = spec;
	int a, b;

	for (;;) {
		if ((a = day_index(p)) < 0)
			goto bad;
		p += 3;
		b = a;
		if (*p == '-') {
			if ((b = day_index(p + 1)) < 0)
				goto bad;
			p += 4;
		}
		for (;;) {	/* a range may wrap round the week */
			h->day[a] = 1;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	return sp_err_set(e, NULL, "'%s' is not days of the week (mon, tue, "
	    "wed, thu, fri, sat, sun; lists and ranges: mon-fri, "
	    "mon,wed,fri)", spec);
}

sp_hours *
sp_hours_new(const char *hours, const char *days, const sp_tz *tz,
    sp_error *e)
{
	sp_hours *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	h->tz = tz;
	if (parse_hours(h, hours != NULL ? hours : "09:00-17:00", e) < 0 ||
	    parse_days(h, days != NULL ? days : "mon-fri", e) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

void
sp_hours_free(sp_hours *h)
{
	if (h == NULL)
		return;
	free(h->hol);
	free(h);
}

/* Whether local day d is a holiday (h->hol sorted). */
static int
holiday(const sp_hours *h, int64_t d)
{
	size_t lo = 0, hi = h->nhol, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->hol[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nhol && h->hol[lo] == d;
}

int
sp_hours_add_holiday(sp_hours *h, int64_t day, sp_error *e)
{
	size_t i;

	if (holiday(h, day))
		return 0;
	if (h->nhol == h->holcap) {
		size_t n = h->holcap ? 2 * h->holcap : 16;
		int64_t *v = realloc(h->hol, n * sizeof(*v));
		if (v == NULL)
			return sp_err_set(e, NULL, "out of memory");
		h->hol = v;
		h->holcap = n;
	}
	for (i = h->nhol; i > 0 && h->hol[i - 1] > day; i--)
		h->hol[i] = h->hol[i - 1];
	h->hol[i] = day;
	h->nhol++;
	return 0;
}

/* floor(a / b), b > 0 */
static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

struct holidays_read {
	sp_hours *h;
	const char *datefmt;
};

static int
holiday_row(void *ctx, sp_reader *rd, const sp_rec *r, const int *slot,
    sp_error *e)
{
	struct holidays_read *x = ctx;
	int64_t t;

	(void)rd;
	if (!sp_rec_has(r, slot[0]))
		return sp_err_set(e, "date", "missing: a record of the holidays "
		    "file is a day off");
	if (sp_time_parse_tz(sp_rec_get(r, slot[0]), sp_rec_len(r, slot[0]),
	    x->datefmt, x->h->tz, &t, e) < 0) {
		snprintf(e->field, sizeof(e->field), "date");
		return -1;
	}
	t += sp_tz_offset(x->h->tz, t);
	return sp_hours_add_holiday(x->h, floordiv(t, 86400), e);
}

int
sp_hours_read_holidays(sp_hours *h, const char *path, const sp_read_opts *ro,
    const char *datefmt, sp_error *e)
{
	static const char *const names[] = { "date" };
	struct holidays_read x = { h, datefmt };
	int slot[1];

	return sp_optfile_each(path, ro, names, 1, 1, slot, holiday_row, &x,
	    e);
}

int64_t
sp_hours_per_day(const sp_hours *h)
{
	int64_t s = 0;
	int i;

	for (i = 0; i < h->nr; i++)
		s += h->to[i] - h->from[i];
	return s;
}

int64_t
sp_hours_between(const sp_hours *h, int64_t t0, int64_t t1)
{
	int64_t d, d1, sum = 0, a, b;
	int i;

	if (t1 <= t0)
		return 0;
	/* the local days the span touches (one more each side: a range's
	   instants may fall on the other side of a day's boundary) */
	d = floordiv(t0 + sp_tz_offset(h->tz, t0), 86400) - 1;
	d1 = floordiv(t1 + sp_tz_offset(h->tz, t1), 86400) + 1;
	for (; d <= d1; d++) {
		if (!h->day[(int)(((d + 3) % 7 + 7) % 7)] || holiday(h, d))
			continue;
		for (i = 0; i < h->nr; i++) {
			a = sp_tz_from_local(h->tz, d * 86400 + h->from[i],
			    NULL);
			b = sp_tz_from_local(h->tz, d * 86400 + h->to[i],
			    NULL);
			if (a < t0)
				a = t0;
			if (b > t1)
				b = t1;
			if (b > a)
				sum += b - a;
		}
	}
	return sum;
}
