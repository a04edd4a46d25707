/*
 * tz: time zones read from tzdata's compiled files by hand, because the C
 * library's only way in (TZ, tzset, mktime) is process-wide state set by
 * the environment, and a time read from a file must mean the same instant
 * on every machine.  A zone is its transitions (UTC instant, offset after)
 * plus the POSIX rule that continues them past the last one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "salespipe/field.h"
#include "salespipe/tz.h"

/* Offsets beyond +-26 hours are not of this planet (RFC 8536 allows
 * -89999..93599 seconds; no zone comes near). */
#define MAX_OFF (26 * 3600)
#define TZ_MAX_FILE (1 << 20)

/* A day of a POSIX rule: Jn, n or Mm.w.d. */
struct pday {
	char kind;		/* 'J', 'n' or 'M' */
	int n, m, w, d;
	int32_t time;		/* seconds after local midnight (-167h..167h) */
};

struct rule {
	int32_t std, dst;	/* seconds east of UTC */
	int has_dst;
	struct pday start, end;
};

struct sp_tz {
	char *name;
	size_t n;		/* transitions */
	int64_t *at;		/* UTC instants, ascending */
	int32_t *off;		/* offset from at[i] on */
	int32_t off0;		/* before at[0] (time type 0) */
	int has_rule;		/* the footer, after at[n - 1] */
	struct rule rule;
};

static sp_tz *
tz_alloc(const char *name)
{
	sp_tz *z = calloc(1, sizeof(*z));

	if (z == NULL || (z->name = strdup(name)) == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

void
sp_tz_free(sp_tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->off);
	free(z);
}

const char *
sp_tz_name(const sp_tz *z)
{
	return z == NULL ? "UTC" : z->name;
}

/* ---- POSIX TZ rules (RFC 8536 section 3.3) ---- */

/* A zone abbreviation: <...> or three or more letters. */
static const char *
rule_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		for (p++; isalnum((unsigned char)*p) || *p == '+' || *p == '-';
		    p++)
			;
		return *p == '>' && p - s >= 4 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]h[h[h]][:mm[:ss]] with hours <= maxh, into *v seconds. */
static const char *
rule_hms(const char *p, int maxh, int32_t *v)
{
	int sign = 1, h = 0, m = 0, s = 0, k;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (k = 0; k < 3 && isdigit((unsigned char)*p); k++)
		h = h * 10 + (*p++ - '0');
	if (k == 0 || h > maxh)
		return NULL;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]))
			return NULL;
		m = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':') {
			if (!isdigit((unsigned char)p[1]) ||
			    !isdigit((unsigned char)p[2]))
				return NULL;
			s = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
		}
		if (m > 59 || s > 59)
			return NULL;
	}
	*v = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *
rule_num(const char *p, int lo, int hi, int *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 3 && isdigit((unsigned char)*p); k++)
		*v = *v * 10 + (*p++ - '0');
	return k > 0 && *v >= lo && *v <= hi ? p : NULL;
}

static const char *
rule_day(const char *p, struct pday *d)
{
	d->time = 2 * 3600;
	if (*p == 'J') {
		d->kind = 'J';
		p = rule_num(p + 1, 1, 365, &d->n);
	} else if (*p == 'M') {
		d->kind = 'M';
		if ((p = rule_num(p + 1, 1, 12, &d->m)) == NULL || *p != '.' ||
		    (p = rule_num(p + 1, 1, 5, &d->w)) == NULL || *p != '.' ||
		    (p = rule_num(p + 1, 0, 6, &d->d)) == NULL)
			return NULL;
	} else {
		d->kind = 'n';
		p = rule_num(p, 0, 365, &d->n);
	}
	if (p != NULL && *p == '/')
		p = rule_hms(p + 1, 167, &d->time);
	return p;
}

static int
rule_parse(const char *s, struct rule *r)
{
	const char *p = s;
	int32_t v;

	memset(r, 0, sizeof(*r));
	if ((p = rule_name(p)) == NULL || (p = rule_hms(p, 24, &v)) == NULL)
		return -1;
	r->std = -v;		/* POSIX counts west of Greenwich */
	if (*p == '\0')
		return 0;
	if ((p = rule_name(p)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = rule_hms(p, 24, &v)) == NULL)
			return -1;
		r->dst = -v;
	}
	if (*p == '\0') {
		/* POSIX leaves it to the implementation; glibc's default */
		rule_day("M3.2.0", &r->start);
		rule_day("M11.1.0", &r->end);
		return 0;
	}
	if (*p != ',' || (p = rule_day(p + 1, &r->start)) == NULL ||
	    *p != ',' || (p = rule_day(p + 1, &r->end)) == NULL || *p != '\0')
		return -1;
	return 0;
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since the epoch of rule day d in year y. */
static int64_t
rule_date(const struct pday *d, int64_t y)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };
	int64_t jan1 = sp_days_from_civil(y, 1, 1), first;
	int wd, day, last;

	switch (d->kind) {
	case 'J':		/* 1..365, February 29th never counted */
		return jan1 + d->n - 1 + (leap(y) && d->n >= 60);
	case 'n':		/* 0..365, February 29th counted */
		return jan1 + d->n;
	default:
		first = sp_days_from_civil(y, d->m, 1);
		wd = (int)(((first + 4) % 7 + 7) % 7);	/* 1970-01-01: Thu */
		day = 1 + (d->d - wd + 7) % 7 + 7 * (d->w - 1);
		last = md[d->m - 1] + (d->m == 2 && leap(y));
		while (day > last)
			day -= 7;
		return first + day - 1;
	}
}

/*
 * The two changes of year y, in time order (a stable order for equal
 * instants: the change into daylight time first, as the rule lists it).
 */
static void
rule_year(const struct rule *r, int64_t y, int64_t at[2], int32_t off[2])
{
	int64_t s = rule_date(&r->start, y) * 86400 + r->start.time - r->std;
	int64_t e = rule_date(&r->end, y) * 86400 + r->end.time - r->dst;

	if (e < s) {
		at[0] = e, off[0] = r->std;
		at[1] = s, off[1] = r->dst;
	} else {
		at[0] = s, off[0] = r->dst;
		at[1] = e, off[1] = r->std;
	}
}

static int64_t
year_of(int64_t t)
{
	int64_t d = t / 86400 - (t % 86400 < 0), y;
	int m, dd;

	sp_civil_from_days(d, &y, &m, &dd);
	return y;
}

/* The rule's changes in (lo, hi], appended to at/off (room for max). */
static size_t
rule_window(const struct rule *r, int64_t lo, int64_t hi, int64_t *at,
    int32_t *off, size_t k, size_t max)
{
	int64_t y, ya[2];
	int32_t yo[2];
	int i;

	if (!r->has_dst)
		return k;
	for (y = year_of(lo) - 1; y <= year_of(hi) + 1; y++) {
		rule_year(r, y, ya, yo);
		for (i = 0; i < 2; i++)
			if (ya[i] > lo && ya[i] <= hi && k < max) {
				at[k] = ya[i];
				off[k++] = yo[i];
			}
	}
	return k;
}

static int32_t
rule_offset(const struct rule *r, int64_t t)
{
	int64_t y, ya[2];
	int32_t yo[2], o = r->std;
	int i;

	if (!r->has_dst)
		return r->std;
	/* the last change at or before t, among three years of changes */
	for (y = year_of(t) - 1; y <= year_of(t) + 1; y++) {
		rule_year(r, y, ya, yo);
		for (i = 0; i < 2; i++)
			if (ya[i] <= t)
				o = yo[i];
	}
	return o;
}

static int
offset_ok(int64_t o)
{
	return o > -MAX_OFF && o < MAX_OFF;
}

sp_tz *
sp_tz_posix(const char *s, sp_error *e)
{
	sp_tz *z;
	struct rule r;

	if (rule_parse(s, &r) < 0 || !offset_ok(r.std) || !offset_ok(r.dst)) {
		char q[80];
		sp_err_set(e, NULL, "'%s' is not a POSIX TZ rule",
		    sp_err_quote(q, sizeof(q), s, strlen(s)));
		return NULL;
	}
	if ((z = tz_alloc(s)) == NULL) {
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	z->rule = r;
	z->has_rule = 1;
	z->off0 = r.std;
	return z;
}

/* ---- TZif files (RFC 8536) ---- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzhead {
	uint32_t isut, isstd, leap, time, type, chars;
};

/* The header at p (44 bytes); -1 unless it is one. */
static int
head(const unsigned char *p, size_t len, struct tzhead *h, int *version)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	*version = p[4] == 0 ? 1 : p[4] - '0';
	if (*version < 1 || *version > 9)
		return -1;
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	if (h->time > 1000000 || h->type > 256 || h->chars > 100000 ||
	    h->leap > 100000 || (h->isut != 0 && h->isut != h->type) ||
	    (h->isstd != 0 && h->isstd != h->type))
		return -1;
	return 0;
}

/* Bytes of the data block after a header, with times of tsize bytes. */
static size_t
block_size(const struct tzhead *h, size_t tsize)
{
	return h->time * tsize + h->time + h->type * 6 + h->chars +
	    h->leap * (tsize + 4) + h->isstd + h->isut;
}

static sp_tz *
bad_file(sp_tz *z, sp_error *e, const char *name, const char *why)
{
	char q[80];

	sp_tz_free(z);
	sp_err_set(e, NULL, "'%s': %s", sp_err_quote(q, sizeof(q), name,
	    strlen(name)), why);
	return NULL;
}

sp_tz *
sp_tz_parse(const char *name, const unsigned char *buf, size_t len,
    sp_error *e)
{
	struct tzhead h;
	const unsigned char *p = buf, *types, *idx;
	size_t tsize = 4, i, size;
	int version;
	sp_tz *z;

	if (head(p, len, &h, &version) < 0)
		return bad_file(NULL, e, name, "not a TZif file");
	if (version >= 2) {
		/* skip the 32-bit data: the 64-bit block follows it */
		size = block_size(&h, 4);
		if (len - 44 < size)
			return bad_file(NULL, e, name, "truncated TZif file");
		p += 44 + size;
		len -= 44 + size;
		if (head(p, len, &h, &version) < 0)
			return bad_file(NULL, e, name, "bad TZif header");
		tsize = 8;
	}
	size = block_size(&h, tsize);
	if (len - 44 < size)
		return bad_file(NULL, e, name, "truncated TZif file");
	if (h.leap > 0)
		return bad_file(NULL, e, name, "a zone with leap seconds "
		    "(right/...) is not supported");
	if (h.type == 0)
		return bad_file(NULL, e, name, "TZif file without time types");
	p += 44;
	len -= 44;
	idx = p + h.time * tsize;
	types = idx + h.time;
	if ((z = tz_alloc(name)) == NULL)
		return bad_file(NULL, e, name, "out of memory");
	if (h.time > 0 && ((z->at = malloc(h.time * sizeof(*z->at))) == NULL ||
	    (z->off = malloc(h.time * sizeof(*z->off))) == NULL))
		return bad_file(z, e, name, "out of memory");
	for (i = 0; i < h.type; i++) {
		int32_t o = (int32_t)be32(types + 6 * i);
		if (!offset_ok(o) || types[6 * i + 4] > 1 ||
		    types[6 * i + 5] >= h.chars)
			return bad_file(z, e, name, "bad time type in TZif "
			    "file");
	}
	z->off0 = (int32_t)be32(types);
	for (i = 0; i < h.time; i++) {
		int64_t t = tsize == 8 ? be64(p + 8 * i) :
		    (int64_t)(int32_t)be32(p + 4 * i);
		if (idx[i] >= h.type || (i > 0 && t <= z->at[i - 1]))
			return bad_file(z, e, name, "bad transition in TZif "
			    "file");
		z->at[i] = t;
		z->off[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	z->n = h.time;
	if (version >= 2) {
		/* the footer: "\n" POSIX-TZ-string "\n" */
		const unsigned char *f = p + size, *nl;
		size_t fl = len - size;
		char rule[256];

		if (fl < 2 || f[0] != '\n' ||
		    (nl = memchr(f + 1, '\n', fl - 1)) == NULL ||
		    (size_t)(nl - f - 1) >= sizeof(rule))
			return bad_file(z, e, name, "bad TZif footer");
		memcpy(rule, f + 1, (size_t)(nl - f - 1));
		rule[nl - f - 1] = '\0';
		if (rule[0] != '\0') {
			if (rule_parse(rule, &z->rule) < 0 ||
			    !offset_ok(z->rule.std) || !offset_ok(z->rule.dst))
				return bad_file(z, e, name, "bad POSIX TZ "
				    "rule in TZif footer");
			z->has_rule = 1;
		}
	}
	return z;
}

/* A name that can only name a file below SP_TZ_DIR. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255 || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "..") != NULL || strstr(s, "//") != NULL ||
	    strcmp(s, "localtime") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("/_-+.", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

sp_tz *
sp_tz_load(const char *name, sp_error *e)
{
	char path[sizeof(SP_TZ_DIR) + 260], q[80];
	unsigned char *buf;
	struct stat st;
	ssize_t got;
	size_t len = 0;
	sp_tz *z;
	int fd;

	if (strcmp(name, "UTC") == 0) {
		/* built in: the default must not need tzdata */
		if ((z = tz_alloc(name)) == NULL)
			sp_err_set(e, NULL, "out of memory");
		return z;
	}
	sp_err_quote(q, sizeof(q), name, strlen(name));
	if (!name_ok(name)) {
		sp_err_set(e, NULL, "'%s' is not a time zone name (an IANA name "
		    "such as Europe/Paris)", q);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", SP_TZ_DIR, name);
	if ((fd = open(path, O_RDONLY)) < 0) {
		if (errno == ENOENT)
			sp_err_set(e, NULL, "'%s' is not a time zone (no file %s; "
			    "an IANA name such as Europe/Paris, from the "
			    "tzdata package)", q, path);
		else
			sp_err_set(e, NULL, "'%s': %s: %s", q, path,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZ_MAX_FILE) {
		close(fd);
		sp_err_set(e, NULL, "'%s' is not a time zone (%s is not a zone "
		    "file)", q, path);
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	while (len < (size_t)st.st_size && (got = read(fd, buf + len,
	    (size_t)st.st_size - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sp_err_set(e, NULL, "'%s': %s: %s", q, path,
			    strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		len += (size_t)got;
	}
	close(fd);
	z = sp_tz_parse(name, buf, len, e);
	free(buf);
	if (z == NULL) {
		char m[sizeof(e->msg)];
		snprintf(m, sizeof(m), "%s", e->msg);
		sp_err_set(e, NULL, "%s (%s)", m, path);
	}
	return z;
}

/* ---- offsets and local times ---- */

/* The index of the first transition of z after t (z->n: none). */
static size_t
first_after(const sp_tz *z, int64_t t)
{
	size_t lo = 0, hi = z->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Times beyond a million years are taken at that bound: the calendar
 * arithmetic of the rules stays far from int64 overflow. */
#define T_BOUND (INT64_C(1) << 45)

static int64_t
clamp(int64_t t)
{
	return t < -T_BOUND ? -T_BOUND : t > T_BOUND ? T_BOUND : t;
}

int32_t
sp_tz_offset(const sp_tz *z, int64_t t)
{
	if (z == NULL)
		return 0;
	t = clamp(t);
	if (z->n == 0)
		return z->has_rule ? rule_offset(&z->rule, t) : z->off0;
	if (t < z->at[0])
		return z->off0;
	if (t >= z->at[z->n - 1] && z->has_rule)
		return rule_offset(&z->rule, t);
	return z->off[first_after(z, t) - 1];
}

#define WINDOW_MAX 64

/* The changes of z in (lo, hi] into at/off; returns how many. */
static size_t
window(const sp_tz *z, int64_t lo, int64_t hi, int64_t *at, int32_t *off)
{
	size_t k = 0, i;
	int64_t from = lo;

	for (i = first_after(z, lo); i < z->n && z->at[i] <= hi &&
	    k < WINDOW_MAX; i++) {
		at[k] = z->at[i];
		off[k++] = z->off[i];
	}
	if (z->has_rule) {
		if (z->n > 0 && z->at[z->n - 1] > from)
			from = z->at[z->n - 1];
		if (from < hi)
			k = rule_window(&z->rule, from, hi, at, off, k,
			    WINDOW_MAX);
	}
	return k;
}

int64_t
sp_tz_from_local(const sp_tz *z, int64_t local, int *how)
{
	int64_t at[WINDOW_MAX], lo, hi;
	int64_t start, end, u;
	int32_t off[WINDOW_MAX], o, prev;
	size_t k, i;
	int found = 0;
	int64_t best = 0;

	if (how != NULL)
		*how = SP_TZ_UNIQUE;
	if (z == NULL)
		return local;
	if (local != clamp(local))
		return local;	/* a million years away: no zone there */
	lo = local - MAX_OFF;
	hi = local + MAX_OFF;
	/* every instant local can be lies in [lo, hi]: offsets < 26 h */
	prev = sp_tz_offset(z, lo);
	k = window(z, lo, hi, at, off);
	/* the periods of one offset, in time order; the first that holds
	 * local is the earlier instant of an overlap */
	for (i = 0; i <= k; i++) {
		o = i == 0 ? prev : off[i - 1];
		start = i == 0 ? INT64_MIN : at[i - 1];
		end = i == k ? INT64_MAX : at[i];
		u = local - o;
		if (u >= start && u < end) {
			if (found++ == 0)
				best = u;
		}
	}
	if (found > 0) {
		if (how != NULL && found > 1)
			*how = SP_TZ_OVERLAP;
		return best;
	}
	/* a gap: read with the offset before the change */
	for (i = 0; i < k; i++) {
		o = i == 0 ? prev : off[i - 1];
		if (at[i] + o <= local && local < at[i] + off[i]) {
			if (how != NULL)
				*how = SP_TZ_GAP;
			return local - o;
		}
	}
	return local - prev;	/* not reached with sane data */
}
