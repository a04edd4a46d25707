/*
 * field: typed values parsed from record text, exactly.  Money is int64
 * minor units (cents), probabilities are basis points of a percent,
 * times are UTC seconds.  Every printed number goes through the format
 * functions here, so every program prints the same value the same way.
 */
#ifndef SALESPIPE_FIELD_H
#define SALESPIPE_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"

/*
 * Money: optional sign, digits, optional '.' and at most two decimals;
 * surrounding blanks allowed.  No thousands separators, symbols or
 * exponents.  Returns 0 and sets *minor, or -1 with e->msg such as
 * "'abc' is not an amount" (e->field is left for the caller).
 */
int money_parse(const char *s, size_t n, int64_t *minor, sp_error *e);

/* "-1234.50": always two decimals.  buf needs 32 bytes. */
char *money_format(int64_t minor, char *buf);

/* a += b, returning -1 (a unchanged) on int64 overflow. */
int money_add(int64_t *a, int64_t b);

/*
 * A running sum that remembers its currency: adding an amount in another
 * currency is an error naming both.  A blank currency matches any.
 */
typedef struct sp_money_sum {
	int64_t minor;
	char currency[8];	/* "" until a record names one */
} sp_money_sum;

void money_sum_init(sp_money_sum *s);
/* Returns 0, or -1 with e->msg on overflow or mixed currencies. */
int money_sum_add(sp_money_sum *s, int64_t minor, const char *currency,
    size_t curlen, sp_error *e);
/* Merge b into a, same rules. */
int money_sum_merge(sp_money_sum *a, const sp_money_sum *b, sp_error *e);

/*
 * Probability: a percentage 0..100 with up to two decimals and an
 * optional trailing '%'.  *bp is hundredths of a percent (0..10000).
 */
int prob_parse(const char *s, size_t n, int *bp, sp_error *e);

/*
 * The same under --probability-scale: scale 100 is prob_parse; scale 1
 * reads a fraction 0..1 with up to four decimals ("0.4" is 40%, *bp
 * 4000), and a value above 1 is an error.  A trailing '%' always means a
 * percentage (0..100, two decimals), whatever the scale.
 */
int prob_parse_scale(const char *s, size_t n, int scale, int *bp,
    sp_error *e);

/*
 * Times.  Accepted without datefmt: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]]
 * with 'T' or ' ' between, followed by nothing (UTC), 'Z', or +HH:MM /
 * +HHMM / +HH offsets.  Calendar checked (2026-02-30 and 24:00 are
 * errors).  With datefmt (strptime(3) syntax) the text must match it
 * whole, and is taken as UTC.  Returns 0 and *t (UTC seconds), or -1.
 */
int time_parse(const char *s, size_t n, const char *datefmt, int64_t *t,
    sp_error *e);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* "2026-11-26T10:00:00Z" (buf 32 bytes) and "2026-11-26" (buf 16 bytes). */
char *time_format(int64_t t, char *buf);
char *date_format(int64_t t, char *buf);

/* Duration units for --unit. */
enum { SP_UNIT_DAYS = 0, SP_UNIT_HOURS, SP_UNIT_MINUTES };
/* "days", "hours", "minutes" (or "day", "hour", "minute") -> unit, or -1. */
int unit_parse(const char *s);
/* Seconds printed in the unit with two decimals, half away from zero. */
char *duration_format(double seconds, int unit, char *buf);

/* num/den with six decimals ("0.631501"); "" when den == 0.  buf 32. */
char *ratio_format(int64_t num, int64_t den, char *buf);

/* An integer count. buf 24. */
char *count_format(int64_t n, char *buf);

#endif
