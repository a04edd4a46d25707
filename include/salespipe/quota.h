/*
 * quota: the quota file of forecast --quota and scorecard --quota.  One
 * record per quota (CSV or JSON lines, read with the record reader like
 * every other input): the one of owner, team or territory it belongs to,
 * a period expression (any sp_period_parse takes) and an amount.
 * DESIGN.md section 2 ("Quotas").
 */
#ifndef SALESPIPE_QUOTA_H
#define SALESPIPE_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "salespipe/err.h"
#include "salespipe/field.h"
#include "salespipe/period.h"
#include "salespipe/rec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whom a quota is for: the field that names it. */
enum { SP_QUOTA_OWNER, SP_QUOTA_TEAM, SP_QUOTA_TERRITORY };

typedef struct sp_quota {
	int kind;		/* SP_QUOTA_* */
	char *name;		/* the owner, team or territory */
	int64_t start, end;	/* the period, [start, end) */
	int64_t amount;		/* micro-units */
	long line;		/* where it was read */
} sp_quota;

typedef struct sp_quotas {
	sp_quota *v;
	size_t n;
} sp_quotas;

/*
 * Read the quota file at path (ro: the reader options; its max_bytes is
 * set to SP_MAX_OPTFILE here) into q, which must be zeroed or hold
 * quotas already (they are kept).  Periods are read in cal.  A record
 * must name exactly one of owner, team and territory (an owner-only file
 * may leave owner empty: it is the owner ""), have a period and an
 * amount.  Returns 0, or -1 with e naming the file, line and field of
 * the first bad record.  q owns what it holds: sp_quotas_free.
 */
int sp_quotas_read(sp_quotas *q, const char *path, const sp_read_opts *ro,
    const sp_calendar *cal, sp_error *e);
void sp_quotas_free(sp_quotas *q);

/*
 * The quotas of kind for name (NULL: every name of that kind) whose
 * period is exactly [start, end) (a quarter's quota is not a month's),
 * summed; *has is 1 when at least one applies, else 0 (and the sum 0).
 */
sp_money sp_quota_of(const sp_quotas *q, int kind, const char *name,
    int64_t start, int64_t end, int *has);

/* 1 when q holds a quota of kind with that name (any period). */
int sp_quota_named(const sp_quotas *q, int kind, const char *name);

#ifdef __cplusplus
}
#endif

#endif
