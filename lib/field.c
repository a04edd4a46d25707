/*
 * field: exact parsing and one way of printing every typed value.  Money
 * never touches floating point; times are parsed by hand (strptime only
 * for --date-format) because they sit on every program's hot path, and
 * never through TZ or the locale (lib/tz.c reads --tz zones itself).
 */
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "salespipe/field.h"
#include "salespipe/util.h"

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

/* The two digits of v (0 to 99). */
static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * The digits of an amount (sign and blanks already gone) in the style nf:
 * 0 and *v (micro-units, unsigned), -1 not a number, -2 a non-zero digit
 * beyond six decimals, -3 out of range, -4 a separator the style does not
 * allow (or misplaced).
 */
static int
amount_digits(const char *s, size_t n, const sp_numfmt *nf, uint64_t *v)
{
	char mark = nf->decimal_comma ? ',' : '.';
	char sep = nf->thousands ? nf->thousands :
	    nf->decimal_comma ? '.' : '\0';
	uint64_t u = 0, lim = (uint64_t)INT64_MAX + 1;
	size_t i;
	int dec = -1, digits = 0, group = -1, extra = 0;

	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == mark && dec < 0) {
			if (group >= 0 && group != 3)
				return -4;
			dec = 0;
			continue;
		}
		if (sep != '\0' && ch == sep && dec < 0) {
			/* 1-3 digits first, then groups of exactly three */
			if (digits == 0 || (group < 0 && digits > 3) ||
			    (group >= 0 && group != 3))
				return -4;
			group = 0;
			continue;
		}
		if (ch < '0' || ch > '9')
			return ch == ',' || ch == '.' || ch == ' ' ||
			    ch == '\'' ? -4 : -1;
		digits++;
		if (dec >= 0 && ++dec > 6) {
			extra |= ch != '0';
			continue;
		}
		if (group >= 0 && dec < 0)
			group++;
		if (u > (lim - (uint64_t)(ch - '0')) / 10)
			return -3;
		u = u * 10 + (uint64_t)(ch - '0');
	}
	if (digits == 0)
		return -1;
	if (group >= 0 && dec < 0 && group != 3)
		return -4;
	if (extra)
		return -2;
	for (dec = dec < 0 ? 0 : dec; dec < 6; dec++) {
		if (u > lim / 10)
			return -3;
		u *= 10;
	}
	*v = u;
	return 0;
}

int
sp_money_parse_fmt(const char *s, size_t n, const sp_numfmt *nf,
    int64_t *micro, sp_error *e)
{
	static const sp_numfmt plain;
	char q[80];
	const char *t = s;
	size_t m = n;
	uint64_t u = 0;
	int neg = 0, rc;

	if (nf == NULL)
		nf = &plain;
	sp_trim_blanks(&t, &m);
	if (m > 0 && (*t == '-' || *t == '+')) {
		neg = *t == '-';
		t++;
		m--;
	}
	rc = m > 0 && (*t == '-' || *t == '+') ? -1 :
	    amount_digits(t, m, nf, &u);
	if (rc == 0 && !neg && u > (uint64_t)INT64_MAX)
		rc = -3;
	switch (rc) {
	case 0:
		*micro = neg ? (int64_t)(0 - u) : (int64_t)u;
		return 0;
	case -2:
		return sp_err_set(e, NULL, "'%s' has more than six decimals "
		    "(amounts are read to the millionth; beyond that only "
		    "zeros)", sp_err_quote(q, sizeof(q), s, n));
	case -3:
		return sp_err_set(e, NULL, "'%s' is out of range for an amount",
		    sp_err_quote(q, sizeof(q), s, n));
	case -4:
		if (nf->decimal_comma || nf->thousands)
			return sp_err_set(e, NULL, "'%s' is not an amount as "
			    "written with %s%s%s%c%s", sp_err_quote(q, sizeof(q),
			    s, n), nf->decimal_comma ? "--decimal-comma" : "",
			    nf->decimal_comma && nf->thousands ? " and " : "",
			    nf->thousands ? "--thousands '" : "",
			    nf->thousands ? nf->thousands : ' ',
			    nf->thousands ? "'" : "");
		return sp_err_set(e, NULL, "'%s' is not an amount (for "
		    "thousands separators give --thousands SEP, e.g. "
		    "--thousands ','; for a decimal comma --decimal-comma)",
		    sp_err_quote(q, sizeof(q), s, n));
	default:
		return sp_err_set(e, NULL, "'%s' is not an amount",
		    sp_err_quote(q, sizeof(q), s, n));
	}
}

int
sp_money_parse(const char *s, size_t n, int64_t *micro, sp_error *e)
{
	return sp_money_parse_fmt(s, n, NULL, micro, e);
}

sp_money
sp_money_div_even(sp_money num, sp_money den)
{
	int neg = (num < 0) != (den < 0);
	unsigned __int128 n = num < 0 ? -(unsigned __int128)num :
	    (unsigned __int128)num;
	unsigned __int128 d = den < 0 ? -(unsigned __int128)den :
	    (unsigned __int128)den;
	unsigned __int128 q = n / d, r = n % d;

	/* half-to-even: up when more than half, or exactly half and odd */
	if (r > d - r || (r == d - r && (q & 1)))
		q++;
	return neg ? -(sp_money)q : (sp_money)q;
}

int
sp_money_muldiv_even(sp_money a, uint64_t k, sp_money den, sp_money *q)
{
	unsigned __int128 u = a < 0 ? -(unsigned __int128)a :
	    (unsigned __int128)a;
	unsigned __int128 d = (unsigned __int128)den;
	unsigned __int128 qa, ra, qr = 0, r = 0, total;
	int bit;

	if (den <= 0)
		return -1;
	qa = u / d;
	ra = u % d;
	/* ra x k = qr x d + r, built from k's bits high to low; r < d, so
	   2r and r + ra stay below 2^128 */
	for (bit = 63; bit >= 0; bit--) {
		qr <<= 1;
		r <<= 1;
		if (r >= d) {
			r -= d;
			qr++;
		}
		if ((k >> bit) & 1) {
			r += ra;
			if (r >= d) {
				r -= d;
				qr++;
			}
		}
	}
	if (__builtin_mul_overflow(qa, (unsigned __int128)k, &total) ||
	    __builtin_add_overflow(total, qr, &total))
		return -1;
	/* half-to-even: up when more than half, or exactly half and odd */
	if (r > d - r || (r == d - r && (total & 1)))
		total++;
	if (total >> 127)
		return -1;
	*q = a < 0 ? -(sp_money)total : (sp_money)total;
	return 0;
}

/* Write u in decimal at p (at least width digits); returns the end. */
static char *
put_u128(char *p, unsigned __int128 u, int width)
{
	char tmp[48];
	int k = 48, w;

	do {
		tmp[--k] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u > 0);
	for (w = 48 - k; w < width; w++)
		*p++ = '0';
	memcpy(p, tmp + k, (size_t)(48 - k));
	return p + 48 - k;
}

char *
sp_money_format_div(sp_money v, sp_money den, char *buf)
{
	sp_money c = sp_money_div_even(v, den * (SP_MONEY_UNIT / 100));
	unsigned __int128 u = c < 0 ? -(unsigned __int128)c :
	    (unsigned __int128)c;
	char *p = buf;

	if (c < 0)
		*p++ = '-';
	p = put_u128(p, u / 100, 1);
	*p++ = '.';
	p = put_u128(p, u % 100, 2);
	*p = '\0';
	return buf;
}

char *
sp_money_format_exact(sp_money v, char *buf)
{
	return sp_money_format_div(v, 1, buf);
}

char *
sp_money_format_micro(int64_t micro, char *buf)
{
	uint64_t u = micro < 0 ? 0 - (uint64_t)micro : (uint64_t)micro;
	uint64_t f = u % SP_MICRO_UNIT;
	char *p = buf;
	int w = 6;

	if (micro < 0)
		*p++ = '-';
	p = put_uint(p, u / SP_MICRO_UNIT, 1);
	while (w > 2 && f % 10 == 0) {
		f /= 10;
		w--;
	}
	*p++ = '.';
	p = put_uint(p, f, w);
	*p = '\0';
	return buf;
}

char *
sp_money_format_cents(int64_t cents, char *buf)
{
	return put_hundredths(buf, cents);
}

char *
sp_money_format(int64_t cents, char *buf)
{
	return put_hundredths(buf, cents);
}

int
sp_money_to_cents(sp_money v, int64_t *cents)
{
	sp_money c = sp_money_div_even(v, SP_MONEY_UNIT / 100);

	if (c > INT64_MAX || c < INT64_MIN)
		return -1;
	*cents = (int64_t)c;
	return 0;
}

int
sp_money_to_micro(sp_money v, int64_t *micro)
{
	sp_money c = sp_money_div_even(v, SP_MONEY_PER_MICRO);

	if (c > INT64_MAX || c < INT64_MIN)
		return -1;
	*micro = (int64_t)c;
	return 0;
}

int
sp_money_add(sp_money *a, sp_money b)
{
	sp_money r;

	if (__builtin_add_overflow(*a, b, &r))
		return -1;
	*a = r;
	return 0;
}

int
sp_money_add_weighted(sp_money *sum, sp_money amount, int bp)
{
	sp_money w;

	if (__builtin_mul_overflow(amount, (sp_money)bp, &w))
		return -1;
	return sp_money_add(sum, w);
}

void
sp_money_sum_init(sp_money_sum *s)
{
	s->v = 0;
	s->currency[0] = '\0';
	s->mixed = 0;
}

/* 1 when cur joins s's currency (or is blank), 0 when it mixes. */
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
		return 1;
	if (n >= sizeof(s->currency))
		return sp_err_set(e, "currency", "'%s' is not a currency code",
		    sp_err_quote(q, sizeof(q), cur, n));
	if (s->currency[0] == '\0') {
		memcpy(s->currency, cur, n);
		s->currency[n] = '\0';
		return 1;
	}
	return strlen(s->currency) == n && strncasecmp(s->currency, cur,
	    n) == 0;
}

int
sp_money_sum_add(sp_money_sum *s, sp_money v, const char *currency,
    size_t curlen, sp_error *e)
{
	int k = currency != NULL ? currency_join(s, currency, curlen, e) : 1;

	if (k < 0)
		return -1;
	if (k == 0)
		s->mixed = 1;
	if (s->mixed)
		return 0;	/* a mixed sum means nothing: no overflow */
	if (sp_money_add(&s->v, v) < 0)
		return sp_err_set(e, "amount", "sum of amounts overflows "
		    "(beyond about 1.7e23 units)");
	return 0;
}

int
sp_money_sum_merge(sp_money_sum *a, const sp_money_sum *b, sp_error *e)
{
	if (b->mixed)
		a->mixed = 1;
	return sp_money_sum_add(a, b->v, b->currency, strlen(b->currency), e);
}

char *
sp_ratio_text_money(sp_money num, sp_money den, char *buf)
{
	/* n 10^9 must fit 128 unsigned bits (3.4e38) */
	const sp_money lim = SP_MONEY_UNIT * SP_MONEY_UNIT / 10;
	unsigned __int128 n, d, q;
	char *p = buf;

	if (den == 0) {
		buf[0] = '\0';
		return buf;
	}
	n = num < 0 ? -(unsigned __int128)num : (unsigned __int128)num;
	d = den < 0 ? -(unsigned __int128)den : (unsigned __int128)den;
	while (n > (unsigned __int128)lim || d > (unsigned __int128)lim) {
		n /= 10;
		d /= 10;
	}
	if (d == 0) {
		buf[0] = '\0';
		return buf;
	}
	q = n * 1000000000 / d;
	if ((num < 0) != (den < 0) && q != 0)
		*p++ = '-';
	p = put_u128(p, q / 1000000000, 1);
	*p++ = '.';
	p = put_u128(p, q % 1000000000, 9);
	*p = '\0';
	return buf;
}

int
sp_prob_parse(const char *s, size_t n, int *bp, sp_error *e)
{
	return sp_prob_parse_scale(s, n, 100, bp, e);
}

/*
 * A trailing '%' says "percentage" whatever the scale: only bare numbers
 * are read as fractions under scale 1 (a HubSpot export writes 0.4 for
 * 40%).
 */
int
sp_prob_parse_scale(const char *s, size_t n, int scale, int *bp, sp_error *e)
{
	char q[80];
	const char *t = s;
	size_t m = n;
	int64_t v;
	int pct = 0, dec;

	sp_trim_blanks(&t, &m);
	if (m > 0 && t[m - 1] == '%') {
		m--;
		pct = 1;
	}
	dec = scale == 1 && !pct ? 4 : 2;	/* hundredths of a percent */
	if (decimal_parse(t, m, dec, &v) < 0 || v < 0 || v > 10000)
		return sp_err_set(e, NULL, scale == 1 && !pct ?
		    "'%s' is not a probability (a fraction 0 to 1 with at most "
		    "four decimals, as --probability-scale 1 reads it)" :
		    "'%s' is not a probability (a percentage 0 to 100)",
		    sp_err_quote(q, sizeof(q), s, n));
	*bp = (int)v;
	return 0;
}

/* Days since the epoch of a civil date (Howard Hinnant's algorithm). */
int64_t
sp_days_from_civil(int64_t y, int m, int d)
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
sp_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	if (z >= -800000 && z <= 3000000) {
		/*
		 * The years about 0000 to 10000 (every date a time can
		 * have), in 32-bit multiplications: Neri and Schneider,
		 * "Euclidean affine functions and their application to
		 * calendar algorithms" (2022), from 1 March of the year
		 * -400 (the same days as the general way below, checked
		 * day by day over the whole range).
		 */
		uint32_t n = (uint32_t)(z + 719468 + 146097), n1 = 4 * n + 3,
		    c = n1 / 146097, n2 = n1 % 146097 / 4 * 4 + 3, ny, n3, j;
		uint64_t p2 = (uint64_t)2939745 * n2;

		ny = (uint32_t)p2 / 2939745 / 4;
		n3 = 2141 * ny + 197913;
		j = ny >= 306;
		*y = (int64_t)(100 * c + (uint32_t)(p2 >> 32) + j) - 400;
		*m = (int)(j ? (n3 >> 16) - 12 : n3 >> 16);
		*d = (int)((n3 & 0xffff) / 2141 + 1);
		return;
	}
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

/* An offset or a zone must not carry a time out of the years 0000-9999. */
static int
in_years(int64_t t)
{
	return t >= sp_days_from_civil(0, 1, 1) * 86400 &&
	    t < sp_days_from_civil(10000, 1, 1) * 86400;
}

/* What a time text says about its zone (iso_parse's *zone). */
enum { ZONE_DATE, ZONE_NAIVE, ZONE_GIVEN };

/* ISO 8601 into *t, read as UTC; *zone says whether it was a date, a
 * naive date-time or one with Z or an offset. */
static int
iso_parse(const char *s, size_t n, int64_t *t, int *zone)
{
	int y, mo, d, hh = 0, mi = 0, ss = 0, oh, om, sign;
	size_t i;
	int64_t off = 0;

	*zone = ZONE_DATE;

	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) < 0 ||
	    digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	i = 10;
	if (i < n && (s[i] == 'T' || s[i] == ' ')) {
		*zone = ZONE_NAIVE;
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
			*zone = ZONE_GIVEN;
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			*zone = ZONE_GIVEN;
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
	*t = sp_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	    off;
	return in_years(*t) ? 0 : -1;
}

/* What a --date-format holds. */
struct fmtinfo {
	int time;		/* a time-of-day conversion (%H %M %T ...) */
	int epoch;		/* %s */
	int offset;		/* %z */
	int zulu;		/* a literal 'Z' */
};

static void
fmt_scan(const char *f, struct fmtinfo *fi)
{
	memset(fi, 0, sizeof(*fi));
	for (; *f != '\0'; f++) {
		if (*f != '%') {
			fi->zulu |= *f == 'Z';
			continue;
		}
		f++;
		while (*f == 'E' || *f == 'O')
			f++;
		if (*f == '\0')
			break;
		if (strchr("HIklMSTRrcX", *f) != NULL)
			fi->time = 1;
		else if (*f == 's')
			fi->epoch = 1;
		else if (*f == 'z')
			fi->offset = 1;
	}
}

/*
 * The C locale, whatever setlocale(3) the program linking us called:
 * month names and AM/PM of a --date-format are always English.  (glibc
 * returns its static C locale object: nothing to free.)
 */
static pthread_once_t c_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* [+-]digits of %s at s into *v; the end, or NULL. */
static const char *
epoch_digits(const char *s, int64_t *v)
{
	int neg = 0, k;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	*v = 0;
	for (k = 0; isdigit((unsigned char)*s); k++, s++) {
		if (k == 12)	/* past the year 9999 */
			return NULL;
		*v = *v * 10 + (*s - '0');
	}
	if (neg)
		*v = -*v;
	return k > 0 ? s : NULL;
}

/*
 * strptime(3) in the C locale, except that %s is read here as seconds
 * since the epoch, UTC: glibc's %s goes through localtime_r, that is
 * through TZ.  Returns the end of what matched or NULL; *epoch is the
 * value of the last %s.
 */
static const char *
ptime(const char *s, const char *fmt, const struct fmtinfo *fi,
    struct tm *tm, int64_t *epoch)
{
	char seg[256];
	const char *f = fmt, *q, *r;

	pthread_once(&c_once, c_locale_init);
	if (c_locale == (locale_t)0)
		return NULL;
	if (!fi->epoch)
		return strptime_l(s, fmt, tm, c_locale);
	for (;;) {
		/* q: the next %s (or %Es, %Os), r: its 's' */
		for (q = f, r = f; *q != '\0'; q = r + 1) {
			if (*q != '%') {
				r = q;
				continue;
			}
			for (r = q + 1; *r == 'E' || *r == 'O'; r++)
				;
			if (*r == 's' || *r == '\0')
				break;
		}
		if ((size_t)(q - f) >= sizeof(seg))
			return NULL;
		if (q > f) {
			memcpy(seg, f, (size_t)(q - f));
			seg[q - f] = '\0';
			if ((s = strptime_l(s, seg, tm, c_locale)) == NULL)
				return NULL;
		}
		if (*q == '\0')
			return s;
		if (*r == '\0' || (s = epoch_digits(s, epoch)) == NULL)
			return NULL;
		f = r + 1;
	}
}

/*
 * The form most exports write, "YYYY-MM-DDTHH:MM:SSZ", read straight: 1
 * with *t set (what iso_parse gives it), 0 for anything else, which the
 * general way then reads or refuses.
 */
static int
iso_utc(const char *s, size_t n, int64_t *t)
{
	static const unsigned char pos[14] = { 0, 1, 2, 3, 5, 6, 8, 9, 11,
	    12, 14, 15, 17, 18 };
	unsigned d[14], i;
	int y, mo, dd, hh, mi, ss;

	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return 0;
	for (i = 0; i < 14; i++)
		if ((d[i] = (unsigned)((unsigned char)s[pos[i]] - '0')) > 9)
			return 0;
	y = (int)(d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]);
	mo = (int)(d[4] * 10 + d[5]);
	dd = (int)(d[6] * 10 + d[7]);
	hh = (int)(d[8] * 10 + d[9]);
	mi = (int)(d[10] * 10 + d[11]);
	ss = (int)(d[12] * 10 + d[13]);
	if (mo < 1 || mo > 12 || dd < 1 || dd > month_days(y, mo) ||
	    hh > 23 || mi > 59 || ss > 60)
		return 0;
	if (ss == 60)
		ss = 59;	/* a leap second is the end of :59 */
	*t = sp_days_from_civil(y, mo, dd) * 86400 + hh * 3600 + mi * 60 + ss;
	return in_years(*t);
}

/*
 * Thirteen digits: milliseconds since the epoch, as HubSpot's API and
 * warehouse exports write times (2001-09-09 to 2286-11-20; no ISO form
 * is all digits).  The seconds, the milliseconds dropped: 1 with *t set,
 * else 0.
 */
static int
epoch_ms(const char *s, size_t n, int64_t *t)
{
	int64_t v = 0;
	size_t i;

	if (n != 13)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*t = v / 1000;
	return 1;
}

int
sp_time_parse_tz(const char *s, size_t n, const char *datefmt, const sp_tz *tz,
    int64_t *t, sp_error *e)
{
	char q[80], buf[128];
	const char *u = s, *end;
	size_t m = n;
	struct tm tm;
	struct fmtinfo fi;
	int64_t year, v, epoch = 0;
	int zone;

	if (datefmt == NULL && iso_utc(s, n, t))
		return 0;
	sp_trim_blanks(&u, &m);
	if (datefmt == NULL) {
		if (epoch_ms(u, m, t))
			return 0;
		if (iso_parse(u, m, &v, &zone) == 0) {
			if (zone == ZONE_NAIVE && tz != NULL)
				v = sp_tz_from_local(tz, v, NULL);
			if (in_years(v)) {
				*t = v;
				return 0;
			}
		}
		return sp_err_set(e, NULL, "'%s' is not a date or time "
		    "(ISO 8601, or give --date-format)",
		    sp_err_quote(q, sizeof(q), s, n));
	}
	if (m >= sizeof(buf))
		goto bad;
	memcpy(buf, u, m);
	buf[m] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	fmt_scan(datefmt, &fi);
	end = ptime(buf, datefmt, &fi, &tm, &epoch);
	if (end == NULL || *end != '\0')
		goto bad;
	if (fi.epoch) {
		/* an instant: the other conversions only have to match */
		if (!in_years(epoch))
			goto bad;
		*t = epoch;
		return 0;
	}
	year = (int64_t)tm.tm_year + 1900;
	if (year < 0 || year > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > month_days(year, tm.tm_mon + 1) ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		goto bad;
	if (tm.tm_sec == 60)
		tm.tm_sec = 59;	/* a leap second is the end of :59 */
	v = sp_days_from_civil(year, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	if (fi.offset) {
		if (tm.tm_gmtoff <= -86400 || tm.tm_gmtoff >= 86400)
			goto bad;
		v -= tm.tm_gmtoff;
	} else if (fi.time && !fi.zulu && tz != NULL) {
		v = sp_tz_from_local(tz, v, NULL);
	}
	if (!in_years(v))
		goto bad;
	*t = v;
	return 0;
bad:
	return sp_err_set(e, NULL, "'%s' does not match --date-format '%s'",
	    sp_err_quote(q, sizeof(q), s, n), datefmt);
}

int
sp_time_parse(const char *s, size_t n, const char *datefmt, int64_t *t,
    sp_error *e)
{
	return sp_time_parse_tz(s, n, datefmt, NULL, t, e);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

char *
sp_time_format(int64_t t, char *buf)
{
	int64_t days = floordiv(t, 86400), y, sec = t - days * 86400;
	int m, d;

	char *p = buf;

	sp_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)y, m, d, (int)(sec / 3600),
		    (int)(sec / 60 % 60), (int)(sec % 60));
		return buf;
	}
	p = put2(p, (int)(y / 100));
	p = put2(p, (int)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (int)(sec / 3600));
	*p++ = ':';
	p = put2(p, (int)(sec / 60 % 60));
	*p++ = ':';
	p = put2(p, (int)(sec % 60));
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

char *
sp_date_format(int64_t t, char *buf)
{
	int64_t y;
	int m, d;

	sp_civil_from_days(floordiv(t, 86400), &y, &m, &d);
	snprintf(buf, 16, "%04lld-%02d-%02d", (long long)y % 100000, m, d);
	return buf;
}

int
sp_unit_parse(const char *s)
{
	if (strcmp(s, "days") == 0 || strcmp(s, "day") == 0)
		return SP_UNIT_DAYS;
	if (strcmp(s, "hours") == 0 || strcmp(s, "hour") == 0)
		return SP_UNIT_HOURS;
	if (strcmp(s, "minutes") == 0 || strcmp(s, "minute") == 0)
		return SP_UNIT_MINUTES;
	return -1;
}

const char *
sp_unit_name(int unit)
{
	static const char *const name[] = { "days", "hours", "minutes" };

	return name[unit];
}

char *
sp_duration_format(double seconds, int unit, char *buf)
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

int
sp_duration_parse(const char *s, int64_t *secs)
{
	int64_t n = 0, per;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 100 * 366 * 86400LL)
			return -1;
	}
	switch (*p) {
	case 's': per = 1; break;
	case 'm': per = 60; break;
	case 'h': per = 3600; break;
	case 'd': per = 86400; break;
	case 'w': per = 7 * 86400; break;
	default: return -1;
	}
	if (p[1] != '\0' || n == 0 || n * per > 100 * 366 * 86400LL)
		return -1;
	*secs = n * per;
	return 0;
}

char *
sp_ratio_format(int64_t num, int64_t den, char *buf)
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
sp_ratio_text(int64_t num, int64_t den, char *buf)
{
	__int128 n = num, d = den, q;
	int neg;

	if (den == 0) {
		buf[0] = '\0';
		return buf;
	}
	neg = (n < 0) != (d < 0);
	if (n < 0)
		n = -n;
	if (d < 0)
		d = -d;
	q = n * 1000000000 / d;	/* truncated: |num| < 2^63, so no overflow */
	snprintf(buf, 32, "%s%llu.%09llu", neg && q != 0 ? "-" : "",
	    (unsigned long long)(q / 1000000000),
	    (unsigned long long)(q % 1000000000));
	return buf;
}

char *
sp_count_format(int64_t n, char *buf)
{
	char *p = buf;

	if (n < 0)
		*p++ = '-';
	p = put_uint(p, n < 0 ? 0 - (uint64_t)n : (uint64_t)n, 1);
	*p = '\0';
	return buf;
}
