/*
 * period: one way to name a span of time.  hledger-style period
 * expressions, fiscal years, relative periods against "now", and the
 * buckets of --every.  A period is the half-open span [start, end) in UTC
 * seconds.
 */
#ifndef SALESPIPE_PERIOD_H
#define SALESPIPE_PERIOD_H

#include <stdint.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_calendar {
	int64_t now;		/* UTC seconds: --now, $SALESPIPE_NOW or clock */
	int fiscal_start;	/* month 1..12 the fiscal year starts in */
} sp_calendar;

typedef struct sp_period {
	int64_t start, end;	/* [start, end), UTC seconds */
	char label[48];		/* "2026-Q4", "2026-11", "FY2027-Q1", ... */
} sp_period;

enum {
	SP_EVERY_NONE = 0, SP_EVERY_DAY, SP_EVERY_WEEK, SP_EVERY_MONTH,
	SP_EVERY_QUARTER, SP_EVERY_YEAR
};

/*
 * Parse a period expression:
 *	2026  2026-Q4  2026-11  2026-W48  2026-11-26
 *	FY2027  FY2027-Q1            (fiscal; FY named by the year it ends in)
 *	A..B                         (dates or any of the above; both inclusive:
 *	                              from the start of A to the end of B)
 *	today yesterday this-week last-week next-week this-month last-month
 *	next-month this-quarter last-quarter next-quarter this-year last-year
 *	next-year ytd qtd mtd        (against cal->now; quarters and years
 *	                              are fiscal when fiscal_start != 1)
 * Returns 0, or -1 with e->msg naming the expression.
 */
int sp_period_parse(const char *s, const sp_calendar *cal, sp_period *p,
    sp_error *e);

/* "day", "week", "month", "quarter", "year" -> SP_EVERY_*, or -1. */
int sp_every_parse(const char *s);

/*
 * The bucket of --every that holds t, labelled by name: 2026-11-26,
 * 2026-W48, 2026-11, 2026-Q4 (FY2027-Q1 when fiscal), 2026 (FY2027).
 */
void sp_period_bucket(int64_t t, int every, const sp_calendar *cal,
    sp_period *p);

/* 1 when start <= t < end. */
static inline int
sp_period_contains(const sp_period *p, int64_t t)
{
	return t >= p->start && t < p->end;
}

/*
 * Fill cal from --now text (may be NULL), $SALESPIPE_NOW, else the clock,
 * and fiscal_start (1..12).  Returns 0 or -1 with e set.
 */
int sp_calendar_init(sp_calendar *cal, const char *now, int fiscal_start,
    sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
