/*
 * field: exact parsing and one way of printing every typed value.  Money
 * never touches floating point; times are parsed by hand (strptime only
 * for --date-format) because they sit on every program's hot path.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "salespipe/field.h"

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * A decimal with an optional sign and at most `maxdec` decimals, scaled by
 * 10^maxdec.  Returns 0, -1 (not a number), -2 (too many decimals),
 * -3 (overflow).
 */
static int
decimal_parse(const char *s, size_t n, int maxdec, int64_t *out)
{
	size_t i = 0;
	int neg = 0, dec = -1, digits = 0;
	uint64_t v = 0, lim = (uint64_t)INT64_MAX + 1;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (dec >= 0 && ++dec > maxdec)
			return -2;
		digits++;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -3;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (digits == 0)
		return -1;
	for (dec = dec < 0 ? 0 : dec; dec < maxdec; dec++) {
		if (v > lim / 10)
			return -3;
		v *= 10;
	}
	if (!neg && v > (uint64_t)INT64_MAX)
		return -3;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/*
 * Write v in decimal, at least width digits (zero-padded), at p; returns
 * the end.  The formatters below print millions of values per run: this
 * is their hot path instead of snprintf.
 */
static char *
put_uint(char *p, uint64_t v, int width)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	char tmp[24];
	int n = 24, k;

	while (v >= 100) {
		n -= 2;
		memcpy(tmp + n, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, pairs + 2 * v, 2);
	} else
		tmp[--n] = (char)('0' + v);
	for (k = 24 - n; k < width; k++)
		*p++ = '0';
	memcpy(p, tmp + n, (size_t)(24 - n));
	return p + 24 - n;
}

/* "-"? digits "." two digits, from hundredths. */
static char *
put_hundredths(char *buf, int64_t h)
{
	uint64_t u = h < 0 ? 0 - (uint64_t)h : (uint64_t)h;
	char *p = buf;

	if (h < 0)
		*p++ = '-';
	p = put_uint(p, u / 100, 1);
	*p++ = '.';
	p = put_uint(p, u % 100, 2);
	*p = '\0';
	return buf;
}

int
money_parse(const char *s, size_t n, int64_t *minor, sp_error *e)
{
	char q[80];
	const char *t = s;
	size_t m = n;

	trim(&t, &m);
	switch (decimal_parse(t, m, 2, minor)) {
	case 0:
		return 0;
	case -2:
		return err_set(e, NULL, "'%s' has more than two decimals",
		    err_quote(q, sizeof(q), s, n));
	case -3:
		return err_set(e, NULL, "'%s' is out of range for an amount",
		    err_quote(q, sizeof(q), s, n));
	default:
		return err_set(e, NULL, "'%s' is not an amount",
		    err_quote(q, sizeof(q), s, n));
	}
}

char *
money_format(int64_t minor, char *buf)
{
	return put_hundredths(buf, minor);
}

int
money_add(int64_t *a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(*a, b, &r))
		return -1;
	*a = r;
	return 0;
}

void
money_sum_init(sp_money_sum *s)
{
	s->minor = 0;
	s->currency[0] = '\0';
}

static int
currency_join(sp_money_sum *s, const char *cur, size_t n, sp_error *e)
{
	char q[80];

	while (n > 0 && isspace((unsigned char)*cur)) {
		cur++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)cur[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (n >= sizeof(s->currency))
		return err_set(e, "currency", "'%s' is not a currency code",
		    err_quote(q, sizeof(q), cur, n));
	if (s->currency[0] == '\0') {
		memcpy(s->currency, cur, n);
		s->currency[n] = '\0';
		return 0;
	}
	if (strlen(s->currency) != n || strncasecmp(s->currency, cur, n) != 0)
		return err_set(e, "currency",
		    "mixed currencies in one sum: %s and %s (convert first)",
		    s->currency, err_quote(q, sizeof(q), cur, n));
	return 0;
}

int
money_sum_add(sp_money_sum *s, int64_t minor, const char *currency,
    size_t curlen, sp_error *e)
{
	if (currency != NULL && currency_join(s, currency, curlen, e) < 0)
		return -1;
	if (money_add(&s->minor, minor) < 0)
		return err_set(e, "amount", "sum of amounts overflows");
	return 0;
}

int
money_sum_merge(sp_money_sum *a, const sp_money_sum *b, sp_error *e)
{
	return money_sum_add(a, b->minor, b->currency, strlen(b->currency), e);
}

int
prob_parse(const char *s, size_t n, int *bp, sp_error *e)
{
	return prob_parse_scale(s, n, 100, bp, e);
}

/*
 * A trailing '%' says "percentage" whatever the scale: only bare numbers
 * are read as fractions under scale 1 (a HubSpot export writes 0.4 for
 * 40%).
 */
int
prob_parse_scale(const char *s, size_t n, int scale, int *bp, sp_error *e)
{
	char q[80];
	const char *t = s;
	size_t m = n;
	int64_t v;
	int pct = 0, dec;

	trim(&t, &m);
	if (m > 0 && t[m - 1] == '%') {
		m--;
		pct = 1;
	}
	dec = scale == 1 && !pct ? 4 : 2;	/* hundredths of a percent */
	if (decimal_parse(t, m, dec, &v) < 0 || v < 0 || v > 10000)
		return err_set(e, NULL, scale == 1 && !pct ?
		    "'%s' is not a probability (a fraction 0 to 1 with at most "
		    "four decimals, as --probability-scale 1 reads it)" :
		    "'%s' is not a probability (a percentage 0 to 100)",
		    err_quote(q, sizeof(q), s, n));
	*bp = (int)v;
	return 0;
}

/* Days since the epoch of a civil date (Howard Hinnant's algorithm). */
int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
month_days(int64_t y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/* n digits at s into *v; 0 or -1. */
static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
iso_parse(const char *s, size_t n, int64_t *t)
{
	int y, mo, d, hh = 0, mi = 0, ss = 0, oh, om, sign;
	size_t i;
	int64_t off = 0;

	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) < 0 ||
	    digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	i = 10;
	if (i < n && (s[i] == 'T' || s[i] == ' ')) {
		if (n < i + 6 || s[i + 3] != ':' ||
		    digits(s + i + 1, 2, &hh) < 0 ||
		    digits(s + i + 4, 2, &mi) < 0)
			return -1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (n < i + 3 || digits(s + i + 1, 2, &ss) < 0)
				return -1;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				size_t j = ++i;
				while (i < n && s[i] >= '0' && s[i] <= '9')
					i++;
				if (i == j)
					return -1;
			}
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return -1;
		if (ss == 60)
			ss = 59;	/* a leap second is the end of :59 */
		if (i < n && s[i] == 'Z') {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			sign = s[i] == '-' ? -1 : 1;
			i++;
			if (n - i == 2 && digits(s + i, 2, &oh) == 0)
				om = 0;
			else if (n - i == 4 && digits(s + i, 2, &oh) == 0 &&
			    digits(s + i + 2, 2, &om) == 0)
				;
			else if (n - i == 5 && s[i + 2] == ':' &&
			    digits(s + i, 2, &oh) == 0 &&
			    digits(s + i + 3, 2, &om) == 0)
				;
			else
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
			i = n;
		}
	}
	if (i != n)
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	    off;
	/* an offset must not carry a time out of the years 0000-9999 */
	if (*t < days_from_civil(0, 1, 1) * 86400 ||
	    *t >= days_from_civil(10000, 1, 1) * 86400)
		return -1;
	return 0;
}

int
time_parse(const char *s, size_t n, const char *datefmt, int64_t *t,
    sp_error *e)
{
	char q[80], buf[128];
	const char *u = s, *end;
	size_t m = n;
	struct tm tm;
	int64_t year;

	trim(&u, &m);
	if (datefmt == NULL) {
		if (iso_parse(u, m, t) == 0)
			return 0;
		return err_set(e, NULL, "'%s' is not a date or time "
		    "(ISO 8601, or give --date-format)",
		    err_quote(q, sizeof(q), s, n));
	}
	if (m >= sizeof(buf))
		goto bad;
	memcpy(buf, u, m);
	buf[m] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	end = strptime(buf, datefmt, &tm);
	if (end == NULL || *end != '\0')
		goto bad;
	year = (int64_t)tm.tm_year + 1900;
	if (year < 0 || year > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > month_days(year, tm.tm_mon + 1) ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		goto bad;
	*t = days_from_civil(year, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
bad:
	return err_set(e, NULL, "'%s' does not match --date-format '%s'",
	    err_quote(q, sizeof(q), s, n), datefmt);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

char *
time_format(int64_t t, char *buf)
{
	int64_t days = floordiv(t, 86400), y, sec = t - days * 86400;
	int m, d;

	char *p = buf;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)y, m, d, (int)(sec / 3600),
		    (int)(sec / 60 % 60), (int)(sec % 60));
		return buf;
	}
	p = put_uint(p, (uint64_t)y, 4);
	*p++ = '-';
	p = put_uint(p, (uint64_t)m, 2);
	*p++ = '-';
	p = put_uint(p, (uint64_t)d, 2);
	*p++ = 'T';
	p = put_uint(p, (uint64_t)(sec / 3600), 2);
	*p++ = ':';
	p = put_uint(p, (uint64_t)(sec / 60 % 60), 2);
	*p++ = ':';
	p = put_uint(p, (uint64_t)(sec % 60), 2);
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

char *
date_format(int64_t t, char *buf)
{
	int64_t y;
	int m, d;

	civil_from_days(floordiv(t, 86400), &y, &m, &d);
	snprintf(buf, 16, "%04lld-%02d-%02d", (long long)y % 100000, m, d);
	return buf;
}

int
unit_parse(const char *s)
{
	if (strcmp(s, "days") == 0 || strcmp(s, "day") == 0)
		return SP_UNIT_DAYS;
	if (strcmp(s, "hours") == 0 || strcmp(s, "hour") == 0)
		return SP_UNIT_HOURS;
	if (strcmp(s, "minutes") == 0 || strcmp(s, "minute") == 0)
		return SP_UNIT_MINUTES;
	return -1;
}

char *
duration_format(double seconds, int unit, char *buf)
{
	static const double per[] = { 86400.0, 3600.0, 60.0 };
	double hundredths = round(seconds / per[unit] * 100.0);

	if (hundredths == 0)
		hundredths = 0;	/* no "-0.00" */
	if (fabs(hundredths) < 9e15)
		return put_hundredths(buf, (int64_t)hundredths);
	snprintf(buf, 32, "%.2f", hundredths / 100.0);
	return buf;
}

char *
ratio_format(int64_t num, int64_t den, char *buf)
{
	__int128 n = num, d = den, q, r;
	int neg;
	unsigned long long ip, fp;

	if (den == 0) {
		buf[0] = '\0';
		return buf;
	}
	neg = (n < 0) != (d < 0);
	if (n < 0)
		n = -n;
	if (d < 0)
		d = -d;
	/* round(n * 10^6 / d), half away from zero, in exact integers */
	q = (n * 1000000 * 2 + d) / (2 * d);
	r = q;
	ip = (unsigned long long)(r / 1000000);
	fp = (unsigned long long)(r % 1000000);
	snprintf(buf, 32, "%s%llu.%06llu", neg && q != 0 ? "-" : "", ip, fp);
	return buf;
}

char *
count_format(int64_t n, char *buf)
{
	char *p = buf;

	if (n < 0)
		*p++ = '-';
	p = put_uint(p, n < 0 ? 0 - (uint64_t)n : (uint64_t)n, 1);
	*p = '\0';
	return buf;
}
