/*
 * Unit tests of tz (include/salespipe/tz.h) and of sp_time_parse_tz: zones
 * read from tzdata's files, their clock changes, the POSIX rules of the
 * footers, the gap and overlap rules, and times that never depend on TZ.
 *
 * The expected instants were computed independently of lib/tz.c:
 *   - unique local times with GNU date(1), e.g.
 *	TZ=America/New_York date -d '2026-03-08 03:00' +%s
 *   - times in a gap or an overlap (date(1) refuses or guesses) with
 *     Python 3.11's zoneinfo, fold=0 (PEP 495: the offset before the
 *     change, the rule of RFC 9557 and java.time), e.g.
 *	int(datetime(2026,3,8,2,30, tzinfo=ZoneInfo('America/New_York'),
 *	    fold=0).timestamp())
 *   - UTC instants with date -u -d 2026-03-08T07:00:00Z +%s.
 * While writing lib/tz.c it was also compared with zoneinfo on 680,000
 * instants per zone (offsets and fold=0 local times, 1900-2400) for
 * New_York, London, Paris, Dublin, Sydney, Lord_Howe, Chatham, Santiago,
 * Sao_Paulo, Casablanca, Troll, Nuuk, Jerusalem, Gaza, Havana, Moscow,
 * Apia, Tokyo, Kolkata and UTC, and the footers alone from 2025: no
 * difference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "salespipe/field.h"
#include "salespipe/tz.h"

static sp_tz *
load(const char *name)
{
	sp_error e;
	sp_tz *z;

	sp_err_clear(&e);
	if ((z = sp_tz_load(name, &e)) == NULL)
		fail_msg("sp_tz_load(%s): %s (is tzdata installed? make deps)",
		    name, e.msg);
	return z;
}

/* local is the wall clock read as UTC: date -u -d 'Y-M-DTh:m:sZ' +%s. */
static void
local_is(const sp_tz *z, int64_t local, int64_t want, int want_how)
{
	int how = -1;
	int64_t got = sp_tz_from_local(z, local, &how);

	if (got != want || how != want_how)
		fail_msg("%s: local %lld = %lld (how %d), want %lld (how %d)",
		    sp_tz_name(z), (long long)local, (long long)got, how,
		    (long long)want, want_how);
}

/* Local wall time y-m-d h:mi:s as seconds, by sp_days_from_civil. */
static int64_t
wall(int y, int m, int d, int h, int mi, int s)
{
	return sp_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void
test_new_york_2026(void **state)
{
	sp_tz *z = load("America/New_York");

	(void)state;
	/* EST -> EDT at 2026-03-08T07:00:00Z = 1772953200 (date -u) */
	assert_int_equal(sp_tz_offset(z, 1772953199), -5 * 3600);
	assert_int_equal(sp_tz_offset(z, 1772953200), -4 * 3600);
	/* EDT -> EST at 2026-11-01T06:00:00Z = 1793512800 (date -u) */
	assert_int_equal(sp_tz_offset(z, 1793512799), -4 * 3600);
	assert_int_equal(sp_tz_offset(z, 1793512800), -5 * 3600);

	/* date: 01:59:59 -> 1772953199, 03:00 -> 1772953200 */
	local_is(z, wall(2026, 3, 8, 1, 59, 59), 1772953199, SP_TZ_UNIQUE);
	local_is(z, wall(2026, 3, 8, 3, 0, 0), 1772953200, SP_TZ_UNIQUE);
	/* the gap 02:00-02:59:59, zoneinfo fold=0: read as EST */
	local_is(z, wall(2026, 3, 8, 2, 0, 0), 1772953200, SP_TZ_GAP);
	local_is(z, wall(2026, 3, 8, 2, 30, 0), 1772955000, SP_TZ_GAP);
	local_is(z, wall(2026, 3, 8, 2, 59, 59), 1772956799, SP_TZ_GAP);
	/* date: 00:59:59 -> 1793509199, 02:00 -> 1793516400 */
	local_is(z, wall(2026, 11, 1, 0, 59, 59), 1793509199, SP_TZ_UNIQUE);
	local_is(z, wall(2026, 11, 1, 2, 0, 0), 1793516400, SP_TZ_UNIQUE);
	/* the overlap 01:00-01:59:59, zoneinfo fold=0: the EDT instant
	 * (fold=1 would be 1793512800, 1793514600) */
	local_is(z, wall(2026, 11, 1, 1, 0, 0), 1793509200, SP_TZ_OVERLAP);
	local_is(z, wall(2026, 11, 1, 1, 30, 0), 1793511000, SP_TZ_OVERLAP);
	local_is(z, wall(2026, 11, 1, 1, 59, 59), 1793512799, SP_TZ_OVERLAP);
	sp_tz_free(z);
}

static void
test_new_york_past_and_future(void **state)
{
	sp_tz *z = load("America/New_York");

	(void)state;
	/* 1960: TZ=America/New_York date -d '1960-04-24 03:00' +%s */
	local_is(z, wall(1960, 4, 24, 3, 0, 0), -305744400, SP_TZ_UNIQUE);
	local_is(z, wall(1960, 4, 24, 2, 30, 0), -305742600, SP_TZ_GAP);
	/* 2100, past the table: the footer EST5EDT,M3.2.0,M11.1.0;
	 * date: 2100-03-14 01:59:59 -> 4108690799, 03:00 -> 4108690800 */
	local_is(z, wall(2100, 3, 14, 1, 59, 59), 4108690799, SP_TZ_UNIQUE);
	local_is(z, wall(2100, 3, 14, 3, 0, 0), 4108690800, SP_TZ_UNIQUE);
	local_is(z, wall(2100, 3, 14, 2, 30, 0), 4108692600, SP_TZ_GAP);
	assert_int_equal(sp_tz_offset(z, 4108690799), -5 * 3600);
	assert_int_equal(sp_tz_offset(z, 4108690800), -4 * 3600);
	/* 2399-11-07: date 00:59:59 -> 13564731599; zoneinfo fold=0 01:30
	 * -> 13564733400 (fold=1: 13564737000) */
	local_is(z, wall(2399, 11, 7, 0, 59, 59), 13564731599, SP_TZ_UNIQUE);
	local_is(z, wall(2399, 11, 7, 1, 30, 0), 13564733400, SP_TZ_OVERLAP);
	sp_tz_free(z);
}

static void
test_london(void **state)
{
	sp_tz *z = load("Europe/London");

	(void)state;
	/* GMT -> BST at 2026-03-29T01:00:00Z = 1774746000 (date -u) */
	assert_int_equal(sp_tz_offset(z, 1774745999), 0);
	assert_int_equal(sp_tz_offset(z, 1774746000), 3600);
	/* BST -> GMT at 2026-10-25T01:00:00Z = 1792890000 (date -u) */
	assert_int_equal(sp_tz_offset(z, 1792889999), 3600);
	assert_int_equal(sp_tz_offset(z, 1792890000), 0);
	/* zoneinfo fold=0: gap 01:30 -> 01:30Z (= 02:30 BST) */
	local_is(z, wall(2026, 3, 29, 1, 30, 0), 1774747800, SP_TZ_GAP);
	/* overlap 01:30 -> 00:30Z (BST; fold=1 would be 1792891800) */
	local_is(z, wall(2026, 10, 25, 1, 30, 0), 1792888200, SP_TZ_OVERLAP);
	local_is(z, wall(2026, 10, 25, 2, 0, 0), 1792893600, SP_TZ_UNIQUE);
	/* British Standard Time, +01:00 all year 1968-1971:
	 * TZ=Europe/London date -d '1970-01-01 00:00' +%s = -3600 */
	assert_int_equal(sp_tz_offset(z, 0), 3600);
	local_is(z, wall(1970, 1, 1, 0, 0, 0), -3600, SP_TZ_UNIQUE);
	sp_tz_free(z);
}

static void
test_other_zones(void **state)
{
	sp_tz *z;

	(void)state;
	/* Dublin's footer has a negative DST (IST-1GMT0,M10.5.0,M3.5.0/1):
	 * TZ=Europe/Dublin date -d '2026-07-01 12:00' +%s, and January */
	z = load("Europe/Dublin");
	local_is(z, wall(2026, 7, 1, 12, 0, 0), 1782903600, SP_TZ_UNIQUE);
	local_is(z, wall(2026, 1, 15, 12, 0, 0), 1768478400, SP_TZ_UNIQUE);
	sp_tz_free(z);
	/* southern hemisphere, zoneinfo fold=0: Sydney's 2026-04-05 02:30
	 * is repeated (AEDT first), 2026-10-04 02:30 skipped */
	z = load("Australia/Sydney");
	local_is(z, wall(2026, 4, 5, 2, 30, 0), 1775316600, SP_TZ_OVERLAP);
	local_is(z, wall(2026, 10, 4, 2, 30, 0), 1791045000, SP_TZ_GAP);
	sp_tz_free(z);
	/* a half-hour zone without DST: 10:00 IST is 04:30Z */
	z = load("Asia/Kolkata");
	local_is(z, wall(2026, 11, 26, 10, 0, 0), 1795667400, SP_TZ_UNIQUE);
	sp_tz_free(z);
	/* UTC is built in, and NULL is UTC */
	z = load("UTC");
	local_is(z, 1795687200, 1795687200, SP_TZ_UNIQUE);
	assert_int_equal(sp_tz_offset(z, 1795687200), 0);
	assert_string_equal(sp_tz_name(z), "UTC");
	sp_tz_free(z);
	local_is(NULL, 1795687200, 1795687200, SP_TZ_UNIQUE);
	assert_string_equal(sp_tz_name(NULL), "UTC");
}

/* The footer alone gives what the table gives, where both speak. */
static void
test_posix_rule_matches_table(void **state)
{
	static const struct {
		const char *zone, *rule;
	} c[] = {
		{ "America/New_York", "EST5EDT,M3.2.0,M11.1.0" },
		{ "Europe/London", "GMT0BST,M3.5.0/1,M10.5.0" },
		{ "Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3" },
		{ "Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3" },
		{ "Europe/Dublin", "IST-1GMT0,M10.5.0,M3.5.0/1" },
		{ "America/Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24" },
	};
	sp_error e;
	size_t i;
	int64_t t, from = 1767225600;	/* date -u -d 2026-01-01 +%s */

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		sp_tz *z = load(c[i].zone), *r;
		sp_err_clear(&e);
		r = sp_tz_posix(c[i].rule, &e);
		assert_non_null(r);
		/* every 37 minutes for ten years */
		for (t = from; t < from + 10 * 365 * 86400LL; t += 37 * 60) {
			if (sp_tz_offset(z, t) != sp_tz_offset(r, t))
				fail_msg("%s vs %s at %lld", c[i].zone,
				    c[i].rule, (long long)t);
			if (sp_tz_from_local(z, t, NULL) !=
			    sp_tz_from_local(r, t, NULL))
				fail_msg("%s vs %s: local %lld", c[i].zone,
				    c[i].rule, (long long)t);
		}
		sp_tz_free(z);
		sp_tz_free(r);
	}
}

static void
test_posix_rule_forms(void **state)
{
	sp_error e;
	sp_tz *z;

	(void)state;
	/* Jn counts no February 29th: J60 is March 1st even in 2028; n
	 * counts from 0 with it: 59 is February 29th in 2028.  Worked by
	 * hand: DST (UTC-2) from J60 02:00 local (05:00Z) to day 300
	 * 02:00 local (04:00Z); 2028-03-01 = day 20514 since 1970, day
	 * 300 of 2028 (0-based, leap) = October 27th. */
	z = sp_tz_posix("AAA3BBB,J60,300", &e);
	assert_non_null(z);
	assert_int_equal(sp_tz_offset(z, wall(2028, 3, 1, 4, 59, 59)), -3 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2028, 3, 1, 5, 0, 0)), -2 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2028, 10, 27, 3, 59, 59)),
	    -2 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2028, 10, 27, 4, 0, 0)),
	    -3 * 3600);
	sp_tz_free(z);
	z = sp_tz_posix("AAA3BBB,59,300", &e);
	assert_non_null(z);
	assert_int_equal(sp_tz_offset(z, wall(2028, 2, 29, 5, 0, 0)), -2 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2028, 2, 29, 4, 59, 59)),
	    -3 * 3600);
	sp_tz_free(z);
	/* DST all year (RFC 8536 3.3.1): EST5EDT,0/0,J365/25 is always
	 * -04:00 */
	z = sp_tz_posix("EST5EDT,0/0,J365/25", &e);
	assert_non_null(z);
	assert_int_equal(sp_tz_offset(z, 0), -4 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2026, 1, 1, 4, 0, 0)), -4 * 3600);
	assert_int_equal(sp_tz_offset(z, wall(2026, 7, 1, 0, 0, 0)), -4 * 3600);
	local_is(z, wall(2026, 1, 1, 0, 0, 0), wall(2026, 1, 1, 4, 0, 0),
	    SP_TZ_UNIQUE);
	sp_tz_free(z);
	/* negative rule time (Nuuk: M3.5.0/-1) and quoted names */
	z = sp_tz_posix("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &e);
	assert_non_null(z);
	sp_tz_free(z);
	/* not rules */
	assert_null(sp_tz_posix("", &e));
	assert_null(sp_tz_posix("EST", &e));
	assert_null(sp_tz_posix("E5", &e));
	assert_null(sp_tz_posix("EST5EDT,M3.2.0", &e));
	assert_null(sp_tz_posix("EST5EDT,M13.2.0,M11.1.0", &e));
	assert_null(sp_tz_posix("EST5EDT,M3.6.0,M11.1.0", &e));
	assert_null(sp_tz_posix("EST5EDT,J0,J365", &e));
	assert_null(sp_tz_posix("EST99", &e));
	assert_null(sp_tz_posix("EST5EDT,M3.2.0/168,M11.1.0", &e));
	assert_null(sp_tz_posix("EST5 ", &e));
	assert_true(e.msg[0] != '\0');
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "/etc/localtime", "../../etc/passwd", "Europe/../UTC",
		"America/..", "Europe//Paris", "Europe/Paris/", "localtime",
		"Europe/Paris\n", "Europe Paris", "Mars/Olympus_Mons",
		"America", "Europe/paris",
	};
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_err_clear(&e);
		if (sp_tz_load(bad[i], &e) != NULL)
			fail_msg("sp_tz_load('%s') accepted", bad[i]);
		if (strstr(e.msg, "not a time zone") == NULL)
			fail_msg("sp_tz_load('%s'): %s", bad[i], e.msg);
	}
	sp_err_clear(&e);
	assert_null(sp_tz_load("Mars/Olympus_Mons", &e));
	assert_non_null(strstr(e.msg, SP_TZ_DIR "/Mars/Olympus_Mons"));
}

static size_t
be(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	    p[3];
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = malloc(1 << 20);

	assert_non_null(fp);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

/* Every truncation of a real file is refused, none crashes. */
static void
test_truncated_files(void **state)
{
	sp_error e;
	size_t len, n;
	unsigned char *buf = slurp(SP_TZ_DIR "/America/New_York", &len);
	sp_tz *z;

	(void)state;
	assert_true(len > 1000);
	for (n = 0; n < len; n++) {
		unsigned char *cut = malloc(n + 1);
		memcpy(cut, buf, n);	/* exact size: ASan sees overreads */
		sp_err_clear(&e);
		z = sp_tz_parse("cut", cut, n, &e);
		if (z != NULL)
			fail_msg("a file cut at %zu of %zu was accepted", n,
			    len);
		assert_true(e.msg[0] != '\0');
		free(cut);
	}
	z = sp_tz_parse("whole", buf, len, &e);
	assert_non_null(z);
	sp_tz_free(z);
	/* not TZif at all, and a leap-second zone */
	assert_null(sp_tz_parse("x", (const unsigned char *)"hello", 5, &e));
	/* leapcnt = 1 in the 64-bit header, after the 32-bit block */
	{
		size_t v1 = be(buf + 32) * 5 + be(buf + 36) * 6 +
		    be(buf + 40) + be(buf + 28) * 8 + be(buf + 24) +
		    be(buf + 20);
		buf[44 + v1 + 31] = 1;
	}
	sp_err_clear(&e);
	assert_null(sp_tz_parse("leap", buf, len, &e));
	assert_non_null(strstr(e.msg, "leap seconds"));
	free(buf);
}

/* A version 1 file (32-bit times, no footer), built by hand: one
 * transition at 1000000 from type 0 (+01:00) to type 1 (+02:00). */
static void
test_version1_file(void **state)
{
	unsigned char f[44 + 4 + 1 + 12 + 4];
	sp_error e;
	sp_tz *z;

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, "TZif", 4);
	f[35] = 1;		/* timecnt */
	f[39] = 2;		/* typecnt */
	f[43] = 4;		/* charcnt */
	f[44 + 1] = 0x0f, f[44 + 2] = 0x42, f[44 + 3] = 0x40;	/* 1000000 */
	f[48] = 1;		/* the transition's type */
	f[49 + 2] = 0x0e, f[49 + 3] = 0x10;	/* type 0: 3600 */
	f[55 + 2] = 0x1c, f[55 + 3] = 0x20;	/* type 1: 7200 */
	f[55 + 4] = 1;
	memcpy(f + 61, "A\0B", 4);
	f[55 + 5] = 2;
	z = sp_tz_parse("v1", f, sizeof(f), &e);
	if (z == NULL)
		fail_msg("%s", e.msg);
	assert_int_equal(sp_tz_offset(z, 999999), 3600);
	assert_int_equal(sp_tz_offset(z, 1000000), 7200);
	assert_int_equal(sp_tz_offset(z, INT64_C(4000000000)), 7200);
	sp_tz_free(z);
}

/* ---- sp_time_parse_tz ---- */

static int64_t
parse(const char *s, const char *fmt, const sp_tz *z)
{
	sp_error e;
	int64_t t = 0;

	sp_err_clear(&e);
	if (sp_time_parse_tz(s, strlen(s), fmt, z, &t, &e) != 0)
		fail_msg("time_parse_tz('%s', %s) failed: %s", s,
		    fmt ? fmt : "ISO", e.msg);
	return t;
}

static void
test_parse_in_zone(void **state)
{
	sp_tz *paris = load("Europe/Paris");
	sp_error e;
	int64_t t;

	(void)state;
	/* TZ=Europe/Paris date -d '2026-03-28 10:00' +%s, and the 30th:
	 * CET, then CEST after the change of the 29th */
	assert_int_equal(parse("2026-03-28T10:00", NULL, paris), 1774688400);
	assert_int_equal(parse("2026-03-30 10:00:00", NULL, paris),
	    1774857600);
	assert_int_equal(parse("03/30/2026 10:00", "%m/%d/%Y %H:%M", paris),
	    1774857600);
	/* the gap: 02:30 CET = 01:30Z (zoneinfo fold=0: 1774747800) */
	assert_int_equal(parse("2026-03-29T02:30", NULL, paris), 1774747800);
	/* the overlap: 02:30 CEST = 00:30Z (zoneinfo fold=0: 1792888200) */
	assert_int_equal(parse("2026-10-25 02:30", NULL, paris), 1792888200);
	/* Z and offsets ignore the zone (date -u -d 2026-03-30T10:00Z) */
	assert_int_equal(parse("2026-03-30T10:00Z", NULL, paris), 1774864800);
	assert_int_equal(parse("2026-03-30T12:00+02:00", NULL, paris),
	    1774864800);
	assert_int_equal(parse("2026-03-30T10:00:00Z", "%Y-%m-%dT%H:%M:%SZ",
	    paris), 1774864800);
	assert_int_equal(parse("2026-03-30T12:00:00+0200",
	    "%Y-%m-%dT%H:%M:%S%z", paris), 1774864800);
	assert_int_equal(parse("2026-03-30T12:00:00+02:00",
	    "%Y-%m-%dT%H:%M:%S%z", NULL), 1774864800);
	assert_int_equal(parse("2026-03-30T10:00:00Z",
	    "%Y-%m-%dT%H:%M:%S%z", paris), 1774864800);
	/* a date stays its calendar date: date -u -d 2026-03-30 +%s */
	assert_int_equal(parse("2026-03-30", NULL, paris), 1774828800);
	assert_int_equal(parse("03/30/2026", "%m/%d/%Y", paris), 1774828800);
	/* %s is an instant */
	assert_int_equal(parse("1774864800", "%s", paris), 1774864800);
	sp_tz_free(paris);
	/* a zone does not carry a time out of the years 0000-9999 */
	paris = load("Asia/Tokyo");
	sp_err_clear(&e);
	assert_int_equal(sp_time_parse_tz("0000-01-01T08:00", 16, NULL, paris,
	    &t, &e), -1);
	assert_true(e.msg[0] != '\0');
	sp_tz_free(paris);
}

/* The same text means the same instant whatever TZ says. */
static void
test_parse_never_reads_TZ(void **state)
{
	static const char *const zones[] = { "UTC", "Asia/Tokyo",
	    "America/Los_Angeles", "Pacific/Chatham", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (zones[i] != NULL)
			setenv("TZ", zones[i], 1);
		else
			unsetenv("TZ");
		tzset();
		/* date -u -d 2026-11-26T10:00:00Z +%s = 1795687200 */
		assert_int_equal(parse("1795687200", "%s", NULL), 1795687200);
		assert_int_equal(parse("t=1795687200;", "t=%s;", NULL),
		    1795687200);
		assert_int_equal(parse("-86400", "%s", NULL), -86400);
		assert_int_equal(parse("11/26/2026 10:00", "%m/%d/%Y %H:%M",
		    NULL), 1795687200);
		assert_int_equal(parse("26 Nov 2026 10:00 AM",
		    "%d %b %Y %I:%M %p", NULL), 1795687200);
		assert_int_equal(parse("2026-11-26T10:00", NULL, NULL),
		    1795687200);
		/* LA 2026-03-08 02:30 with --tz: zoneinfo fold=0 1772965800 */
		{
			sp_tz *la = load("America/Los_Angeles");
			assert_int_equal(parse("03/08/2026 02:30",
			    "%m/%d/%Y %H:%M", la), 1772965800);
			sp_tz_free(la);
		}
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

/* English month names whatever locale the caller set (only C.utf8 may
 * be installed: then this shows at least that a setlocale changes
 * nothing). */
static void
test_parse_never_reads_locale(void **state)
{
	static const char *const loc[] = { "fr_FR.UTF-8", "de_DE.UTF-8",
	    "C.UTF-8", "C" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loc) / sizeof(loc[0]); i++) {
		if (setlocale(LC_ALL, loc[i]) == NULL)
			continue;
		assert_int_equal(parse("26 Nov 2026", "%d %b %Y", NULL),
		    1795651200);
	}
	setlocale(LC_ALL, "C");
}

static void
test_parse_epoch_bad(void **state)
{
	static const char *const bad[] = { "", "abc", "12x", "1e9", "-",
	    "+", "999999999999", "1234567890123", "17956 87200" };
	sp_error e;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_err_clear(&e);
		if (sp_time_parse_tz(bad[i], strlen(bad[i]), "%s", NULL, &t,
		    &e) != -1)
			fail_msg("'%s' with %%s accepted", bad[i]);
	}
	/* 253402300799 is 9999-12-31T23:59:59Z, the last one */
	assert_int_equal(parse("253402300799", "%s", NULL),
	    INT64_C(253402300799));
	sp_err_clear(&e);
	assert_int_equal(sp_time_parse_tz("253402300800", 12, "%s", NULL, &t, &e),
	    -1);
	assert_int_equal(sp_time_parse_tz("100%s", 5, "%%s%s", NULL, &t, &e), -1);
	assert_int_equal(parse("%s100", "%%s%s", NULL), 100);
	assert_int_equal(parse("100", "%Es", NULL), 100);
	assert_int_equal(parse("x100y%", "x%Osy%%", NULL), 100);
	assert_int_equal(parse("2026 100", "%Y %s", NULL), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_york_2026),
		cmocka_unit_test(test_new_york_past_and_future),
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_other_zones),
		cmocka_unit_test(test_posix_rule_matches_table),
		cmocka_unit_test(test_posix_rule_forms),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_truncated_files),
		cmocka_unit_test(test_version1_file),
		cmocka_unit_test(test_parse_in_zone),
		cmocka_unit_test(test_parse_never_reads_TZ),
		cmocka_unit_test(test_parse_never_reads_locale),
		cmocka_unit_test(test_parse_epoch_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
