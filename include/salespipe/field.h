/*
 * field: typed values parsed from record text, exactly.  Money is int64
 * micro-units as read and 128-bit sp_money when summed, probabilities are basis points of a percent,
 * times are UTC seconds.  Every printed number goes through the format
 * functions here, so every program prints the same value the same way.
 */
#ifndef SALESPIPE_FIELD_H
#define SALESPIPE_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Money.  One amount as read is int64 micro-units (10^-6 of a unit): read
 * exactly to six decimals, so 9225.225 and 19567.7174 are exact.  Values
 * that are added up or converted are sp_money, a 128-bit integer of
 * 10^-15 units (SP_MONEY_UNIT per unit): an amount times a rate of nine
 * decimals is exact in it, and a sum of ten million deals of a million
 * each is far inside it (about 1.7e23 units); sums check for overflow
 * anyway.  Printing rounds half-to-even to the cent, once.
 */
__extension__ typedef __int128 sp_money;
#define SP_MICRO_UNIT 1000000			/* micro-units per unit */
#define SP_MONEY_UNIT ((sp_money)1000000000000000LL)	/* per unit */
#define SP_MONEY_PER_MICRO 1000000000LL		/* sp_money per micro */

/*
 * How amounts are written: with decimal_comma, ',' is the decimal mark
 * (and '.' the thousands separator unless thousands says otherwise); with
 * thousands (a byte, '\0' for none) digits before the decimal mark may
 * be grouped by three with it ("1,234,567.89").  A separator anywhere
 * else (a group of two digits, one after the mark) is refused: never a
 * guess.  The zero struct is the default: '.' only, no separators.
 */
typedef struct sp_numfmt {
	int decimal_comma;
	char thousands;
} sp_numfmt;

/*
 * Money: optional sign, digits, optional decimal mark and decimals;
 * surrounding blanks allowed.  Decimals beyond six must be zeros
 * ("1.2500000" is 1.25; "1.0000001" is refused, never truncated).  No
 * symbols or exponents; thousands separators only as nf allows (nf may be
 * NULL: the default).  Returns 0 and sets *micro, or -1 with e->msg such
 * as "'abc' is not an amount" (e->field is left for the caller); a
 * ',' refused by the default names --thousands and --decimal-comma.
 */
int sp_money_parse(const char *s, size_t n, int64_t *micro, sp_error *e);
int sp_money_parse_fmt(const char *s, size_t n, const sp_numfmt *nf,
    int64_t *micro, sp_error *e);

/* An amount of micro-units as an exact value. */
static inline sp_money
sp_money_of_micro(int64_t micro)
{
	return (sp_money)micro * SP_MONEY_PER_MICRO;
}

/* num / den (den != 0) rounded half-to-even to an integer. */
sp_money sp_money_div_even(sp_money num, sp_money den);

/*
 * a x k / den (den > 0) rounded half-to-even to an integer, exactly: the
 * product is never formed (the remainder is carried bit by bit), so it
 * may exceed 128 bits.  Returns 0 and sets *q, or -1 when the quotient
 * does not fit an sp_money.
 */
int sp_money_muldiv_even(sp_money a, uint64_t k, sp_money den, sp_money *q);

/*
 * v / den (den > 0; 1 for a plain value) rounded half-to-even to the cent
 * and printed as "-1234.50": always two decimals.  This is the one
 * rounding of a printed amount.  buf needs 48 bytes.
 */
char *sp_money_format_div(sp_money v, sp_money den, char *buf);
char *sp_money_format_exact(sp_money v, char *buf);

/* The exact text of an amount of micro-units, with at least two
 * decimals and no other trailing zeros: "9225.225", "-3.00", "0.000001"
 * (what deal-add writes into the journal).  buf 32 bytes. */
char *sp_money_format_micro(int64_t micro, char *buf);

/* Whole cents (a value already rounded to the cent) as "-1234.50". buf 32.
 * sp_money_format is its old name, kept for programs built against 0.1
 * (whose amounts were cents). */
char *sp_money_format_cents(int64_t cents, char *buf);
char *sp_money_format(int64_t cents, char *buf);

/* v rounded half-to-even to the cent; -1 when it does not fit int64. */
int sp_money_to_cents(sp_money v, int64_t *cents);
/* v rounded half-to-even to the micro-unit; -1 when it does not fit. */
int sp_money_to_micro(sp_money v, int64_t *micro);

/* a += b, returning -1 (a unchanged) on overflow. */
int sp_money_add(sp_money *a, sp_money b);

/*
 * *sum += amount x bp (basis points of a percent: 10000 is 100%), exact:
 * the weighted pipeline (forecast, scorecard) is kept in these units and
 * rounded once when printed (sp_money_format_div(sum, 10000, buf)).
 * Returns -1 (sum unchanged) on overflow.
 */
int sp_money_add_weighted(sp_money *sum, sp_money amount, int bp);

/*
 * A running sum that remembers its currency.  Adding an amount in another
 * currency marks the sum mixed (mixed = 1): the sum then means nothing
 * and prints empty (see the programs' warning), but counting goes on.
 * A blank currency matches any.
 */
typedef struct sp_money_sum {
	sp_money v;
	char currency[8];	/* "" until a record names one */
	int mixed;		/* two currencies met: v is meaningless */
} sp_money_sum;

void sp_money_sum_init(sp_money_sum *s);
/* Returns 0, or -1 with e->msg on overflow or a currency code too long. */
int sp_money_sum_add(sp_money_sum *s, sp_money v, const char *currency,
    size_t curlen, sp_error *e);
/* Merge b into a, same rules. */
int sp_money_sum_merge(sp_money_sum *a, const sp_money_sum *b, sp_error *e);

/*
 * num / den for a writer's SP_COL_RATIO column, like sp_ratio_text: the
 * ratio truncated toward zero to nine decimals; "" when den == 0.  Exact
 * while both are below 1e29 (1e14 units); beyond, both are cut by powers
 * of ten first (nine decimals of the ratio are then long settled).  buf 48.
 */
char *sp_ratio_text_money(sp_money num, sp_money den, char *buf);

/*
 * Probability: a percentage 0..100 with up to two decimals and an
 * optional trailing '%'.  *bp is hundredths of a percent (0..10000).
 */
int sp_prob_parse(const char *s, size_t n, int *bp, sp_error *e);

/*
 * The same under --probability-scale: scale 100 is sp_prob_parse; scale 1
 * reads a fraction 0..1 with up to four decimals ("0.4" is 40%, *bp
 * 4000), and a value above 1 is an error.  A trailing '%' always means a
 * percentage (0..100, two decimals), whatever the scale.
 */
int sp_prob_parse_scale(const char *s, size_t n, int scale, int *bp,
    sp_error *e);

/*
 * Times.  Accepted without datefmt: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]]
 * with 'T' or ' ' between, followed by nothing (naive: UTC), 'Z', or
 * +HH:MM / +HHMM / +HH offsets, and thirteen digits, milliseconds since
 * the epoch (1764547200000; the seconds, UTC).  Calendar checked
 * (2026-02-30 and 24:00 are errors).  With datefmt (strptime(3) syntax, always in the C locale)
 * the text must match it whole; %s is seconds since the epoch (UTC), %z
 * an offset that is applied, a literal Z in the format means UTC, and the
 * rest is naive.  Never depends on TZ or the locale.  Returns 0 and *t
 * (UTC seconds, years 0000-9999), or -1 with e->msg.
 */
int sp_time_parse(const char *s, size_t n, const char *datefmt, int64_t *t,
    sp_error *e);

/*
 * sp_time_parse with a zone for naive date-times (tz NULL: UTC, the same as
 * sp_time_parse): a date-time without Z or offset is local time in tz, by
 * sp_tz_from_local's rules (gap: shifted forward; overlap: the earlier
 * instant).  A date without a time (2026-11-26, or a datefmt with no
 * time-of-day conversion) stays that calendar date: 00:00 UTC whatever
 * tz.  Times with Z, an offset or %s ignore tz.
 */
int sp_time_parse_tz(const char *s, size_t n, const char *datefmt,
    const sp_tz *tz, int64_t *t, sp_error *e);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t sp_days_from_civil(int64_t y, int m, int d);
void sp_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* "2026-11-26T10:00:00Z" (buf 32 bytes) and "2026-11-26" (buf 16 bytes). */
char *sp_time_format(int64_t t, char *buf);
char *sp_date_format(int64_t t, char *buf);

/* Duration units for --unit. */
enum { SP_UNIT_DAYS = 0, SP_UNIT_HOURS, SP_UNIT_MINUTES };
/* "days", "hours", "minutes" (or "day", "hour", "minute") -> unit, or -1. */
int sp_unit_parse(const char *s);
/* The plural name of a unit: "days", "hours", "minutes". */
const char *sp_unit_name(int unit);
/* Seconds printed in the unit with two decimals, half away from zero. */
char *sp_duration_format(double seconds, int unit, char *buf);

/*
 * A length of time written as a whole number and a unit, s, m, h, d or w
 * ("5m", "24h", "2d"): its seconds in *secs.  0, or -1 when s is not one
 * (or is 0, or more than 100 years).
 */
int sp_duration_parse(const char *s, int64_t *secs);

/* num/den with six decimals ("0.631501"); "" when den == 0.  buf 32. */
char *sp_ratio_format(int64_t num, int64_t den, char *buf);

/*
 * num/den for a writer's SP_COL_RATIO column: the exact ratio truncated
 * toward zero to nine decimals ("0.135549872" for 53/391); "" when
 * den == 0.  The writer rounds it once, to six decimals (csv, jsonl) or
 * to a percentage with two (table, md), and gets the digits of the exact
 * ratio rounded (no tie point has more than six decimals).  buf 32.
 */
char *sp_ratio_text(int64_t num, int64_t den, char *buf);

/* An integer count. buf 24. */
char *sp_count_format(int64_t n, char *buf);

#ifdef __cplusplus
}
#endif

#endif
