/*
 * teams: the teams file (scorecard --teams), which rolls owners up into
 * teams, territories and managers.  One record per owner and span (CSV
 * or JSON lines, read with the record reader): owner, team, territory,
 * manager, and optionally from and to, the span the row holds for.
 * DESIGN.md section 2 ("Teams").
 */
#ifndef SALESPIPE_TEAMS_H
#define SALESPIPE_TEAMS_H

#include <stddef.h>
#include <stdint.h>

#include "salespipe/err.h"
#include "salespipe/rec.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an owner rolls up into: the field of the teams file. */
enum { SP_TEAMS_TEAM, SP_TEAMS_TERRITORY, SP_TEAMS_MANAGER, SP_TEAMS_N };

typedef struct sp_team_row {
	char *owner;
	char *v[SP_TEAMS_N];	/* team, territory, manager ("" if none) */
	int64_t from, to;	/* [from, to): INT64_MIN, INT64_MAX when
				   the row has none */
	long line;
} sp_team_row;

typedef struct sp_teams {
	sp_team_row *v;
	size_t n;
} sp_teams;

/*
 * Read the teams file at path (ro: reader options, max_bytes set to
 * SP_MAX_OPTFILE here; datefmt and tz as for deal times) into t, which
 * must be zeroed.  Each record needs an owner; from and to are times or
 * dates, from inclusive and to exclusive, and either may be left out
 * (no start, no end).  Two rows of one owner whose spans overlap are a
 * bad record (the later one, naming the earlier's line).  Returns 0, or
 * -1 with e naming file, line and field.  Free with sp_teams_free.
 */
int sp_teams_read(sp_teams *t, const char *path, const sp_read_opts *ro,
    const char *datefmt, const sp_tz *tz, sp_error *e);
void sp_teams_free(sp_teams *t);

/*
 * What owner (len bytes) rolls up into at time at (what: SP_TEAMS_*):
 * the value of the row of that owner whose span holds at, or NULL when
 * no row does.  Borrowed from t.
 */
const char *sp_teams_of(const sp_teams *t, const char *owner, size_t len,
    int64_t at, int what);

/*
 * Calls fn(arg, owner) once for each owner whose rows put it in name
 * (what: SP_TEAMS_*) for some time in [start, end), in file order of
 * their first such row.  fn returning nonzero stops and is returned.
 */
int sp_teams_members(const sp_teams *t, int what, const char *name,
    int64_t start, int64_t end, int (*fn)(void *arg, const char *owner),
    void *arg);

#ifdef __cplusplus
}
#endif

#endif
