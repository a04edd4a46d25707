/*
 * currency: the ISO 4217 currency codes, one table, for the programs
 * that check a record's currency (lint).
 */
#ifndef SALESPIPE_CURRENCY_H
#define SALESPIPE_CURRENCY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 1 when the n bytes at s are an active ISO 4217 code (list one, as
 * amended to 2025: XCG and ZWG included, HRK and the other withdrawn
 * codes not), compared without case ("usd" is USD); else 0.  Only
 * reads s.
 */
int sp_currency_known(const char *s, size_t n);

/* The i-th code of the table (sorted), NULL past the last: for tests. */
const char *sp_currency_code(size_t i);

#ifdef __cplusplus
}
#endif

#endif
