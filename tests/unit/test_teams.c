/*
 * Unit tests of teams (include/salespipe/teams.h): an owner's team,
 * territory and manager at a time, effective spans (from included, to
 * excluded), members of a group over a period, and the errors.  Times by
 * hand: 2026-05-01T00:00:00Z is 1777593600.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/teams.h"

#define MAY1 INT64_C(1777593600)
#define DAY 86400

static const char *
tmpfile_with(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/test_teams_XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static int
read_text(sp_teams *t, const char *text, sp_error *e)
{
	const char *name = tmpfile_with(text);
	sp_read_opts ro;
	int rc;

	memset(&ro, 0, sizeof(ro));
	sp_err_clear(e);
	rc = sp_teams_read(t, name, &ro, NULL, NULL, e);
	unlink(name);
	return rc;
}

static const char *
of(const sp_teams *t, const char *owner, int64_t at, int what)
{
	return sp_teams_of(t, owner, strlen(owner), at, what);
}

static const char *const teams_csv =
    "owner,team,territory,manager,from,to\n"
    "ann,East,NA,Mia,,\n"
    "dee,East,NA,Mia,,2026-05-01\n"
    "dee,West,EU,Lou,2026-05-01,2026-07-01\n";

static void
test_at_a_time(void **state)
{
	sp_teams t;
	sp_error e;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(read_text(&t, teams_csv, &e), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(of(&t, "ann", 0, SP_TEAMS_TEAM), "East");
	assert_string_equal(of(&t, "dee", MAY1 - 1, SP_TEAMS_TEAM), "East");
	/* to is excluded, from included */
	assert_string_equal(of(&t, "dee", MAY1, SP_TEAMS_TEAM), "West");
	assert_string_equal(of(&t, "dee", MAY1, SP_TEAMS_TERRITORY), "EU");
	assert_string_equal(of(&t, "dee", MAY1, SP_TEAMS_MANAGER), "Lou");
	/* after her last row's to, and an owner without rows: none */
	assert_null(of(&t, "dee", MAY1 + 61 * DAY, SP_TEAMS_TEAM));
	assert_null(of(&t, "bob", 0, SP_TEAMS_TEAM));
	/* owner compared by its length too */
	assert_null(sp_teams_of(&t, "annie", 5, 0, SP_TEAMS_TEAM));
	assert_string_equal(sp_teams_of(&t, "annie", 3, 0, SP_TEAMS_TEAM),
	    "East");
	sp_teams_free(&t);
}

struct seen {
	char names[8][16];
	int n;
};

static int
collect(void *arg, const char *owner)
{
	struct seen *s = arg;

	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", owner);
	return 0;
}

static void
test_members(void **state)
{
	sp_teams t;
	sp_error e;
	struct seen s;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(read_text(&t, teams_csv, &e), 0);
	/* April to June: dee is East's (April) and West's (May, June) */
	memset(&s, 0, sizeof(s));
	sp_teams_members(&t, SP_TEAMS_TEAM, "East", MAY1 - 30 * DAY,
	    MAY1 + 61 * DAY, collect, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "ann");
	assert_string_equal(s.names[1], "dee");
	memset(&s, 0, sizeof(s));
	sp_teams_members(&t, SP_TEAMS_TEAM, "West", MAY1 - 30 * DAY,
	    MAY1 + 61 * DAY, collect, &s);
	assert_int_equal(s.n, 1);
	/* June alone: dee is not East's */
	memset(&s, 0, sizeof(s));
	sp_teams_members(&t, SP_TEAMS_TEAM, "East", MAY1 + 31 * DAY,
	    MAY1 + 61 * DAY, collect, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "ann");
	/* one owner once, with two rows in the group */
	sp_teams_free(&t);
	memset(&t, 0, sizeof(t));
	assert_int_equal(read_text(&t, "owner,manager,from,to\n"
	    "bob,Mia,,2026-05-01\nbob,Mia,2026-05-01,\n", &e), 0);
	memset(&s, 0, sizeof(s));
	sp_teams_members(&t, SP_TEAMS_MANAGER, "Mia", 0, MAY1 + DAY, collect,
	    &s);
	assert_int_equal(s.n, 1);
	sp_teams_free(&t);
}

static void
test_errors(void **state)
{
	sp_teams t;
	sp_error e;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(read_text(&t, "owner,team\nann,East\n,West\n", &e), -1);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "owner");
	sp_teams_free(&t);

	assert_int_equal(read_text(&t, "owner,team,from,to\n"
	    "ann,East,,2026-06-01\nann,West,2026-05-01,\n", &e), -1);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "from");
	assert_non_null(strstr(e.msg, "line 2"));
	sp_teams_free(&t);

	assert_int_equal(read_text(&t, "owner,team,from,to\n"
	    "ann,East,2026-06-01,2026-06-01\n", &e), -1);
	assert_string_equal(e.field, "to");
	sp_teams_free(&t);

	assert_int_equal(read_text(&t, "owner,team,to\nann,East,2026-02-30\n",
	    &e), -1);
	assert_string_equal(e.field, "to");
	sp_teams_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_a_time),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
