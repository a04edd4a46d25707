/*
 * pipeline: fold a history into the pipeline as it stood at a time: one
 * record per id carrying the latest value of every field, with the fields
 * derived from its stage path.  Also repairs a journal's torn tail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/journal.h"

static const char usage[] =
    "usage: pipeline [--as-of time] [--now time] [--leads] [-i csv|jsonl]\n"
    "                [-o csv|jsonl|table|md] [--map spec] [--stages spec]\n"
    "                [--date-format format] [--tz zone] [--max-bad n]\n"
    "                [--rejects file] [--encoding encoding]\n"
    "                [--delimiter sep] [--max-record-size size]\n"
    "                [--decimal-comma] [--thousands sep]\n"
    "                [--spreadsheet-safe] [file ...]\n"
    "       pipeline --repair file\n";

enum { OPT_LEADS = 1, OPT_REPAIR };

/* Derived fields, in output order; an input field of the same name is
 * replaced by them. */
enum { D_CREATED, D_STAGE, D_ENTERED, D_STATUS, D_CLOSED, D_LOST_STAGE,
	D_REACHED, D_AGE, D_IN_STAGE, D_MOVES, D_PUSHES, D_UPDATED, ND };
static const char *const derived[ND] = { "created_at", "stage",
	"stage_entered_at", "status", "closed_at", "lost_stage",
	"reached_stage", "age_days", "days_in_stage", "moves",
	"close_date_pushes", "updated_at" };

struct ctx {
	sp_cli *c;
	sp_deals *ds;
	sp_writer *w;
	int *cols;		/* pass-through slots, id first */
	size_t ncols;
	const char **vals;
	int64_t t;		/* the time the pipeline is taken at */
};

static int
is_derived(const char *name)
{
	size_t i;

	if (strcmp(name, "at") == 0)
		return 1;
	for (i = 0; i < ND; i++)
		if (strcmp(name, derived[i]) == 0)
			return 1;
	return 0;
}

/* The columns, once the fold has seen every field. */
static void
start(struct ctx *x)
{
	sp_cli *c = x->c;
	size_t n, i;
	const int *f = sp_deals_fields(x->ds, &n);
	int id = sp_reader_slot(c->rd, "id");

	if ((x->cols = calloc(n + 1, sizeof(*x->cols))) == NULL ||
	    (x->vals = calloc(n + 1 + ND, sizeof(*x->vals))) == NULL)
		cli_oom(c);
	x->cols[x->ncols++] = id;
	for (i = 0; i < n; i++)
		if (f[i] != id && !is_derived(sp_reader_slot_name(c->rd, f[i])))
			x->cols[x->ncols++] = f[i];
	x->w = cli_writer(c);
	for (i = 0; i < x->ncols; i++)
		if (sp_writer_col(x->w, sp_reader_slot_name(c->rd, x->cols[i]),
		    SP_COL_STR) < 0)
			cli_oom(c);
	for (i = 0; i < ND; i++)
		if (sp_writer_col(x->w, derived[i], i >= D_AGE && i != D_UPDATED ?
		    SP_COL_NUM : SP_COL_STR) < 0)
			cli_oom(c);
}

static int
add_deal(void *p, const sp_deal *d, sp_error *e)
{
	struct ctx *x = p;
	sp_stages *st = x->c->stages;
	char created[32], entered[32], closed[32], age[40], in_stage[40],
	    moves[24], pushes[24], updated[32];
	const char **v;
	int64_t end;
	size_t i;

	if (d->vals == NULL) {
		/* the wrong kind of input, not a bad record: --max-bad must
		   not skip every record of a snapshot and answer nothing */
		sp_err_set(e, "at", "missing: pipeline folds a history "
		    "(records with 'at'); this input is a snapshot");
		sp_err_where(e, d->file, d->line);
		cli_fail(x->c, e);
	}
	if (x->w == NULL)
		start(x);
	v = x->vals;
	for (i = 0; i < x->ncols; i++)
		v[i] = (size_t)x->cols[i] < d->nvals ? d->vals[x->cols[i]] :
		    NULL;
	v += x->ncols;
	end = d->kind != SP_OPEN ? d->closed_at : x->t;
	v[D_CREATED] = sp_time_format(d->created_at, created);
	v[D_STAGE] = st->v[d->stage].name;
	v[D_ENTERED] = sp_time_format(d->path[d->npath - 1].at, entered);
	v[D_STATUS] = sp_stage_kind_name(d->kind);
	v[D_CLOSED] = d->kind != SP_OPEN ? sp_time_format(d->closed_at, closed) :
	    "";
	v[D_LOST_STAGE] = d->kind == SP_LOST && d->lost_stage >= 0 ?
	    st->v[d->lost_stage].name : "";
	v[D_REACHED] = d->max_stage >= 0 ? st->v[d->max_stage].name : "";
	v[D_AGE] = sp_duration_format((double)(end - d->created_at),
	    SP_UNIT_DAYS, age);
	v[D_IN_STAGE] = sp_duration_format((double)(x->t -
	    d->path[d->npath - 1].at), SP_UNIT_DAYS, in_stage);
	v[D_MOVES] = sp_count_format((int64_t)d->npath - 1, moves);
	v[D_PUSHES] = sp_count_format(d->pushes, pushes);
	v[D_UPDATED] = sp_time_format(d->last_at, updated);
	if (sp_writer_row(x->w, x->vals) < 0)
		return sp_err_set(e, NULL, "write error");
	return 0;
}

static int
repair(const char *prog, const char *path)
{
	sp_error e;
	int64_t off, n;
	long line;
	char *dropped, q[80];

	if ((n = sp_journal_repair(path, &off, &line, &dropped, &e)) < 0) {
		char buf[2048];
		fprintf(stderr, "%s\n", sp_err_format(&e, prog, buf, sizeof(buf)));
		return SP_EXIT_DATA;
	}
	if (n == 0) {
		fprintf(stderr, "%s: %s: no torn record (%lld bytes of whole "
		    "records): nothing to do\n", prog, path, (long long)off);
		return SP_EXIT_OK;
	}
	fwrite(dropped, 1, (size_t)n, stdout);
	fprintf(stderr, "%s: %s:%ld: dropped the torn record at byte %lld "
	    "(%lld bytes: '%s'), written to the standard output\n", prog,
	    path, line, (long long)off, (long long)n,
	    sp_err_quote(q, sizeof(q), dropped, (size_t)n));
	free(dropped);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error on the standard output (the "
		    "journal is repaired)\n", prog);
		return SP_EXIT_DATA;
	}
	return SP_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_WRITE_LONGOPTS,
		{ "as-of", required_argument, NULL, CLI_OPT_AS_OF },
		{ "leads", no_argument, NULL, OPT_LEADS },
		{ "repair", required_argument, NULL, OPT_REPAIR },
		CLI_SPREADSHEET_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	sp_cli c;
	struct ctx x;
	sp_deals_opts o;
	const char *repair_path = NULL;
	int ch, rc;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = getopt_long(argc, argv, CLI_WRITE_SHORTOPTS, opts,
	    NULL)) != -1) {
		if (cli_option(&c, ch, optarg))
			continue;
		if (ch == OPT_LEADS)
			c.stage_list = SP_STAGES_LEADS;
		else if (ch == OPT_REPAIR)
			repair_path = optarg;
		else
			cli_usage(&c);
	}
	argc -= optind;
	argv += optind;
	if (repair_path != NULL) {
		if (argc > 0)
			cli_usage_error(&c, "--repair takes one journal and no "
			    "other file");
		return repair(c.prog, repair_path);
	}
	cli_open(&c, argc, argv);
	c.pass_through = 1;	/* every field is written */
	memset(&x, 0, sizeof(x));
	x.c = &c;
	x.t = c.has_as_of ? c.as_of : c.cal.now;
	cli_deals_opts(&c, &o, SP_NEED_ALL | SP_NEED_CREATED | SP_NEED_CLOSED |
	    SP_NEED_CLOSE_DATE, add_deal, &x);
	if ((x.ds = sp_deals_new(c.rd, c.stages, &o)) == NULL)
		cli_oom(&c);
	cli_run_deals(&c, x.ds);
	if (x.w == NULL && sp_deals_is_history(x.ds))
		start(&x);	/* every id was bad: still the header */
	rc = cli_finish(&c, x.w);
	sp_deals_free(x.ds);
	free(x.cols);
	free(x.vals);
	return rc;
}
