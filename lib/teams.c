/*
 * teams: the teams file (include/salespipe/teams.h).  A short list of
 * rows searched in order: a file of a few hundred owners does not need
 * an index, and overlapping spans are refused when read, so at most one
 * row of an owner holds at any time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/field.h"
#include "salespipe/teams.h"

static int
span_time(const sp_rec *r, int slot, const char *name, const char *datefmt,
    const sp_tz *tz, int64_t none, int64_t *t, sp_error *e)
{
	if (!sp_rec_has(r, slot)) {
		*t = none;
		return 0;
	}
	if (sp_time_parse_tz(sp_rec_get(r, slot), sp_rec_len(r, slot), datefmt,
	    tz, t, e) < 0) {
		snprintf(e->field, sizeof(e->field), "%s", name);
		return -1;
	}
	return 0;
}

static char *
copy_field(const sp_rec *r, int slot)
{
	return strdup(sp_rec_has(r, slot) ? sp_rec_get(r, slot) : "");
}

static int
add_row(sp_teams *t, const sp_rec *r, const int *slots, int so, int64_t from,
    int64_t to, sp_error *e)
{
	sp_team_row *v, *x;
	int k;

	if ((v = realloc(t->v, (t->n + 1) * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	t->v = v;
	x = &v[t->n];
	memset(x, 0, sizeof(*x));
	x->from = from;
	x->to = to;
	x->line = r->line;
	t->n++;		/* sp_teams_free frees what was copied */
	if ((x->owner = copy_field(r, so)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (k = 0; k < SP_TEAMS_N; k++)
		if ((x->v[k] = copy_field(r, slots[k])) == NULL)
			return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/* The fields of a teams file's record, by slot: team, territory and
 * manager, then these. */
enum { T_OWNER = SP_TEAMS_N, T_FROM, T_TO, T_N };
static const char *const teams_names[T_N] = { "team", "territory",
	"manager", "owner", "from", "to" };

struct teams_read {
	sp_teams *t;
	const char *datefmt;
	const sp_tz *tz;
};

static int
teams_row(void *ctx, sp_reader *rd, const sp_rec *r, const int *slot,
    sp_error *e)
{
	struct teams_read *x = ctx;
	sp_teams *t = x->t;
	int so = slot[T_OWNER], sf = slot[T_FROM], st = slot[T_TO];
	int64_t from, to;
	size_t i;

	(void)rd;
	if (!sp_rec_has(r, so))
		return sp_err_set(e, "owner", "missing: a row of the teams file "
		    "is an owner's team, territory and manager");
	if (span_time(r, sf, "from", x->datefmt, x->tz, INT64_MIN, &from,
	    e) < 0 || span_time(r, st, "to", x->datefmt, x->tz, INT64_MAX,
	    &to, e) < 0)
		return -1;
	if (to <= from)
		return sp_err_set(e, "to", "'%s' is not after from '%s'",
		    sp_rec_get(r, st), sp_rec_get(r, sf));
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].owner, sp_rec_get(r, so)) == 0 &&
		    from < t->v[i].to && t->v[i].from < to)
			return sp_err_set(e, sp_rec_has(r, sf) ? "from" : "owner",
			    "'%s' is on line %ld already for part of this span: "
			    "one row of an owner holds at a time",
			    sp_rec_get(r, so), t->v[i].line);
	return add_row(t, r, slot, so, from, to, e);
}

int
sp_teams_read(sp_teams *t, const char *path, const sp_read_opts *ro,
    const char *datefmt, const sp_tz *tz, sp_error *e)
{
	struct teams_read x = { t, datefmt, tz };
	int slot[T_N];

	return sp_optfile_each(path, ro, teams_names, T_N, 0, slot, teams_row, &x,
	    e);
}

void
sp_teams_free(sp_teams *t)
{
	size_t i;
	int k;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].owner);
		for (k = 0; k < SP_TEAMS_N; k++)
			free(t->v[i].v[k]);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const char *
sp_teams_of(const sp_teams *t, const char *owner, size_t len, int64_t at,
    int what)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->v[i].owner) == len &&
		    memcmp(t->v[i].owner, owner, len) == 0 &&
		    t->v[i].from <= at && at < t->v[i].to)
			return t->v[i].v[what];
	return NULL;
}

int
sp_teams_members(const sp_teams *t, int what, const char *name,
    int64_t start, int64_t end, int (*fn)(void *arg, const char *owner),
    void *arg)
{
	size_t i, j;
	int rc;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].v[what], name) != 0 ||
		    t->v[i].to <= start || end <= t->v[i].from)
			continue;
		/* once per owner: its first such row */
		for (j = 0; j < i; j++)
			if (strcmp(t->v[j].owner, t->v[i].owner) == 0 &&
			    strcmp(t->v[j].v[what], name) == 0 &&
			    t->v[j].from < end && start < t->v[j].to)
				break;
		if (j < i)
			continue;
		if ((rc = fn(arg, t->v[i].owner)) != 0)
			return rc;
	}
	return 0;
}
