/*
 * Unit tests of stage: stage lists from inline specs, CSV files, the
 * environment and the built-in defaults (include/salespipe/stage.h).
 * Probabilities of inline lists follow the header's rule
 * round(100*(i+1)/(k+1)) for open stage i of k, worked out by hand.
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

#include "salespipe/stage.h"

struct want {
	const char *name;
	int kind, prob_bp, category;
};

static void
check_list(const sp_stages *st, const struct want *w, size_t n)
{
	size_t i;

	assert_non_null(st);
	if (st->n != n)
		fail_msg("%zu stages, want %zu", st->n, n);
	for (i = 0; i < n; i++) {
		if (strcmp(st->v[i].name, w[i].name) != 0)
			fail_msg("stage %zu named '%s', want '%s'", i,
			    st->v[i].name, w[i].name);
		if (st->v[i].kind != w[i].kind)
			fail_msg("stage '%s' kind %d, want %d", w[i].name,
			    st->v[i].kind, w[i].kind);
		if (w[i].prob_bp >= 0 && st->v[i].prob_bp != w[i].prob_bp)
			fail_msg("stage '%s' prob %d, want %d", w[i].name,
			    st->v[i].prob_bp, w[i].prob_bp);
		if (w[i].category >= 0 && st->v[i].category != w[i].category)
			fail_msg("stage '%s' category %d, want %d", w[i].name,
			    st->v[i].category, w[i].category);
	}
}

static sp_stages *
parse_ok(const char *spec)
{
	sp_error e;
	sp_stages *st;

	sp_err_clear(&e);
	st = sp_stages_parse(spec, &e);
	if (st == NULL)
		fail_msg("stages_parse('%s') failed: %s", spec, e.msg);
	return st;
}

static void
parse_bad(const char *spec)
{
	sp_error e;
	sp_stages *st;

	sp_err_clear(&e);
	st = sp_stages_parse(spec, &e);
	if (st != NULL) {
		sp_stages_free(st);
		fail_msg("stages_parse('%s') accepted", spec);
	}
	if (e.msg[0] == '\0')
		fail_msg("stages_parse('%s') failed without a message", spec);
}

/* A temp file holding text; path in buf (suffix ".csv" when csv). */
static void
temp_file(char *buf, size_t size, int csv, const char *text)
{
	int fd;
	size_t n = strlen(text);

	snprintf(buf, size, "/tmp/test_stage_XXXXXX%s", csv ? ".csv" : "");
	fd = csv ? mkstemps(buf, 4) : mkstemp(buf);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* ---- defaults ---- */

static void
test_default_deals(void **state)
{
	static const struct want w[] = {
		{ "qualification", SP_OPEN, 1000, -1 },
		{ "discovery", SP_OPEN, 2000, -1 },
		{ "proposal", SP_OPEN, 5000, -1 },
		{ "negotiation", SP_OPEN, 8000, -1 },
		{ "won", SP_WON, 10000, -1 },
		{ "lost", SP_LOST, 0, -1 },
	};
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);

	(void)state;
	check_list(st, w, 6);
	assert_string_equal(sp_stages_known(st),
	    "qualification, discovery, proposal, negotiation, won, lost");
	assert_int_equal(sp_stages_first_open(st), 0);
	assert_int_equal(sp_stages_first_won(st), 4);
	sp_stages_free(st);
}

static void
test_default_leads(void **state)
{
	static const struct want w[] = {
		{ "new", SP_OPEN, -1, -1 },
		{ "contacted", SP_OPEN, -1, -1 },
		{ "qualified", SP_OPEN, -1, -1 },
		{ "converted", SP_WON, -1, -1 },
		{ "disqualified", SP_LOST, -1, -1 },
	};
	sp_stages *st = sp_stages_default(SP_STAGES_LEADS);

	(void)state;
	check_list(st, w, 5);
	assert_string_equal(sp_stages_known(st),
	    "new, contacted, qualified, converted, disqualified");
	assert_int_equal(sp_stages_first_open(st), 0);
	assert_int_equal(sp_stages_first_won(st), 3);
	sp_stages_free(st);
}

static void
test_default_is_a_copy(void **state)
{
	sp_stages *a = sp_stages_default(SP_STAGES_DEALS);
	sp_stages *b;

	(void)state;
	assert_non_null(a);
	a->v[0].name[0] = 'X';
	a->v[0].prob_bp = 1;
	b = sp_stages_default(SP_STAGES_DEALS);
	assert_non_null(b);
	assert_string_equal(b->v[0].name, "qualification");
	assert_int_equal(b->v[0].prob_bp, 1000);
	sp_stages_free(a);
	sp_stages_free(b);
}

/* ---- inline lists ---- */

static void
test_inline_basic(void **state)
{
	/* 2 open stages: round(100*1/3) = 33, round(100*2/3) = 67 */
	static const struct want w[] = {
		{ "Prospecting", SP_OPEN, 3300, SP_FC_PIPELINE },
		{ "Engaging", SP_OPEN, 6700, SP_FC_PIPELINE },
		{ "Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "Lost", SP_LOST, 0, SP_FC_OMITTED },
	};
	sp_stages *st = parse_ok("Prospecting,Engaging,Won,Lost");

	(void)state;
	check_list(st, w, 4);
	assert_string_equal(sp_stages_known(st), "Prospecting, Engaging, Won, Lost");
	assert_int_equal(sp_stages_first_open(st), 0);
	assert_int_equal(sp_stages_first_won(st), 2);
	sp_stages_free(st);
}

static void
test_inline_kind_suffixes(void **state)
{
	/* 3 open stages: 25, 50, 75.  "Closed Won" ends in " won",
	 * "WON"/"LOST" compare case-insensitively, "Wonder", "Rewon" and
	 * "lost cause" are not won/lost. */
	static const struct want w[] = {
		{ "Wonder", SP_OPEN, 2500, SP_FC_PIPELINE },
		{ "Rewon", SP_OPEN, 5000, SP_FC_PIPELINE },
		{ "Closed Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "lost cause", SP_OPEN, 7500, SP_FC_PIPELINE },
		{ "CLOSED LOST", SP_LOST, 0, SP_FC_OMITTED },
		{ "WON", SP_WON, 10000, SP_FC_CLOSED },
		{ "lost", SP_LOST, 0, SP_FC_OMITTED },
	};
	sp_stages *st = parse_ok("Wonder,Rewon,Closed Won,lost cause,"
	    "CLOSED LOST,WON,lost");

	(void)state;
	check_list(st, w, 7);
	assert_int_equal(sp_stages_first_won(st), 2);
	sp_stages_free(st);
}

static void
test_inline_probabilities(void **state)
{
	/* one open stage: round(100*1/2) = 50 */
	static const struct want one[] = {
		{ "only", SP_OPEN, 5000, SP_FC_PIPELINE },
		{ "won", SP_WON, 10000, SP_FC_CLOSED },
	};
	/* 7 open stages: 100*i/8 = 12.5 25 37.5 50 62.5 75 87.5, rounded
	 * half away from zero (C round()): 13 25 38 50 63 75 88 */
	static const struct want seven[] = {
		{ "s1", SP_OPEN, 1300, -1 }, { "s2", SP_OPEN, 2500, -1 },
		{ "s3", SP_OPEN, 3800, -1 }, { "s4", SP_OPEN, 5000, -1 },
		{ "s5", SP_OPEN, 6300, -1 }, { "s6", SP_OPEN, 7500, -1 },
		{ "s7", SP_OPEN, 8800, -1 },
	};
	/* won/lost interleaved: i counts open stages only (k = 3) */
	static const struct want mixed[] = {
		{ "a", SP_OPEN, 2500, -1 }, { "lost", SP_LOST, 0, -1 },
		{ "b", SP_OPEN, 5000, -1 }, { "won", SP_WON, 10000, -1 },
		{ "c", SP_OPEN, 7500, -1 },
	};
	/* no won stage */
	static const struct want nowon[] = {
		{ "a", SP_OPEN, 5000, -1 }, { "dead lost", SP_LOST, 0, -1 },
	};
	sp_stages *st;

	(void)state;
	st = parse_ok("only,won");
	check_list(st, one, 2);
	sp_stages_free(st);
	st = parse_ok("s1,s2,s3,s4,s5,s6,s7");
	check_list(st, seven, 7);
	assert_int_equal(sp_stages_first_won(st), -1);
	sp_stages_free(st);
	st = parse_ok("a,lost,b,won,c");
	check_list(st, mixed, 5);
	assert_int_equal(sp_stages_first_open(st), 0);
	assert_int_equal(sp_stages_first_won(st), 3);
	sp_stages_free(st);
	st = parse_ok("a,dead lost");
	check_list(st, nowon, 2);
	assert_int_equal(sp_stages_first_won(st), -1);
	sp_stages_free(st);
}

static void
test_inline_first_open_not_first(void **state)
{
	sp_stages *st = parse_ok("won,a,lost");

	(void)state;
	assert_int_equal(sp_stages_first_open(st), 1);
	assert_int_equal(sp_stages_first_won(st), 0);
	assert_int_equal(st->v[1].prob_bp, 5000);
	sp_stages_free(st);
}

/* Blanks around inline names are not part of the name (the usual way to
 * write --stages 'a, b, won'). */
static void
test_inline_blanks(void **state)
{
	static const struct want w[] = {
		{ "a", SP_OPEN, 3300, -1 },
		{ "b c", SP_OPEN, 6700, -1 },
		{ "won", SP_WON, 10000, -1 },
	};
	sp_stages *st = parse_ok("a,  b c ,won");

	(void)state;
	check_list(st, w, 3);
	sp_stages_free(st);
}

/* Inline entries name[:kind[:probability[:category]]]. */
static void
test_inline_explicit_fields(void **state)
{
	static const struct want w[] = {
		{ "Discovery", SP_OPEN, -1, SP_FC_PIPELINE },
		{ "Demo", SP_OPEN, 4000, SP_FC_PIPELINE },
		{ "Contract", SP_OPEN, 9000, SP_FC_COMMIT },
		{ "Signed", SP_WON, 10000, SP_FC_CLOSED },
		{ "Dead", SP_LOST, 0, SP_FC_OMITTED },
		{ "Parked", SP_LOST, 500, SP_FC_OMITTED },
	};
	sp_stages *st = parse_ok("Discovery,Demo:open:40,"
	    "Contract:open:90:commit,Signed:won,Dead:lost,Parked:lost:5");

	(void)state;
	check_list(st, w, 6);
	assert_int_equal(sp_stages_first_won(st), 3);
	sp_stages_free(st);
}

/* A given kind beats the naming rule; a given probability may have
 * decimals or a '%' (a probability as sp_prob_parse reads it). */
static void
test_inline_kind_beats_name(void **state)
{
	static const struct want w[] = {
		{ "Closed Won", SP_OPEN, 1250, SP_FC_BEST_CASE },
		{ "Done", SP_WON, 10000, SP_FC_CLOSED },
	};
	sp_stages *st = parse_ok("Closed Won:open:12.5%:best_case,Done:won");

	(void)state;
	check_list(st, w, 2);
	sp_stages_free(st);
}

static void
test_inline_bad(void **state)
{
	(void)state;
	parse_bad("");
	parse_bad("won,lost");
	parse_bad("won");
	parse_bad("Closed Won,Closed Lost");
	parse_bad("/nonexistent/dir/stages.csv");
	parse_bad("missing-stages-file.csv");
	parse_bad("a:maybe,won");
	parse_bad("a:open:150,won");
	parse_bad("a:open:abc,won");
	parse_bad("a:open:50:sometimes,won");
}

/* ---- CSV files ---- */

static void
test_file_full(void **state)
{
	static const struct want w[] = {
		{ "Prospecting", SP_OPEN, 1000, SP_FC_PIPELINE },
		{ "Negotiation/Review", SP_OPEN, 7500, SP_FC_COMMIT },
		{ "Perception Analysis", SP_OPEN, 6000, SP_FC_BEST_CASE },
		{ "Closed Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "Closed Lost", SP_LOST, 0, SP_FC_OMITTED },
	};
	char path[64];
	sp_stages *st;

	(void)state;
	temp_file(path, sizeof path, 1,
	    "stage,kind,probability,forecast_category\n"
	    "Prospecting,open,10,pipeline\n"
	    "Negotiation/Review,open,75,commit\n"
	    "\"Perception Analysis\",open,60,best_case\n"
	    "Closed Won,won,100,closed\n"
	    "Closed Lost,lost,0,omitted\n");
	st = parse_ok(path);
	check_list(st, w, 5);
	assert_int_equal(sp_stages_find(st, "closed won", 10), 3);
	sp_stages_free(st);
	unlink(path);
}

/* A path without .csv is a file when it exists; CRLF line ends. */
static void
test_file_without_suffix(void **state)
{
	static const struct want w[] = {
		{ "A", SP_OPEN, 2000, SP_FC_PIPELINE },
		{ "B", SP_OPEN, 4000, SP_FC_BEST_CASE },
		{ "Done", SP_WON, 10000, SP_FC_CLOSED },
		{ "Gone", SP_LOST, 0, SP_FC_OMITTED },
	};
	char path[64];
	sp_stages *st;

	(void)state;
	temp_file(path, sizeof path, 0,
	    "stage,kind,probability,forecast_category\r\n"
	    "A,open,20,pipeline\r\n"
	    "B,open,40,best_case\r\n"
	    "Done,won,100,closed\r\n"
	    "Gone,lost,0,omitted\r\n");
	st = parse_ok(path);
	check_list(st, w, 4);
	sp_stages_free(st);
	unlink(path);
}

/* Only the stage column.  The header does not say which kinds and
 * probabilities such stages get (the won/lost naming rule is stated for
 * inline lists only), so only the names and their order are pinned. */
static void
test_file_stage_column_only(void **state)
{
	static const char *const names[] = { "A", "B", "Closed Won",
	    "Closed Lost" };
	char path[64];
	sp_stages *st;
	size_t i;

	(void)state;
	temp_file(path, sizeof path, 1,
	    "stage\nA\nB\nClosed Won\nClosed Lost\n");
	st = parse_ok(path);
	assert_int_equal(st->n, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(st->v[i].name, names[i]);
	assert_int_equal(sp_stages_first_open(st), 0);
	assert_int_equal(st->v[0].kind, SP_OPEN);
	sp_stages_free(st);
	unlink(path);
}

static void
file_bad(const char *text)
{
	char path[64];

	temp_file(path, sizeof path, 1, text);
	parse_bad(path);
	unlink(path);
}

static void
test_file_bad(void **state)
{
	(void)state;
	/* no header */
	file_bad("A,open,10,pipeline\nB,won,100,closed\n");
	/* unknown kind, probability out of range, unknown category */
	file_bad("stage,kind\nA,maybe\nB,won\n");
	file_bad("stage,kind,probability\nA,open,150\nB,won,100\n");
	file_bad("stage,kind,probability\nA,open,abc\nB,won,100\n");
	file_bad("stage,forecast_category\nA,sometimes\nB,closed\n");
	/* no open stage */
	file_bad("stage,kind\nW,won\nL,lost\n");
	/* empty */
	file_bad("");
	file_bad("stage\n");
}

/* ---- sp_stages_find ---- */

static void
test_find(void **state)
{
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);

	(void)state;
	assert_int_equal(sp_stages_find(st, "proposal", 8), 2);
	assert_int_equal(sp_stages_find(st, "PROPOSAL", 8), 2);
	assert_int_equal(sp_stages_find(st, "  Proposal  ", 12), 2);
	assert_int_equal(sp_stages_find(st, "\tproposal", 9), 2);
	assert_int_equal(sp_stages_find(st, "negotiation", 11), 3);
	assert_int_equal(sp_stages_find(st, "proposal", 8), 2);
	assert_int_equal(sp_stages_find(st, "qualification", 13), 0);
	assert_int_equal(sp_stages_find(st, "Lost", 4), 5);
	/* n bounds the text: "wonder" cut to "won" */
	assert_int_equal(sp_stages_find(st, "wonder", 3), 4);
	/* unknown */
	assert_int_equal(sp_stages_find(st, "propos", 6), -1);
	assert_int_equal(sp_stages_find(st, "proposals", 9), -1);
	assert_int_equal(sp_stages_find(st, "proposal x", 10), -1);
	assert_int_equal(sp_stages_find(st, "", 0), -1);
	assert_int_equal(sp_stages_find(st, "   ", 3), -1);
	assert_int_equal(sp_stages_find(st, "wonder", 6), -1);
	/* after a miss, a hit still works (last-match cache) */
	assert_int_equal(sp_stages_find(st, "discovery", 9), 1);
	assert_int_equal(sp_stages_find(st, "DISCOVERY ", 10), 1);
	sp_stages_free(st);
}

static void
test_find_all_positions(void **state)
{
	sp_stages *st = parse_ok("Prospecting,Id. Decision Makers,"
	    "Proposal/Price Quote,Closed Won,Closed Lost");
	const char *q[] = { "prospecting", "id. decision makers",
	    "PROPOSAL/PRICE QUOTE", " closed won ", "Closed Lost" };
	int i, j;

	(void)state;
	/* every order of lookups, so the cached last match is exercised */
	for (j = 0; j < 5; j++)
		for (i = 0; i < 5; i++) {
			int k = (i + j) % 5;

			assert_int_equal(sp_stages_find(st, q[k], strlen(q[k])), k);
		}
	sp_stages_free(st);
}

/* ---- names of kinds and categories ---- */

static void
test_kind_category_names(void **state)
{
	(void)state;
	assert_string_equal(sp_stage_kind_name(SP_OPEN), "open");
	assert_string_equal(sp_stage_kind_name(SP_WON), "won");
	assert_string_equal(sp_stage_kind_name(SP_LOST), "lost");
	assert_int_equal(sp_stage_kind_parse("open"), SP_OPEN);
	assert_int_equal(sp_stage_kind_parse("won"), SP_WON);
	assert_int_equal(sp_stage_kind_parse("lost"), SP_LOST);
	assert_int_equal(sp_stage_kind_parse("closed"), -1);
	assert_int_equal(sp_stage_kind_parse(""), -1);

	assert_string_equal(sp_stage_category_name(SP_FC_PIPELINE), "pipeline");
	assert_string_equal(sp_stage_category_name(SP_FC_BEST_CASE), "best_case");
	assert_string_equal(sp_stage_category_name(SP_FC_COMMIT), "commit");
	assert_string_equal(sp_stage_category_name(SP_FC_CLOSED), "closed");
	assert_string_equal(sp_stage_category_name(SP_FC_OMITTED), "omitted");
	assert_int_equal(sp_stage_category_parse("pipeline"), SP_FC_PIPELINE);
	assert_int_equal(sp_stage_category_parse("best_case"), SP_FC_BEST_CASE);
	assert_int_equal(sp_stage_category_parse("commit"), SP_FC_COMMIT);
	assert_int_equal(sp_stage_category_parse("closed"), SP_FC_CLOSED);
	assert_int_equal(sp_stage_category_parse("omitted"), SP_FC_OMITTED);
	assert_int_equal(sp_stage_category_parse("upside"), -1);
	assert_int_equal(sp_stage_category_parse(""), -1);
}

/* ---- sp_stages_resolve ---- */

static void
resolve_names(const char *spec, const char *preset, int which,
    const char *known)
{
	sp_error e;
	sp_stages *st;
	char want[512];

	/* a resolved list says where another one comes from */
	snprintf(want, sizeof(want), "%s; another stage list: --stages or $%s",
	    known, which == SP_STAGES_LEADS ? "SALESPIPE_LEAD_STAGES" :
	    "SALESPIPE_STAGES");
	sp_err_clear(&e);
	st = sp_stages_resolve(spec, preset, which, &e);
	if (st == NULL)
		fail_msg("stages_resolve failed: %s", e.msg);
	if (strcmp(sp_stages_known(st), want) != 0)
		fail_msg("stages_resolve gave '%s', want '%s'",
		    sp_stages_known(st), want);
	sp_stages_free(st);
}

static void
test_resolve_order(void **state)
{
	sp_error e;

	(void)state;
	unsetenv("SALESPIPE_STAGES");
	unsetenv("SALESPIPE_LEAD_STAGES");
	/* nothing: the default */
	resolve_names(NULL, NULL, SP_STAGES_DEALS,
	    "qualification, discovery, proposal, negotiation, won, lost");
	resolve_names(NULL, NULL, SP_STAGES_LEADS,
	    "new, contacted, qualified, converted, disqualified");
	/* a preset's list beats the default */
	resolve_names(NULL, "p1,p2,Closed Won", SP_STAGES_DEALS,
	    "p1, p2, Closed Won");
	/* $SALESPIPE_STAGES beats the preset */
	setenv("SALESPIPE_STAGES", "e1,won", 1);
	resolve_names(NULL, "p1,p2,Closed Won", SP_STAGES_DEALS, "e1, won");
	/* ... for deals: leads read their own variable */
	unsetenv("SALESPIPE_LEAD_STAGES");
	resolve_names(NULL, NULL, SP_STAGES_LEADS,
	    "new, contacted, qualified, converted, disqualified");
	setenv("SALESPIPE_LEAD_STAGES", "l1,l2,converted:won", 1);
	resolve_names(NULL, NULL, SP_STAGES_LEADS, "l1, l2, converted");
	resolve_names(NULL, NULL, SP_STAGES_DEALS, "e1, won");
	unsetenv("SALESPIPE_LEAD_STAGES");
	/* the spec beats everything */
	resolve_names("s1,s2,won,lost", "p1,won", SP_STAGES_DEALS,
	    "s1, s2, won, lost");
	/* an empty $SALESPIPE_STAGES is as good as unset */
	setenv("SALESPIPE_STAGES", "", 1);
	resolve_names(NULL, "p1,won", SP_STAGES_DEALS, "p1, won");
	resolve_names(NULL, NULL, SP_STAGES_DEALS,
	    "qualification, discovery, proposal, negotiation, won, lost");
	/* a bad spec is an error, not a fallback */
	sp_err_clear(&e);
	assert_null(sp_stages_resolve("won,lost", NULL, SP_STAGES_DEALS, &e));
	assert_true(e.msg[0] != '\0');
	setenv("SALESPIPE_STAGES", "won,lost", 1);
	sp_err_clear(&e);
	assert_null(sp_stages_resolve(NULL, NULL, SP_STAGES_DEALS, &e));
	assert_true(e.msg[0] != '\0');
	unsetenv("SALESPIPE_STAGES");
}

/* ---- kinds written or guessed, probabilities missing (issue 9) ---- */

/* The warning of stage i of spec (NULL: none), into a static buffer. */
static const char *
warning_of(const char *spec, size_t i)
{
	static char buf[1024];
	sp_error e;
	sp_stages *st;
	const char *w;

	sp_err_clear(&e);
	if ((st = sp_stages_parse(spec, &e)) == NULL)
		fail_msg("stages_parse('%s'): %s", spec, e.msg);
	w = sp_stages_warning(st, i, buf, sizeof(buf));
	sp_stages_free(st);
	return w;
}

static void
test_warning_inline(void **state)
{
	const char *w;

	(void)state;
	/* typed inline without a kind, "Won" first: open, and said so */
	w = warning_of("Prospecting,Won - Closed self-serve,Closed Won,Lost",
	    1);
	assert_non_null(w);
	assert_non_null(strstr(w, "'Won - Closed self-serve'"));
	assert_non_null(strstr(w, "'Won - Closed self-serve:won'"));
	assert_non_null(strstr(w, "salespipe-stages(5)"));
	/* "lost" as a word, any case */
	w = warning_of("a,LOST - no budget,won,lost", 1);
	assert_non_null(w);
	assert_non_null(strstr(w, "says lost"));
	assert_non_null(strstr(w, "'LOST - no budget:lost'"));
	w = warning_of("a,Deal (won),won,lost", 1);
	assert_non_null(w);
	/* a word only: letters or digits around make another word */
	assert_null(warning_of("a,Wonderful,Lostwax,won2,won,lost", 1));
	assert_null(warning_of("a,Wonderful,Lostwax,won2,won,lost", 2));
	assert_null(warning_of("a,Wonderful,Lostwax,won2,won,lost", 3));
	/* the kind taken from the name, or written: nothing to say */
	assert_null(warning_of("a,Closed Won,won,lost", 1));
	assert_null(warning_of("a,Won - self-serve:won,lost", 1));
	assert_null(warning_of("a,Won - later:open,won,lost", 1));
	/* open stages without the words, won and lost stages */
	assert_null(warning_of("a,b,won,lost", 0));
	assert_null(warning_of("a,b,won,lost", 2));
	assert_null(warning_of("a,b,won,lost", 3));
	/* out of range */
	assert_null(warning_of("a,won", 7));
}

static void
test_warning_file(void **state)
{
	char path[64];
	sp_error e;
	sp_stages *st;
	char buf[512];

	(void)state;
	temp_file(path, sizeof(path), 1, "stage,kind,probability\n"
	    "new,,10\n"
	    "Won - self serve,,\n"
	    "Won - paid,won,\n"
	    "Lost - later,open,5\n"
	    "won,won,\n"
	    "lost,,\n");
	sp_err_clear(&e);
	st = sp_stages_parse(path, &e);
	unlink(path);
	assert_non_null(st);
	/* a file: the fix is its kind column */
	assert_null(sp_stages_warning(st, 0, buf, sizeof(buf)));
	assert_non_null(sp_stages_warning(st, 1, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "kind column"));
	assert_null(sp_stages_warning(st, 2, buf, sizeof(buf)));
	assert_null(sp_stages_warning(st, 3, buf, sizeof(buf)));
	assert_int_equal(st->v[2].kind, SP_WON);
	/* flags: the kind written; an open stage without probability */
	assert_int_equal(st->v[0].flags, 0);
	assert_int_equal(st->v[1].flags, SP_STAGE_NO_PROB);
	assert_int_equal(st->v[2].flags, SP_STAGE_KIND_SET);
	assert_int_equal(st->v[3].flags, SP_STAGE_KIND_SET);
	assert_int_equal(st->v[4].flags, SP_STAGE_KIND_SET);
	assert_int_equal(st->v[5].flags, 0);	/* lost: by its name */
	assert_int_equal(st->v[5].kind, SP_LOST);
	assert_int_equal(st->v[1].prob_bp, 0);
	sp_stages_free(st);

	/* a stage file without a probability column at all */
	temp_file(path, sizeof(path), 1, "stage\na\nb\nwon\nlost\n");
	st = sp_stages_parse(path, &e);
	unlink(path);
	assert_non_null(st);
	assert_int_equal(st->v[0].flags, SP_STAGE_NO_PROB);
	assert_int_equal(st->v[1].flags, SP_STAGE_NO_PROB);
	assert_int_equal(st->v[2].flags, 0);	/* won: 100% */
	assert_int_equal(st->v[2].prob_bp, 10000);
	sp_stages_free(st);

	/* inline lists spread probabilities: never "missing" */
	sp_err_clear(&e);
	st = sp_stages_parse("a,b:open,won,lost", &e);
	assert_non_null(st);
	assert_int_equal(st->v[0].flags, 0);
	assert_int_equal(st->v[1].flags, SP_STAGE_KIND_SET);
	assert_int_equal(st->v[0].prob_bp, 3300);
	sp_stages_free(st);
}

/* ---- pipelines and stage ids ---- */

/* Two pipelines from a file, rows of one interleaved with the other's:
 * grouped in order of first appearance, names "pipeline: label". */
static void
test_file_pipelines(void **state)
{
	static const struct want w[] = {
		{ "Sales: Demo", SP_OPEN, 2000, SP_FC_PIPELINE },
		{ "Sales: Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "Renewals: Demo", SP_OPEN, 5000, SP_FC_PIPELINE },
		{ "Renewals: Renewed", SP_WON, 10000, SP_FC_CLOSED },
		{ "Sales: Lost", SP_LOST, 0, SP_FC_OMITTED } };
	static const struct want grouped[] = {
		{ "Sales: Demo", SP_OPEN, 2000, SP_FC_PIPELINE },
		{ "Sales: Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "Sales: Lost", SP_LOST, 0, SP_FC_OMITTED },
		{ "Renewals: Demo", SP_OPEN, 5000, SP_FC_PIPELINE },
		{ "Renewals: Renewed", SP_WON, 10000, SP_FC_CLOSED } };
	char path[64], known[64];
	sp_error e;
	sp_stages *st;

	(void)state;
	(void)w;
	temp_file(path, sizeof path, 1,
	    "pipeline_id,pipeline,id,stage,kind,probability\n"
	    "default,Sales,s1,Demo,open,20\n"
	    "default,Sales,s2,Won,won,100\n"
	    "77,Renewals,r1,Demo,open,50\n"
	    "77,Renewals,r2,Renewed,won,100\n"
	    "default,Sales,s3,Lost,lost,0\n");
	sp_err_clear(&e);
	st = sp_stages_parse(path, &e);
	unlink(path);
	if (st == NULL)
		fail_msg("%s", e.msg);
	check_list(st, grouped, 5);
	assert_int_equal(st->npipes, 2);
	assert_string_equal(st->pipes[0].label, "Sales");
	assert_string_equal(st->pipes[0].id, "default");
	assert_string_equal(st->v[3].label, "Demo");
	assert_string_equal(st->v[3].id, "r1");
	assert_int_equal(st->v[3].pipeline, 1);
	/* pipelines by label or id, any case */
	assert_int_equal(sp_stages_pipeline(st, "sales", 5), 0);
	assert_int_equal(sp_stages_pipeline(st, " 77 ", 4), 1);
	assert_int_equal(sp_stages_pipeline(st, "Other", 5), -1);
	/* a stage of a pipeline by label, id or name */
	assert_int_equal(sp_stages_find_in(st, 1, "demo", 4), 3);
	assert_int_equal(sp_stages_find_in(st, 0, "Demo", 4), 0);
	assert_int_equal(sp_stages_find_in(st, 0, "S3", 2), 2);
	assert_int_equal(sp_stages_find_in(st, 1, "Renewals: Renewed", 17), 4);
	assert_int_equal(sp_stages_find_in(st, 1, "s2", 2), -1);
	assert_int_equal(sp_stages_find_in(st, 0, "Renewed", 7), -1);
	/* no pipeline: a label of two pipelines is ambiguous, one of one
	 * is found, and so is a unique name */
	assert_int_equal(sp_stages_find_in(st, -1, "Demo", 4), -2);
	assert_int_equal(sp_stages_find(st, "Demo", 4), -1);
	assert_int_equal(sp_stages_find(st, "renewed", 7), 4);
	assert_int_equal(sp_stages_find(st, "r2", 2), 4);
	assert_int_equal(sp_stages_find(st, "Sales: Demo", 11), 0);
	/* the first of a kind in a stage's pipeline */
	assert_int_equal(sp_stages_first_of(st, 4, SP_OPEN), 3);
	assert_int_equal(sp_stages_first_of(st, 0, SP_LOST), 2);
	assert_int_equal(sp_stages_first_of(st, 3, SP_LOST), -1);
	assert_int_equal(sp_stages_first_of(st, -1, SP_WON), 1);
	assert_true(sp_stages_same_pipeline(st, 0, 2));
	assert_false(sp_stages_same_pipeline(st, 2, 3));
	assert_string_equal(sp_stages_known_in(st, 1, known, sizeof known),
	    "Demo, Renewed");
	assert_string_equal(sp_stages_known_in(st, -1, known, sizeof known),
	    "Sales, Renewals");
	/* cut short with "..." */
	assert_string_equal(sp_stages_known_in(st, 0, known, 12), "Demo, ...");
	sp_stages_free(st);
}

/* Inline ids and one pipeline: names stay plain, ids find stages. */
static void
test_inline_ids_pipeline(void **state)
{
	static const struct want w[] = {
		{ "Lead", SP_OPEN, 5000, SP_FC_PIPELINE },
		{ "Closed Won", SP_WON, 10000, SP_FC_CLOSED },
		{ "Closed Lost", SP_LOST, 0, SP_FC_OMITTED } };
	sp_error e;
	sp_stages *st;

	(void)state;
	sp_err_clear(&e);
	st = sp_stages_parse("Lead::::lead1:Sales Pipeline|default,"
	    "Closed Won::::closedwon:Sales Pipeline|default,"
	    "Closed Lost::::closedlost:Sales Pipeline", &e);
	if (st == NULL)
		fail_msg("%s", e.msg);
	check_list(st, w, 3);
	assert_int_equal(st->npipes, 1);
	assert_string_equal(st->pipes[0].id, "default");
	assert_int_equal(sp_stages_find(st, "CLOSEDWON", 9), 1);
	assert_int_equal(sp_stages_find(st, "closed won", 10), 1);
	assert_int_equal(sp_stages_pipeline(st, "default", 7), 0);
	sp_stages_free(st);
	/* without pipelines or ids, find is as before */
	st = sp_stages_parse("a,b:won", &e);
	assert_non_null(st);
	assert_int_equal(st->npipes, 0);
	assert_int_equal(st->v[0].pipeline, -1);
	assert_int_equal(sp_stages_first_of(st, 0, SP_WON), 1);
	assert_true(sp_stages_same_pipeline(st, 0, 1));
	sp_stages_free(st);
}

static void
test_pipelines_bad(void **state)
{
	(void)state;
	/* a stage without a pipeline in a list with pipelines */
	file_bad("pipeline,stage,kind\nA,x,open\n,y,won\n");
	/* a pipeline without an open stage */
	file_bad("pipeline,stage,kind\nA,x,open\nB,y,won\n");
	/* one id twice in a pipeline (fine in two) */
	file_bad("pipeline,stage,id\nA,x,1\nA,y,1\n");
	/* one label twice in a pipeline */
	parse_bad("x::::1:A,X::::2:A");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_deals),
		cmocka_unit_test(test_default_leads),
		cmocka_unit_test(test_default_is_a_copy),
		cmocka_unit_test(test_inline_basic),
		cmocka_unit_test(test_inline_kind_suffixes),
		cmocka_unit_test(test_inline_probabilities),
		cmocka_unit_test(test_inline_first_open_not_first),
		cmocka_unit_test(test_inline_blanks),
		cmocka_unit_test(test_inline_explicit_fields),
		cmocka_unit_test(test_inline_kind_beats_name),
		cmocka_unit_test(test_inline_bad),
		cmocka_unit_test(test_file_full),
		cmocka_unit_test(test_file_without_suffix),
		cmocka_unit_test(test_file_stage_column_only),
		cmocka_unit_test(test_file_bad),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_all_positions),
		cmocka_unit_test(test_kind_category_names),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_warning_inline),
		cmocka_unit_test(test_warning_file),
		cmocka_unit_test(test_file_pipelines),
		cmocka_unit_test(test_inline_ids_pipeline),
		cmocka_unit_test(test_pipelines_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
