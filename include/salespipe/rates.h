/*
 * rates: exchange rates into one currency (--rates FILE --currency CODE),
 * read with the one record reader.  A rates file has the columns
 * currency,rate[,from]: rate is how many units of CODE one unit of
 * `currency` is worth, an exact decimal (at most nine decimals beyond
 * which only zeros); from, when given, is the date the rate takes effect
 * (like Salesforce's dated exchange rates), so a currency may have
 * several rows.  The rate in force at time t is the one with the latest
 * from <= t (a row without from is in force since always).  CODE itself
 * needs no row (its rate is 1); a row for it must say 1.
 */
#ifndef SALESPIPE_RATES_H
#define SALESPIPE_RATES_H

#include <stdint.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rates are read to the nano-unit: rate 0.000244 is 244000. */
#define SP_RATE_UNIT 1000000000LL

typedef struct sp_rates sp_rates;

/*
 * Load the rates into target from path (NULL: no file, so only amounts
 * already in target pass).  Returns the table (free with sp_rates_free), or
 * NULL with e set (file, line and field of a bad row; an unreadable
 * file; a repeated currency and from).
 */
sp_rates *sp_rates_load(const char *path, const char *target, sp_error *e);

/* The target currency ("USD"), as given (upper-cased). */
const char *sp_rates_target(const sp_rates *rs);

/* 1 when some row has a from date (the deal's date then matters). */
int sp_rates_dated(const sp_rates *rs);

/*
 * The rate (SP_RATE_UNIT per unit) of currency cur (n bytes, any case;
 * blank means target) in force at t.  Returns 0, or -1 with e's field
 * ("currency") and message naming the currency and the file, or --rates
 * when there is no file.
 */
int sp_rates_find(const sp_rates *rs, const char *cur, size_t n, int64_t t,
    int64_t *rate, sp_error *e);

/* Parse a rate: a positive decimal, at most nine decimals (more only as
 * zeros).  Returns 0 and *rate, or -1 with e->msg. */
int sp_rate_parse(const char *s, size_t n, int64_t *rate, sp_error *e);

void sp_rates_free(sp_rates *rs);

#ifdef __cplusplus
}
#endif

#endif
