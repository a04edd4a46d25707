/*
 * cli: what every program does the same way: common options, opening the
 * inputs, the bad-record policy, --explain rows, the output writer and the
 * final check of stdout.  The one module that prints and exits (the way
 * sbase's libutil does for its tools).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

void
cli_init(sp_cli *c, char **argv, const char *usage, int stage_list)
{
	const char *slash = strrchr(argv[0], '/');

	memset(c, 0, sizeof(*c));
	c->prog = slash ? slash + 1 : argv[0];
	argv[0] = (char *)c->prog;
	c->usage = usage;
	c->stage_list = stage_list;
	c->fiscal_start = 1;
	c->unit = SP_UNIT_DAYS;
}

void
cli_usage(sp_cli *c)
{
	fputs(c->usage, stderr);
	exit(SP_EXIT_USAGE);
}

void
cli_usage_error(sp_cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(c);
}

void
cli_error(const sp_cli *c, const sp_error *e)
{
	char buf[2048];

	fprintf(stderr, "%s\n", err_format(e, c->prog, buf, sizeof(buf)));
}

void
cli_warn(const sp_cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_fail(sp_cli *c, const sp_error *e)
{
	cli_error(c, e);
	exit(SP_EXIT_DATA);
}

static int
month_parse(const char *s)
{
	static const char *const m[] = { "jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	char *end;
	long v = strtol(s, &end, 10);
	int i;

	if (*s != '\0' && *end == '\0')
		return v >= 1 && v <= 12 ? (int)v : -1;
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, m[i], 3) == 0)
			return i + 1;
	return -1;
}

static void
add_by(sp_cli *c, const char *arg)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char **v;

		if (n == 0)
			cli_usage_error(c, "-g: empty field name in '%s'", arg);
		if ((v = realloc(c->by, (c->nby + 1) * sizeof(*v))) == NULL ||
		    (v[c->nby] = strndup(p, n)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			exit(SP_EXIT_DATA);
		}
		c->by = v;
		c->nby++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

int
cli_option(sp_cli *c, int opt, const char *arg)
{
	sp_error e;
	char *end;

	switch (opt) {
	case 'g':
		add_by(c, arg);
		return 1;
	case 'i':
		c->in_fmt = format_parse(arg);
		if (c->in_fmt != SP_FMT_CSV && c->in_fmt != SP_FMT_JSONL)
			cli_usage_error(c, "-i: '%s' is not csv or jsonl", arg);
		return 1;
	case 'o':
		if ((c->out_fmt = format_parse(arg)) < 0)
			cli_usage_error(c, "-o: '%s' is not csv, jsonl, table "
			    "or md", arg);
		return 1;
	case CLI_OPT_MAP:
		err_clear(&e);
		if (c->map == NULL && (c->map = map_new()) == NULL)
			cli_usage_error(c, "out of memory");
		if (map_add(c->map, arg, &e) < 0) {
			cli_error(c, &e);
			cli_usage(c);
		}
		return 1;
	case CLI_OPT_STAGES:
		c->stages_spec = arg;
		return 1;
	case CLI_OPT_DATE_FORMAT:
		c->date_format = arg;
		return 1;
	case CLI_OPT_NOW:
		c->now_text = arg;
		return 1;
	case CLI_OPT_MAX_BAD:
		errno = 0;
		c->max_bad = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || c->max_bad < 0 ||
		    errno != 0)
			cli_usage_error(c, "--max-bad: '%s' is not a count", arg);
		return 1;
	case CLI_OPT_REJECTS:
		c->rejects_path = arg;
		return 1;
	case CLI_OPT_PERIOD:
		c->period_text = arg;
		return 1;
	case CLI_OPT_EVERY:
		if ((c->every = every_parse(arg)) < 0)
			cli_usage_error(c, "--every: '%s' is not day, week, "
			    "month, quarter or year", arg);
		return 1;
	case CLI_OPT_FISCAL_START:
		if ((c->fiscal_start = month_parse(arg)) < 0)
			cli_usage_error(c, "--fiscal-start: '%s' is not a month "
			    "(1-12 or jan-dec)", arg);
		return 1;
	case CLI_OPT_EXPLAIN:
		c->explain = 1;
		return 1;
	case CLI_OPT_AS_OF:
		c->as_of_text = arg;
		return 1;
	case CLI_OPT_PROB_SCALE:
		if (strcmp(arg, "1") == 0)
			c->prob_scale_given = 1;
		else if (strcmp(arg, "100") == 0)
			c->prob_scale_given = 100;
		else
			cli_usage_error(c, "--probability-scale: '%s' is not 1 "
			    "(fractions, 0.4 is 40%%) or 100 (percentages)",
			    arg);
		return 1;
	case CLI_OPT_UNIT:
		if ((c->unit = unit_parse(arg)) < 0)
			cli_usage_error(c, "--unit: '%s' is not days, hours or "
			    "minutes", arg);
		return 1;
	case 'V':
		printf("%s (salespipe) %s\n", c->prog, SALESPIPE_VERSION);
		exit(cli_finish(c, NULL));
	case 'h':
		fputs(c->usage, stdout);
		exit(cli_finish(c, NULL));
	case '?':
		cli_usage(c);
	default:
		return 0;
	}
}

void
cli_oom(sp_cli *c)
{
	fprintf(stderr, "%s: out of memory\n", c->prog);
	exit(SP_EXIT_DATA);
}

/*
 * Write the rejects header or a reject row (v may be NULL: just the
 * header) and flush it; a failing write ends the run at once.
 */
static void
rejects_flush(sp_cli *c, const char **v)
{
	int bad = v != NULL ? writer_row(c->rejects_w, v) < 0 :
	    writer_finish(c->rejects_w) < 0;

	if (v != NULL && !bad)
		bad = fflush(c->rejects_fp) != 0 || ferror(c->rejects_fp);
	if (bad) {
		fprintf(stderr, "%s: %s: write error: %s\n", c->prog,
		    c->rejects_path, strerror(errno ? errno : EIO));
		exit(SP_EXIT_DATA);
	}
}

/* The stage list's warnings, naming where the list came from. */
static void
stages_warn(const sp_cli *c)
{
	const char *var = c->stage_list == SP_STAGES_LEADS ?
	    "$SALESPIPE_LEAD_STAGES" : "$SALESPIPE_STAGES";
	const char *env = getenv(var + 1), *from = "--map";
	char buf[1024];
	size_t i;

	if (c->stages_spec != NULL)
		from = "--stages";
	else if (env != NULL && env[0] != '\0')
		from = var;
	for (i = 0; i < c->stages->n; i++)
		if (stages_warning(c->stages, i, buf, sizeof(buf)) != NULL)
			cli_warn(c, "%s: %s", from, buf);
}

void
cli_prob_warn(const sp_cli *c, int doubt)
{
	if (doubt && !c->prob_scale_given)
		cli_warn(c, "every probability read is at most 1%%: if they "
		    "are fractions (0.4 meaning 40%%, as HubSpot writes "
		    "them), give --probability-scale 1");
}

void
cli_open(sp_cli *c, int argc, char **argv)
{
	sp_read_opts ro;
	sp_error e;
	size_t i;

	err_clear(&e);
	if (c->as_of_text != NULL) {
		if (time_parse(c->as_of_text, strlen(c->as_of_text), NULL,
		    &c->as_of, &e) < 0)
			cli_usage_error(c, "--as-of: '%s' is not an ISO 8601 "
			    "date or time", c->as_of_text);
		c->has_as_of = 1;
	}
	if (calendar_init(&c->cal, c->now_text ? c->now_text : c->as_of_text,
	    c->fiscal_start, &e) < 0) {
		cli_error(c, &e);
		cli_usage(c);
	}
	if (c->period_text != NULL) {
		if (period_parse(c->period_text, &c->cal, &c->period, &e) < 0) {
			fprintf(stderr, "%s: --period: %s\n", c->prog, e.msg);
			cli_usage(c);
		}
		c->has_period = 1;
	}
	c->stages = stages_resolve(c->stages_spec, map_stages(c->map,
	    c->stage_list), c->stage_list, &e);
	if (c->stages == NULL) {
		char m[1200];
		snprintf(m, sizeof(m), "--stages: %s", e.msg);
		snprintf(e.msg, sizeof(e.msg), "%.1000s", m);
		cli_error(c, &e);
		cli_usage(c);
	}
	stages_warn(c);
	c->prob_scale = c->prob_scale_given ? c->prob_scale_given :
	    map_prob_scale(c->map) ? map_prob_scale(c->map) : 100;
	memset(&ro, 0, sizeof(ro));
	ro.format = c->in_fmt;
	ro.map = c->map;
	c->inputs = argv;
	c->ninputs = (size_t)argc;
	if ((c->rd = reader_open(argv, (size_t)argc, &ro, &e)) == NULL)
		cli_fail(c, &e);
	if (c->nby > 0 && (c->by_slots = calloc(c->nby, sizeof(int))) == NULL)
		cli_oom(c);
	for (i = 0; i < c->nby; i++)
		if ((c->by_slots[i] = reader_slot(c->rd, c->by[i])) < 0)
			cli_oom(c);
	if ((c->parts = calloc(c->nby + 1, sizeof(*c->parts))) == NULL)
		cli_oom(c);
	if (c->rejects_path != NULL) {
		struct stat rs, is;
		/* never truncate an input we are about to read */
		for (i = 0; i < c->ninputs; i++)
			if (stat(c->rejects_path, &rs) == 0 &&
			    stat(c->inputs[i], &is) == 0 &&
			    rs.st_dev == is.st_dev && rs.st_ino == is.st_ino &&
			    S_ISREG(rs.st_mode)) {
				fprintf(stderr, "%s: %s: --rejects would "
				    "overwrite this input\n", c->prog,
				    c->inputs[i]);
				exit(SP_EXIT_DATA);
			}
		if ((c->rejects_fp = fopen(c->rejects_path, "w")) == NULL) {
			fprintf(stderr, "%s: %s: cannot create: %s\n", c->prog,
			    c->rejects_path, strerror(errno));
			exit(SP_EXIT_DATA);
		}
		if ((c->rejects_w = writer_new(c->rejects_fp, SP_FMT_CSV)) ==
		    NULL || writer_col(c->rejects_w, "file", SP_COL_STR) < 0 ||
		    writer_col(c->rejects_w, "line", SP_COL_NUM) < 0 ||
		    writer_col(c->rejects_w, "field", SP_COL_STR) < 0 ||
		    writer_col(c->rejects_w, "reason", SP_COL_STR) < 0 ||
		    writer_col(c->rejects_w, "record", SP_COL_STR) < 0)
			cli_oom(c);
		/* the header now: a file that cannot be written fails here */
		rejects_flush(c, NULL);
	}
}

static int
rejects_close(sp_cli *c)
{
	int rc = 0;

	if (c->rejects_w == NULL)
		return 0;
	if (writer_finish(c->rejects_w) < 0 || fclose(c->rejects_fp) != 0) {
		fprintf(stderr, "%s: %s: write error: %s\n", c->prog,
		    c->rejects_path, strerror(errno));
		rc = -1;
	}
	writer_free(c->rejects_w);
	c->rejects_w = NULL;
	c->rejects_fp = NULL;
	return rc;
}

void
cli_bad(sp_cli *c, const sp_error *e0, const sp_rec *r)
{
	sp_error e = *e0;

	if (e.file[0] == '\0' && r != NULL)
		err_where(&e, r->file, r->line);
	cli_error(c, &e);
	c->nbad++;
	if (c->rejects_w != NULL) {
		char line[24], *rec = NULL;
		const char *v[5];

		if (r != NULL && r->raw != NULL)
			rec = strndup(r->raw, r->rawlen);
		v[0] = e.file;
		v[1] = e.line > 0 ? count_format(e.line, line) : "";
		v[2] = e.field;
		v[3] = e.msg;
		v[4] = rec ? rec : "";
		rejects_flush(c, v);
		free(rec);
	}
	if (c->nbad > c->max_bad) {
		if (c->max_bad > 0)
			fprintf(stderr, "%s: more than %ld bad records "
			    "(--max-bad %ld): giving up\n", c->prog, c->max_bad,
			    c->max_bad);
		rejects_close(c);
		exit(SP_EXIT_DATA);
	}
}

static void
fold_bad(void *ctx, const sp_error *e)
{
	cli_bad(ctx, e, NULL);
}

void
cli_run_deals(sp_cli *c, sp_deals *ds)
{
	sp_rec *r = rec_new();
	sp_error e;
	size_t i, unseen = c->nby, nrec = 0;
	char *seen = calloc(c->nby + 1, 1);
	int k;

	if (r == NULL || seen == NULL)
		cli_oom(c);
	err_clear(&e);
	while ((k = reader_next(c->rd, r, &e)) != 0) {
		if (k == -2)
			cli_fail(c, &e);
		nrec++;
		/* a -g field no record has is almost always a typo */
		for (i = 0; unseen > 0 && i < c->nby; i++)
			if (!seen[i] && rec_get(r, c->by_slots[i]) != NULL) {
				seen[i] = 1;
				unseen--;
			}
		if (k == 1 && deals_add(ds, r, &e) == 0)
			continue;
		cli_bad(c, &e, r);
	}
	for (i = 0; nrec > 0 && i < c->nby; i++)
		if (!seen[i])
			cli_warn(c, "-g %s: no record has this field (after "
			    "--map); every deal falls in one empty group",
			    c->by[i]);
	free(seen);
	rec_free(r);
	deals_finish(ds, fold_bad, c, &e);
	cli_prob_warn(c, deals_prob_doubt(ds));
}

void
cli_deals_opts(sp_cli *c, sp_deals_opts *o, int need, sp_deal_fn fn,
    void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->group_slots = c->by_slots;
	o->ngroup = c->nby;
	o->datefmt = c->date_format;
	o->need = need;
	o->has_as_of = c->has_as_of;
	o->as_of = c->as_of;
	o->fn = fn;
	o->ctx = ctx;
	o->prob_scale = c->prob_scale;
}

void
cli_deals(sp_cli *c, int need, sp_deal_fn fn, void *ctx)
{
	sp_deals_opts o;
	sp_deals *ds;

	cli_deals_opts(c, &o, need, fn, ctx);
	if ((ds = deals_new(c->rd, c->stages, &o)) == NULL)
		cli_oom(c);
	cli_run_deals(c, ds);
	deals_free(ds);
}

sp_writer *
cli_writer(sp_cli *c)
{
	int fmt = c->out_fmt;
	sp_writer *w;

	if (fmt == SP_FMT_AUTO)
		fmt = isatty(STDOUT_FILENO) ? SP_FMT_TABLE :
		    c->rd != NULL ? reader_format(c->rd) : SP_FMT_CSV;
	if (fmt == SP_FMT_AUTO)
		fmt = SP_FMT_CSV;
	if ((w = writer_new(stdout, fmt)) == NULL)
		cli_oom(c);
	return w;
}

void
cli_group_cols(sp_cli *c, sp_writer *w)
{
	size_t i;

	for (i = 0; i < c->nby; i++)
		if (writer_col(w, c->by[i], SP_COL_STR) < 0)
			cli_oom(c);
}

const char **
cli_group_parts(sp_cli *c, const char *key, size_t keylen, size_t n)
{
	if (group_key_split(key, keylen, n, c->parts, &c->partbuf,
	    &c->partcap) < 0)
		cli_oom(c);
	return c->parts;
}

const char *
cli_key_with(sp_cli *c, const sp_deal *d, const char *label, size_t *len)
{
	size_t l = strlen(label), need = d->keylen + l + 2, sep = c->nby > 0;

	if (need > c->keycap) {
		char *b = realloc(c->keybuf, need * 2);
		if (b == NULL)
			cli_oom(c);
		c->keybuf = b;
		c->keycap = need * 2;
	}
	/* without -g the key is the label alone */
	memcpy(c->keybuf, d->key, d->keylen);
	if (sep)
		c->keybuf[d->keylen] = SP_KEY_SEP;
	memcpy(c->keybuf + d->keylen + sep, label, l + 1);
	*len = d->keylen + sep + l;
	return c->keybuf;
}

static void
explain_open(sp_cli *c)
{
	static const char *const cols[] = { "metric", "role", "id", "file",
	    "line", "reason" };
	size_t i;

	c->explain_w = cli_writer(c);
	cli_group_cols(c, c->explain_w);
	if ((c->every != SP_EVERY_NONE || c->has_period) &&
	    writer_col(c->explain_w, "period", SP_COL_STR) < 0)
		cli_oom(c);
	for (i = 0; i < 6; i++)
		if (writer_col(c->explain_w, cols[i], i == 4 ? SP_COL_NUM :
		    SP_COL_STR) < 0)
			cli_oom(c);
}

void
cli_explain(sp_cli *c, const sp_deal *d, const char *period,
    const char *metric, const char *role, const char *reason)
{
	int withp = c->every != SP_EVERY_NONE || c->has_period;
	const char **v, **parts;
	char line[24];
	size_t i;

	if (c->explain_w == NULL)
		explain_open(c);
	if ((v = calloc(c->nby + 7, sizeof(*v))) == NULL)
		cli_oom(c);
	parts = cli_group_parts(c, d->key, d->keylen, c->nby);
	for (i = 0; i < c->nby; i++)
		v[i] = parts[i];
	if (withp)
		v[i++] = period ? period : "";
	v[i++] = metric;
	v[i++] = role;
	v[i++] = d->id;
	v[i++] = d->file;
	v[i++] = d->line > 0 ? count_format(d->line, line) : "";
	v[i++] = reason ? reason : "";
	if (writer_row(c->explain_w, v) < 0) {
		free(v);
		exit(cli_finish(c, NULL));
	}
	free(v);
}

int
cli_finish(sp_cli *c, sp_writer *w)
{
	int bad = 0;
	size_t i;

	if (writer_finish(w) < 0)
		bad = 1;
	writer_free(w);
	if (c->explain && c->explain_w == NULL && c->rd != NULL)
		explain_open(c);	/* no deal at all: still the header */
	if (c->explain_w != NULL) {
		if (writer_finish(c->explain_w) < 0)
			bad = 1;
		writer_free(c->explain_w);
		c->explain_w = NULL;
	}
	if (rejects_close(c) < 0)
		bad = 1;
	if (!bad && c->nbad > 0)
		fprintf(stderr, "%s: %ld bad record%s skipped (--max-bad %ld)\n",
		    c->prog, c->nbad, c->nbad == 1 ? "" : "s", c->max_bad);
	if (fflush(stdout) != 0 || ferror(stdout))
		bad = 1;
	if (bad) {
		fprintf(stderr, "%s: write error: %s\n", c->prog,
		    strerror(errno ? errno : EIO));
	}
	reader_close(c->rd);
	c->rd = NULL;
	stages_free(c->stages);
	c->stages = NULL;
	map_free(c->map);
	c->map = NULL;
	for (i = 0; i < c->nby; i++)
		free(c->by[i]);
	free(c->by);
	free(c->by_slots);
	free(c->parts);
	free(c->partbuf);
	free(c->keybuf);
	c->by = NULL;
	c->nby = 0;
	c->by_slots = NULL;
	c->parts = NULL;
	c->partbuf = NULL;
	c->keybuf = NULL;
	return bad ? SP_EXIT_DATA : SP_EXIT_OK;
}
