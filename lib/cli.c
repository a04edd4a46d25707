/*
 * cli: what every program does the same way: common options, opening the
 * inputs, the bad-record policy, --explain rows, the output writer and the
 * final check of stdout.  The one module that prints and exits (the way
 * sbase's libutil does for its tools).
 */
#include <ctype.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/util.h"

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

/*
 * Where the usage names option o ("-g", else "--by", as a word: after
 * '[', ' ' or '|', before ' ', ']' or the end of a line); NULL when it
 * does not.  *len: the length of the name found.
 */
static const char *
usage_find(const sp_cli *c, const cli_opt *o, size_t *len)
{
	char key[64];
	const char *p;
	size_t n;
	int form;

	for (form = 0; form < 2; form++) {
		if (form == 0 && o->val > 0 && o->val < 128 && isalnum(o->val))
			snprintf(key, sizeof(key), "-%c", o->val);
		else if (form == 1 && o->name != NULL)
			snprintf(key, sizeof(key), "--%s", o->name);
		else
			continue;
		n = strlen(key);
		for (p = c->usage; (p = strstr(p, key)) != NULL; p++)
			if ((p == c->usage || strchr("[ |", p[-1]) != NULL) &&
			    strchr(" ]\n", p[n]) != NULL && p[n] != '\0') {
				*len = n;
				return p;
			}
	}
	return NULL;
}

/*
 * The name of o's argument as the usage writes it after the option
 * ("[-o csv|jsonl]", "--at time"), so that the help says what the
 * SYNOPSIS says; else, or when only the table's lists the choices, the
 * table's.
 */
static const char *
help_arg(const sp_cli *c, const cli_opt *o, char *buf, size_t size)
{
	const char *p;
	size_t n, k;

	if (o->has_arg == no_argument)
		return NULL;
	if ((p = usage_find(c, o, &k)) == NULL || p[k] != ' ')
		return o->arg;
	p += k + 1;
	n = strcspn(p, " ]\n");
	if (n == 0 || n >= size || *p == '-' || *p == '[' || *p == '|')
		return o->arg;
	/* the table's choices, where the usage only names them
	   (--encoding encoding) */
	if (memchr(p, '|', n) == NULL && o->arg != NULL &&
	    strchr(o->arg, '|') != NULL)
		return o->arg;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* --help's order: the options in the order of the usage, then those it
 * does not name (-h, -V), in the table's */
static const sp_cli *help_cli;

static int
help_cmp(const void *a, const void *b)
{
	const cli_opt *x = *(const cli_opt *const *)a;
	const cli_opt *y = *(const cli_opt *const *)b;
	size_t n;
	const char *px = usage_find(help_cli, x, &n);
	const char *py = usage_find(help_cli, y, &n);

	if (px != py)
		return px == NULL ? 1 : py == NULL ? -1 : px < py ? -1 : 1;
	return x < y ? -1 : x > y;
}

void
cli_help(sp_cli *c)
{
	char spec[160], argbuf[96];
	const cli_opt *o, **v = NULL;
	const char *arg;
	size_t n = 0, i;
	int width = 0, w, pass;

	for (o = c->opts; o != NULL && (o->name != NULL || o->val != 0); o++)
		n++;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		cli_oom(c);
	for (i = 0; i < n; i++)
		v[i] = &c->opts[i];
	help_cli = c;
	if (n > 0)
		qsort(v, n, sizeof(*v), help_cmp);
	fputs(c->usage, stdout);
	fputs("\n", stdout);
	/* two passes: the width of the option column, then the lines */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			int shrt;

			o = v[i];
			shrt = o->val > 0 && o->val < 128 && isalnum(o->val);
			if (o->help == NULL)
				continue;	/* CLI_REFUSED */
			arg = help_arg(c, o, argbuf, sizeof(argbuf));
			if (shrt && o->name != NULL)
				w = snprintf(spec, sizeof(spec), "-%c, --%s",
				    o->val, o->name);
			else if (shrt)
				w = snprintf(spec, sizeof(spec), "-%c", o->val);
			else
				w = snprintf(spec, sizeof(spec), "    --%s",
				    o->name);
			if (arg != NULL && w >= 0 && (size_t)w < sizeof(spec))
				w += snprintf(spec + w, sizeof(spec) - w, " %s",
				    arg);
			if (pass == 0) {
				if (w > width && w <= 34)
					width = w;
				continue;
			}
			printf("  %-*s  %s\n", width, spec, o->help);
		}
	free(v);
	printf("\nsee %s(1)\n", c->prog);
	exit(cli_finish(c, NULL));
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

	fprintf(stderr, "%s\n", sp_err_format(e, c->prog, buf, sizeof(buf)));
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

/* The options a partial's states do not depend on. */
static const char *const not_fingerprinted[] = {
	"input-format", "output-format", "map", "date-format", "tz",
	"encoding", "delimiter", "max-record-size", "decimal-comma",
	"thousands", "probability-scale", "max-bad", "rejects",
	"spreadsheet-safe", "explain", "partial", "merge", "shard",
	"threads", "progress", "no-progress", "help", "version", NULL
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* getopt's tables, made from the program's one table at the first call
 * (a process parses one command line: kept until exit) */
static const cli_opt *getopt_of;
static struct option *getopt_long_table;
static char *getopt_short_table;

static void
getopt_tables(sp_cli *c, const cli_opt *opts)
{
	size_t n, i, k = 0, m = 0;

	for (n = 0; opts[n].name != NULL || opts[n].val != 0; n++)
		;
	free(getopt_long_table);
	free(getopt_short_table);
	if ((getopt_long_table = calloc(n + 1, sizeof(struct option))) ==
	    NULL || (getopt_short_table = malloc(2 * n + 2)) == NULL)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		if (opts[i].name != NULL) {
			getopt_long_table[k].name = opts[i].name;
			getopt_long_table[k].has_arg = opts[i].has_arg;
			getopt_long_table[k].val = opts[i].val;
			k++;
		}
		if (opts[i].val > 0 && opts[i].val < 128 &&
		    isalnum(opts[i].val)) {
			getopt_short_table[m++] = (char)opts[i].val;
			if (opts[i].has_arg == required_argument)
				getopt_short_table[m++] = ':';
		}
	}
	getopt_short_table[m] = '\0';
	getopt_of = opts;
}

int
cli_getopt(sp_cli *c, int argc, char **argv, const cli_opt *opts)
{
	int idx = -1, ch, i;
	const char *name = NULL;
	char one[2], **v;
	size_t n;
	const struct option *longopts;

	if (getopt_of != opts)
		getopt_tables(c, opts);
	c->opts = opts;
	longopts = getopt_long_table;
	ch = getopt_long(argc, argv, getopt_short_table, longopts, &idx);
	if (ch == -1) {
		/* stable: a repeated option keeps its order */
		for (n = 1; n < c->nfp; n++)
			for (i = (int)n; i > 0 && cmp_str(&c->fp[i - 1],
			    &c->fp[i]) > 0; i--) {
				char *t = c->fp[i];
				c->fp[i] = c->fp[i - 1];
				c->fp[i - 1] = t;
			}
		return ch;
	}
	if (ch == '?' || ch == ':')
		return ch;
	if (idx >= 0)
		name = longopts[idx].name;
	else {
		/* a short option: its long name when it has one */
		for (i = 0; longopts[i].name != NULL; i++)
			if (longopts[i].flag == NULL && longopts[i].val == ch) {
				name = longopts[i].name;
				break;
			}
		if (name == NULL) {
			one[0] = (char)ch;
			one[1] = '\0';
			name = one;
		}
	}
	for (i = 0; not_fingerprinted[i] != NULL; i++)
		if (strcmp(name, not_fingerprinted[i]) == 0)
			return ch;
	if ((v = realloc(c->fp, (c->nfp + 1) * sizeof(*v))) == NULL)
		cli_oom(c);
	c->fp = v;
	n = strlen(name) + (optarg ? strlen(optarg) : 0) + 4;
	if ((v[c->nfp] = malloc(n)) == NULL)
		cli_oom(c);
	snprintf(v[c->nfp], n, "--%s%s%s", name, optarg ? "=" : "",
	    optarg ? optarg : "");
	c->nfp++;
	return ch;
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
		c->in_fmt = sp_format_parse(arg);
		if (c->in_fmt != SP_FMT_CSV && c->in_fmt != SP_FMT_JSONL)
			cli_usage_error(c, "-i: '%s' is not csv or jsonl", arg);
		return 1;
	case 'o':
		if ((c->out_fmt = sp_format_parse(arg)) < 0)
			cli_usage_error(c, "-o: '%s' is not csv, jsonl, table "
			    "or md", arg);
		return 1;
	case CLI_OPT_MAP:
		sp_err_clear(&e);
		if (c->map == NULL && (c->map = sp_map_new()) == NULL)
			cli_usage_error(c, "out of memory");
		if (sp_map_add(c->map, arg, &e) < 0) {
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
	case CLI_OPT_TZ:
		sp_err_clear(&e);
		sp_tz_free(c->tz);
		if ((c->tz = sp_tz_load(arg, &e)) == NULL)
			cli_usage_error(c, "--tz: %s", e.msg);
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
	case CLI_OPT_ENCODING:
		if ((c->encoding = sp_encoding_parse(arg)) < 0)
			cli_usage_error(c, "--encoding: '%s' is not utf-8, latin1, "
			    "cp1252, utf-16, utf-16le or utf-16be", arg);
		return 1;
	case CLI_OPT_DELIMITER:
		if ((c->delim = sp_delimiter_parse(arg)) < 0)
			cli_usage_error(c, "--delimiter: '%s' is not ',', ';', "
			    "'|' or tab", arg);
		return 1;
	case CLI_OPT_MAX_RECORD_SIZE:
		if (sp_size_parse(arg, &c->max_record) < 0)
			cli_usage_error(c, "--max-record-size: '%s' is not a size "
			    "in bytes (such as 64M)", arg);
		return 1;
	case CLI_OPT_PERIOD:
		c->period_text = arg;
		return 1;
	case CLI_OPT_EVERY:
		if ((c->every = sp_every_parse(arg)) < 0)
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
	case CLI_OPT_DECIMAL_COMMA:
		c->numfmt.decimal_comma = 1;
		return 1;
	case CLI_OPT_THOUSANDS:
		if (strlen(arg) != 1 || isdigit((unsigned char)*arg) ||
		    *arg == '-' || *arg == '+' || !isprint((unsigned char)*arg))
			cli_usage_error(c, "--thousands: '%s' is not one "
			    "separator character (such as , . ' or a space)",
			    arg);
		c->numfmt.thousands = *arg;
		return 1;
	case CLI_OPT_RATES:
		c->rates_path = arg;
		return 1;
	case CLI_OPT_CURRENCY:
		c->currency = arg;
		return 1;
	case CLI_OPT_SPREADSHEET_SAFE:
		c->spreadsheet_safe = 1;
		return 1;
	case CLI_OPT_PARTIAL:
		c->partial = 1;
		return 1;
	case CLI_OPT_MERGE:
		c->merge = 1;
		return 1;
	case CLI_OPT_SHARD:
		errno = 0;
		c->shard_k = strtol(arg, &end, 10);
		if (end == arg || *end != '/' || errno != 0)
			cli_usage_error(c, "--shard: '%s' is not K/N", arg);
		arg = end + 1;
		c->shard_n = strtol(arg, &end, 10);
		if (end == arg || *end != '\0' || errno != 0 || c->shard_n < 1 ||
		    c->shard_k < 1 || c->shard_k > c->shard_n)
			cli_usage_error(c, "--shard: '%s' is not K/N with "
			    "1 <= K <= N", optarg);
		return 1;
	case CLI_OPT_THREADS:
		errno = 0;
		c->threads = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0 ||
		    c->threads < 1 || c->threads > 1024)
			cli_usage_error(c, "--threads: '%s' is not a count "
			    "from 1 to 1024", arg);
		return 1;
	case CLI_OPT_PROGRESS:
		c->progress = 1;
		return 1;
	case CLI_OPT_NO_PROGRESS:
		c->progress = 2;
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
		if ((c->unit = sp_unit_parse(arg)) < 0)
			cli_usage_error(c, "--unit: '%s' is not days, hours or "
			    "minutes", arg);
		return 1;
	case 'V':
		printf("%s (salespipe) %s\n", c->prog, SALESPIPE_VERSION);
		exit(cli_finish(c, NULL));
	case 'h':
		cli_help(c);
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
	int bad = v != NULL ? sp_writer_row(c->rejects_w, v) < 0 :
	    sp_writer_finish(c->rejects_w) < 0;

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
		if (sp_stages_warning(c->stages, i, buf, sizeof(buf)) != NULL)
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
cli_check_numfmt(sp_cli *c)
{
	if (c->numfmt.thousands == (c->numfmt.decimal_comma ? ',' : '.'))
		cli_usage_error(c, "--thousands: '%c' is the decimal mark%s",
		    c->numfmt.thousands, c->numfmt.decimal_comma ?
		    " (--decimal-comma)" : " (without --decimal-comma)");
}

void
cli_protect(sp_cli *c, const char *path, const char *what)
{
	if (path != NULL && c->nprotect < 8) {
		c->protect[c->nprotect] = path;
		c->protect_what[c->nprotect++] = what;
	}
}

/* 1 when st is the file at path (or, path NULL, open on fd). */
static int
same_file(const struct stat *st, const char *path, int fd)
{
	struct stat o;

	if (path != NULL ? stat(path, &o) != 0 : fstat(fd, &o) != 0)
		return 0;
	return o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

int
cli_is_input(const sp_cli *c, const char *path)
{
	struct stat st;
	size_t i;
	int in = c->ninputs == 0;

	if (stat(path, &st) != 0)
		return 0;
	for (i = 0; i < c->ninputs; i++) {
		if (strcmp(c->inputs[i], "-") == 0)
			in = 1;
		else if (same_file(&st, c->inputs[i], -1))
			return 1;
	}
	return in && same_file(&st, NULL, STDIN_FILENO);
}

/*
 * What the rejects file rs is besides, among the files of the run (a
 * description, and *name the path that names it, or NULL), or NULL.
 */
static const char *
rejects_clash(const sp_cli *c, const struct stat *rs, const char **name)
{
	static const char *const env[][2] = {
		{ "SALESPIPE_DEALS", "the deals journal ($SALESPIPE_DEALS)" },
		{ "SALESPIPE_LEADS", "the leads journal ($SALESPIPE_LEADS)" } };
	const char *p;
	size_t i;
	int in = c->ninputs == 0;	/* no operand: the standard input */

	for (i = 0; i < c->ninputs; i++) {
		if (strcmp(c->inputs[i], "-") == 0)
			in = 1;
		else if (same_file(rs, c->inputs[i], -1))
			return *name = c->inputs[i], "an input";
	}
	*name = NULL;
	if (in && same_file(rs, NULL, STDIN_FILENO))
		return "the standard input";
	if (c->journal_path != NULL && same_file(rs, c->journal_path, -1))
		return *name = c->journal_path, "the journal";
	/* the journals of the environment, even when this run reads none */
	for (i = 0; i < 2; i++)
		if ((p = getenv(env[i][0])) != NULL && *p != '\0' &&
		    same_file(rs, p, -1))
			return *name = p, env[i][1];
	for (i = 0; i < c->nprotect; i++)
		if (same_file(rs, c->protect[i], -1))
			return *name = c->protect[i], c->protect_what[i];
	if (same_file(rs, NULL, STDOUT_FILENO))
		return "the standard output";
	return NULL;
}

/*
 * Open --rejects without truncating it, and only then, once it is known
 * not to be a file this run reads or writes (an input, the standard input
 * or output, the journal, a file given to cli_protect), empty it: a
 * mistyped --rejects must never destroy data.  Exits 2 on a clash.
 */
static void
rejects_open(sp_cli *c)
{
	const char *what = NULL, *name = NULL;
	struct stat rs;
	int fd;

	if ((fd = open(c->rejects_path, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0666)) < 0 || fstat(fd, &rs) < 0) {
		fprintf(stderr, "%s: %s: cannot create: %s\n", c->prog,
		    c->rejects_path, strerror(errno));
		exit(SP_EXIT_DATA);
	}
	/* only a regular file loses data (/dev/null may be both) */
	if (S_ISREG(rs.st_mode))
		what = rejects_clash(c, &rs, &name);
	if (what != NULL) {
		char *p = sp_escape(c->rejects_path), *q = name ?
		    sp_escape(name) : NULL;
		close(fd);
		fprintf(stderr, "%s: --rejects %s: is %s%s%s%s: refusing to "
		    "overwrite it\n", c->prog, p ? p : "", what,
		    q ? " (" : "", q ? q : "", q ? ")" : "");
		free(p);
		free(q);
		exit(SP_EXIT_USAGE);
	}
	if ((S_ISREG(rs.st_mode) && ftruncate(fd, 0) < 0) ||
	    (c->rejects_fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "%s: %s: cannot create: %s\n", c->prog,
		    c->rejects_path, strerror(errno));
		close(fd);
		exit(SP_EXIT_DATA);
	}
}

void
cli_read_opts(const sp_cli *c, sp_read_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->format = c->in_fmt;
	ro->map = c->map;
	ro->encoding = c->encoding;
	ro->delim = c->delim;
	ro->max_record = c->max_record;
}

/*
 * $SALESPIPE_ID_MEMORY: the memory a snapshot's ids may take before they
 * are spilled to disk (a size, such as 64M).
 */
static size_t
id_memory(sp_cli *c)
{
	const char *v = getenv("SALESPIPE_ID_MEMORY");
	size_t n;

	if (v == NULL || *v == '\0')
		return CLI_ID_MEMORY;
	if (sp_size_parse(v, &n) < 0)
		cli_usage_error(c, "SALESPIPE_ID_MEMORY: '%s' is not a size "
		    "(such as 64M)", v);
	return n;
}

void
cli_open(sp_cli *c, int argc, char **argv)
{
	sp_read_opts ro;
	sp_error e;
	size_t i;

	sp_err_clear(&e);
	c->id_memory = id_memory(c);
	if (c->as_of_text != NULL) {
		if (sp_time_parse(c->as_of_text, strlen(c->as_of_text), NULL,
		    &c->as_of, &e) < 0)
			cli_usage_error(c, "--as-of: '%s' is not an ISO 8601 "
			    "date or time", c->as_of_text);
		c->has_as_of = 1;
	}
	if (sp_calendar_init(&c->cal, c->now_text ? c->now_text : c->as_of_text,
	    c->fiscal_start, &e) < 0) {
		cli_error(c, &e);
		cli_usage(c);
	}
	if (c->period_text != NULL) {
		if (sp_period_parse(c->period_text, &c->cal, &c->period, &e) < 0) {
			fprintf(stderr, "%s: --period: %s\n", c->prog, e.msg);
			cli_usage(c);
		}
		c->has_period = 1;
	}
	cli_check_numfmt(c);
	if (c->rates_path != NULL && c->currency == NULL)
		cli_usage_error(c, "--rates: give the currency to convert "
		    "into with --currency CODE");
	if (c->currency != NULL) {
		size_t k, n = strlen(c->currency);
		for (k = 0; k < n && isalnum((unsigned char)c->currency[k]);
		    k++)
			;
		if (n == 0 || n > 7 || k < n)
			cli_usage_error(c, "--currency: '%s' is not a currency "
			    "code", c->currency);
		if ((c->rates = sp_rates_load(c->rates_path, c->currency, &e)) ==
		    NULL)
			cli_fail(c, &e);
	}
	c->stages = sp_stages_resolve(c->stages_spec, sp_map_stages(c->map,
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
	    sp_map_prob_scale(c->map) ? sp_map_prob_scale(c->map) : 100;
	if (c->partial && c->merge)
		cli_usage_error(c, "--partial and --merge: one or the other");
	if ((c->partial || c->merge) && c->explain)
		cli_usage_error(c, "--explain lists deals: it needs the deals, "
		    "not --%s", c->partial ? "partial" : "merge");
	if (c->merge && c->shard_n > 0)
		cli_usage_error(c, "--shard selects deals to read: it goes "
		    "with --partial, not --merge");
	if (c->merge && c->rejects_path != NULL)
		cli_usage_error(c, "--rejects: --merge reads no records");
	cli_read_opts(c, &ro);
	c->inputs = argv;
	c->ninputs = (size_t)argc;
	if (!c->merge)
		cli_progress_pass(c, &ro, 0);
	if (!c->merge && (c->rd = sp_reader_open(argv, (size_t)argc, &ro,
	    &e)) == NULL)
		cli_fail(c, &e);
	if (c->nby > 0 && (c->by_slots = calloc(c->nby, sizeof(int))) == NULL)
		cli_oom(c);
	for (i = 0; c->rd != NULL && i < c->nby; i++)
		if ((c->by_slots[i] = sp_reader_slot(c->rd, c->by[i])) < 0)
			cli_oom(c);
	if ((c->parts = calloc(c->nby + 1, sizeof(*c->parts))) == NULL)
		cli_oom(c);
	if (c->rejects_path != NULL) {
		cli_protect(c, c->stages_spec, "the --stages file");
		rejects_open(c);
		if ((c->rejects_w = sp_writer_new(c->rejects_fp, SP_FMT_CSV)) ==
		    NULL || sp_writer_col(c->rejects_w, "file", SP_COL_STR) < 0 ||
		    sp_writer_col(c->rejects_w, "line", SP_COL_NUM) < 0 ||
		    sp_writer_col(c->rejects_w, "field", SP_COL_STR) < 0 ||
		    sp_writer_col(c->rejects_w, "reason", SP_COL_STR) < 0 ||
		    sp_writer_col(c->rejects_w, "record", SP_COL_STR) < 0)
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
	if (sp_writer_finish(c->rejects_w) < 0 || fclose(c->rejects_fp) != 0) {
		fprintf(stderr, "%s: %s: write error: %s\n", c->prog,
		    c->rejects_path, strerror(errno));
		rc = -1;
	}
	sp_writer_free(c->rejects_w);
	c->rejects_w = NULL;
	c->rejects_fp = NULL;
	return rc;
}

void
cli_bad(sp_cli *c, const sp_error *e0, const sp_rec *r)
{
	sp_error e = *e0;

	if (e.file[0] == '\0' && r != NULL)
		sp_err_where(&e, r->file, r->line);
	if (c->bad_fn != NULL)
		c->bad_fn(c->bad_ctx, &e);
	else {
		cli_error(c, &e);
		c->nbad++;
	}
	if (c->rejects_w != NULL) {
		char line[24], *rec = NULL;
		const char *v[5];

		if (r != NULL && r->raw != NULL)
			rec = strndup(r->raw, r->rawlen);
		v[0] = e.file;
		v[1] = e.line > 0 ? sp_count_format(e.line, line) : "";
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

/*
 * -g name: exit 2 naming the fields the input has (names[0..n-1]) and the
 * nearest of them.
 */
__attribute__((noreturn)) static void
by_unknown(sp_cli *c, const char *name, const char *file, const char *why,
    const char *const *names, size_t n)
{
	size_t i, best = (size_t)-1, d, bi = 0;
	char *en = sp_escape(name), *ef = sp_escape(file);

	for (i = 0; i < n; i++)
		if ((d = sp_edit_distance(name, names[i])) < best) {
			best = d;
			bi = i;
		}
	fprintf(stderr, "%s: -g %s: %s in %s", c->prog, en ? en : "", why,
	    ef ? ef : "");
	/* a suggestion only when it is near: at most 2 edits, or a third */
	if (n > 0 && (best <= 2 || best * 3 <= strlen(name))) {
		char *eb = sp_escape(names[bi]);
		fprintf(stderr, "; did you mean '%s'?", eb ? eb : "");
		free(eb);
	}
	fprintf(stderr, "\n%s: the fields (after --map): ", c->prog);
	for (i = 0; i < n; i++) {
		char *e = sp_escape(names[i]);
		fprintf(stderr, "%s%s", i ? ", " : "", e ? e : "");
		free(e);
	}
	fputc('\n', stderr);
	free(en);
	free(ef);
	exit(SP_EXIT_USAGE);
}

/*
 * The first look at -g: each field the input's fields (the CSV header after
 * --map, or the first JSON record's keys) lack is refused (exit 2) for CSV,
 * and for JSON lines when a key is near it; the others wait for a record.
 */
static void
by_check_fields(sp_cli *c, sp_reader *rd, const int *slots, const char *file)
{
	size_t i, j, nf;
	const int *f = sp_reader_fields(rd, &nf);
	const char **names;

	c->by_checked = 1;
	if ((c->by_seen = calloc(c->nby, 1)) == NULL ||
	    (names = calloc(nf + 1, sizeof(*names))) == NULL)
		cli_oom(c);
	for (j = 0; j < nf; j++)
		names[j] = sp_reader_slot_name(rd, f[j]);
	c->by_unseen = c->nby;
	for (i = 0; i < c->nby; i++) {
		int near = 0;
		for (j = 0; j < nf && f[j] != slots[i]; j++)
			near |= sp_edit_distance(c->by[i], names[j]) <= 2;
		if (j < nf) {
			c->by_seen[i] = 1;
			c->by_unseen--;
		} else if (sp_reader_format(rd) != SP_FMT_JSONL)
			by_unknown(c, c->by[i], file, "no such column", names,
			    nf);
		else if (near)
			by_unknown(c, c->by[i], file, "no such key in the "
			    "first record", names, nf);
	}
	free(names);
}

void
cli_by_record(sp_cli *c, sp_reader *rd, const int *slots, const sp_rec *r)
{
	size_t i, j, nf;
	const int *f;

	if (c->nby == 0 || c->by_optional)
		return;
	if (!c->by_checked) {
		/* a bad first JSON line shows no keys: the next record decides */
		f = sp_reader_fields(rd, &nf);
		if (nf == 0 && sp_reader_format(rd) == SP_FMT_JSONL)
			return;
		by_check_fields(c, rd, slots, r->file);
	}
	for (i = 0; c->by_unseen > 0 && i < c->nby; i++)
		if (!c->by_seen[i] && sp_rec_get(r, slots[i]) != NULL) {
			c->by_seen[i] = 1;
			c->by_unseen--;
		}
	/* the keys this input has shown, should cli_by_end need them */
	f = sp_reader_fields(rd, &nf);
	if (c->by_unseen > 0 && nf > c->nby_keys) {
		char **v = realloc(c->by_keys, nf * sizeof(*v));
		if (v == NULL)
			cli_oom(c);
		c->by_keys = v;
		for (j = c->nby_keys; j < nf; j++)
			if ((v[j] = strdup(sp_reader_slot_name(rd, f[j]))) ==
			    NULL)
				cli_oom(c);
		c->nby_keys = nf;
	}
}

void
cli_by_end(sp_cli *c, sp_reader *rd)
{
	size_t i, nf;

	if (c->by_optional)
		return;
	/* a CSV header and no record: the header decides all the same */
	if (c->nby > 0 && !c->by_checked && sp_reader_format(rd) == SP_FMT_CSV &&
	    sp_reader_fields(rd, &nf) != NULL && nf > 0)
		by_check_fields(c, rd, c->by_slots, c->ninputs > 0 ?
		    c->inputs[c->ninputs - 1] : "<stdin>");
	if (c->by_unseen == 0 || c->by_seen == NULL)
		return;
	for (i = 0; i < c->nby; i++)
		if (!c->by_seen[i])
			by_unknown(c, c->by[i], c->ninputs == 1 ?
			    c->inputs[0] : c->ninputs == 0 ? "<stdin>" :
			    "the inputs", "no record has this key",
			    (const char *const *)c->by_keys, c->nby_keys);
}

void
cli_run_deals(sp_cli *c, sp_deals *ds)
{
	sp_rec *r = sp_rec_new();
	sp_error e;
	int k;

	if (r == NULL)
		cli_oom(c);
	sp_err_clear(&e);
	while ((k = sp_reader_next(c->rd, r, &e)) != 0) {
		if (k == -2)
			cli_fail(c, &e);
		/* a -g field the input lacks: exit 2 before any output */
		cli_by_record(c, c->rd, c->by_slots, r);
		if (k == 1 && sp_deals_add(ds, r, &e) == 0)
			continue;
		cli_bad(c, &e, r);
	}
	cli_by_end(c, c->rd);
	sp_rec_free(r);
	cli_run_finish(c, ds);
}

void
cli_run_finish(sp_cli *c, sp_deals *ds)
{
	sp_error e;

	sp_err_clear(&e);
	sp_deals_finish(ds, fold_bad, c, &e);
	cli_ids_late(c, ds);
	cli_run_warn(c, ds);
}

void
cli_run_warn(sp_cli *c, sp_deals *ds)
{
	cli_note_currencies(c, ds);
	cli_as_of_warn(c);
	cli_prob_warn(c, sp_deals_prob_doubt(ds));
}

void
cli_ids_late(sp_cli *c, sp_deals *ds)
{
	sp_error bad[10], e;
	const char *v = getenv("SALESPIPE_ID_MEMORY");
	long long n, i;

	if (!sp_deals_ids_spilled(ds))
		return;
	sp_err_clear(&e);
	if ((n = sp_deals_ids_check(&ds, 1, c->id_memory, bad, 10, &e)) < 0)
		cli_fail(c, &e);
	if (n == 0)
		return;
	for (i = 0; i < n && i < 10; i++)
		cli_error(c, &bad[i]);
	if (n > 10)
		cli_warn(c, "%lld more ids listed again", n - 10);
	cli_warn(c, "the input's ids passed SALESPIPE_ID_MEMORY (%s) and "
	    "were checked after reading, too late to leave a repeat out, so "
	    "no answer is printed; raise SALESPIPE_ID_MEMORY or remove the "
	    "repeats", v != NULL && *v != '\0' ? v : "64M, the default");
	rejects_close(c);
	exit(SP_EXIT_DATA);
}

void
cli_note_currencies(sp_cli *c, const sp_deals *ds)
{
	const char *cur;
	char u[8];
	size_t i, j, k;

	for (i = 0; (cur = sp_deals_currency(ds, i)) != NULL; i++) {
		for (k = 0; cur[k] != '\0' && k < 7; k++)
			u[k] = (char)toupper((unsigned char)cur[k]);
		u[k] = '\0';
		for (j = 0; j < c->ncurs && strcmp(c->curs[j], u) != 0; j++)
			;
		if (j < c->ncurs)
			continue;
		{
			char (*v)[8] = realloc(c->curs, (c->ncurs + 1) *
			    sizeof(*v));
			if (v == NULL)
				cli_oom(c);
			c->curs = v;
			memcpy(v[c->ncurs++], u, 8);
		}
	}
}

const char *
cli_money(sp_cli *c, const sp_money_sum *s, char *buf)
{
	if (s->mixed) {
		c->mixed = 1;
		return "";
	}
	return sp_money_format_exact(s->v, buf);
}

const char *
cli_money_ratio(sp_cli *c, const sp_money_sum *num, const sp_money_sum *den,
    char *buf)
{
	if (num->mixed || den->mixed) {
		c->mixed = 1;
		return "";
	}
	return sp_ratio_text_money(num->v, den->v, buf);
}

/* The one warning of a run whose money columns were left empty. */
static void
mixed_warn(sp_cli *c)
{
	char list[200] = "";
	size_t i, len = 0;

	for (i = 0; i < c->ncurs && len + 12 < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i ? ", " : "", c->curs[i]);
	cli_warn(c, "amounts in several currencies (%s): a money column "
	    "whose group mixes them is left empty; group by currency "
	    "(-g currency) or convert them (--rates FILE --currency CODE)",
	    list);
}

void
cli_deals_opts(sp_cli *c, sp_deals_opts *o, int need, sp_deal_fn fn,
    void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->group_slots = c->by_slots;
	o->ngroup = c->nby;
	o->datefmt = c->date_format;
	o->tz = c->tz;
	o->need = need;
	o->has_as_of = c->has_as_of;
	o->as_of = c->as_of;
	o->from = c->from;
	o->pair_old = c->pair_old;
	o->fn = fn;
	o->ctx = ctx;
	o->numfmt = &c->numfmt;
	o->rates = c->rates;
	o->now = c->cal.now;
	o->left_out = cli_left_out;
	o->left_ctx = c;
	o->prob_scale = c->prob_scale;
	o->id_memory = c->id_memory;
	o->leads = c->stage_list == SP_STAGES_LEADS;
}

void
cli_left_out(void *ctx, const sp_deal *d, int why, int64_t as_of)
{
	static const char *const reason[] = { "",
	    [SP_LEFT_CREATED_AFTER] = "created after the as-of time",
	    [SP_LEFT_CLOSED_AFTER] = "closed after the as-of time: open "
		"then, at a stage the snapshot does not record",
	    [SP_LEFT_NO_CLOSE_TIME] = "closed, with no close time: closed "
		"by the as-of time or not is unknown" };
	sp_cli *c = ctx;
	sp_error e;

	assert(why > 0 && why < 4);
	if (c->history_only != NULL && d->path == NULL) {
		/* the wrong kind of input, not a deal to leave out */
		sp_err_clear(&e);
		sp_err_set(&e, "at", "%s", c->history_only);
		sp_err_where(&e, d->file, d->line);
		cli_fail(c, &e);
	}
	c->left[why]++;
	c->left_as_of = as_of;
	if (c->explain)
		cli_explain(c, d, "", "as_of", "excluded", reason[why]);
}

void
cli_as_of_warn(sp_cli *c)
{
	char t[32], when[64];
	long n;

	sp_time_format(c->left_as_of, t);
	if (c->has_as_of)
		snprintf(when, sizeof(when), "%s %s", c->as_of_name != NULL ?
		    c->as_of_name : "--as-of", t);
	else
		snprintf(when, sizeof(when), "now (%s)", t);
	/* as of --as-of, a deal created later is not one yet: that is what
	   the option means, said by --explain; as of now it is a data error */
	if ((n = c->left[SP_LEFT_CREATED_AFTER]) > 0 && !c->has_as_of)
		cli_warn(c, "%ld deal%s created after %s left out: a "
		    "created_at in the future is a data error (see --explain)",
		    n, n == 1 ? "" : "s", when);
	if ((n = c->left[SP_LEFT_CLOSED_AFTER]) > 0 && c->has_as_of)
		cli_warn(c, "%ld deal%s won or lost after %s left out: open "
		    "then, at a stage a snapshot does not record; a history "
		    "has it: pipeline --as-of on a journal, or "
		    "OpportunityHistory (see --explain)", n, n == 1 ? "" : "s",
		    when);
	else if (n > 0)
		cli_warn(c, "%ld deal%s won or lost with a close time after %s "
		    "left out: a close in the future is a data error (check "
		    "close_date and closed_at; see --explain)", n, n == 1 ?
		    "" : "s", when);
	if ((n = c->left[SP_LEFT_NO_CLOSE_TIME]) > 0)
		cli_warn(c, "%ld closed deal%s without closed_at or close_date "
		    "left out: closed by %s or not is unknown (see --explain)",
		    n, n == 1 ? "" : "s", when);
	memset(c->left, 0, sizeof(c->left));
}

void
cli_deals(sp_cli *c, int need, sp_deal_fn fn, void *ctx)
{
	sp_deals_opts o;
	sp_deals *ds;

	cli_deals_opts(c, &o, need, fn, ctx);
	if ((ds = sp_deals_new(c->rd, c->stages, &o)) == NULL)
		cli_oom(c);
	cli_run_deals(c, ds);
	sp_deals_free(ds);
}

int
cli_out_format(const sp_cli *c)
{
	int fmt = c->out_fmt;

	if (fmt == SP_FMT_AUTO)
		fmt = isatty(STDOUT_FILENO) ? SP_FMT_TABLE :
		    c->rd != NULL ? sp_reader_format(c->rd) : SP_FMT_CSV;
	if (fmt == SP_FMT_AUTO)
		fmt = SP_FMT_CSV;
	return fmt;
}

sp_writer *
cli_writer_to(sp_cli *c, FILE *fp, int flags)
{
	sp_writer *w;

	/* output to the terminal the progress line is on: the line goes */
	if (fp == stdout && isatty(STDOUT_FILENO))
		cli_progress_end();
	if ((w = sp_writer_new(fp, cli_out_format(c))) == NULL)
		cli_oom(c);
	flags |= (c->spreadsheet_safe ? SP_WRITER_SPREADSHEET_SAFE : 0) |
	    c->writer_flags;
	if (flags)
		sp_writer_flags(w, flags);
	return w;
}

sp_writer *
cli_writer(sp_cli *c)
{
	return cli_writer_to(c, stdout, 0);
}

void
cli_group_cols(sp_cli *c, sp_writer *w)
{
	size_t i;

	for (i = 0; i < c->nby; i++)
		if (sp_writer_col(w, (c->by_cols != NULL ? c->by_cols :
		    c->by)[i], SP_COL_STR) < 0)
			cli_oom(c);
}

const char **
cli_group_parts(sp_cli *c, const char *key, size_t keylen, size_t n)
{
	if (sp_group_key_split(key, keylen, n, c->parts, &c->partbuf,
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
	    sp_writer_col(c->explain_w, "period", SP_COL_STR) < 0)
		cli_oom(c);
	for (i = 0; i < 6; i++)
		if (sp_writer_col(c->explain_w, cols[i], i == 4 ? SP_COL_NUM :
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
	v[i++] = d->line > 0 ? sp_count_format(d->line, line) : "";
	v[i++] = reason ? reason : "";
	if (sp_writer_row(c->explain_w, v) < 0) {
		free(v);
		exit(cli_finish(c, NULL));
	}
	free(v);
}

/* Values of fields the program did not read but wrote, mended. */
static void
warn_replaced(const sp_cli *c)
{
	const char *file, *field;
	unsigned long n;
	sp_error e;
	long line;

	if ((n = sp_reader_replaced(c->rd, &file, &line, &field)) == 0)
		return;
	sp_err_clear(&e);
	sp_err_where(&e, file, line);
	sp_err_set(&e, field, "%lu value%s held a NUL byte or bytes that are not "
	    "UTF-8, written with U+FFFD in their place (this is the first; "
	    "see --encoding)", n, n == 1 ? "" : "s");
	cli_error(c, &e);
}

/*
 * A write error on stdout: said once, naming the standard output and the
 * reason.  When the reader went away (EPIPE with SIGPIPE ignored, as a
 * parent may leave it) nothing is said and the program dies of SIGPIPE,
 * as it would have at the write: what `prog | head -1` expects of a
 * filter.
 */
static void
stdout_error(const sp_cli *c, int err)
{
	if (err == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	fprintf(stderr, "%s: write error on the standard output: %s\n",
	    c->prog, strerror(err ? err : EIO));
}

int
cli_finish(sp_cli *c, sp_writer *w)
{
	int bad = 0, out_bad = 0, err = 0;
	size_t i;

	cli_progress_end();
	errno = 0;
	if (sp_writer_finish(w) < 0) {
		out_bad = 1;
		err = errno;
	}
	sp_writer_free(w);
	if (c->mixed)
		mixed_warn(c);
	c->mixed = 0;
	if (c->explain && c->explain_w == NULL && c->rd != NULL)
		explain_open(c);	/* no deal at all: still the header */
	if (c->explain_w != NULL) {
		errno = 0;
		if (sp_writer_finish(c->explain_w) < 0) {
			out_bad = 1;
			err = err ? err : errno;
		}
		sp_writer_free(c->explain_w);
		c->explain_w = NULL;
	}
	if (rejects_close(c) < 0)
		bad = 1;	/* said by rejects_close */
	if (!bad && !out_bad && c->nbad > 0)
		fprintf(stderr, "%s: %ld bad record%s skipped (--max-bad %ld)\n",
		    c->prog, c->nbad, c->nbad == 1 ? "" : "s", c->max_bad);
	/* a write that failed before left ferror; the flush of what is
	   still buffered says why (it fails the same way) */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		out_bad = 1;
		err = err ? err : errno;
	}
	if (out_bad) {
		stdout_error(c, c->out_errno ? c->out_errno : err);
		bad = 1;
	}
	if (c->pass_through && c->rd != NULL)
		warn_replaced(c);
	sp_reader_close(c->rd);
	c->rd = NULL;
	sp_stages_free(c->stages);
	c->stages = NULL;
	sp_map_free(c->map);
	c->map = NULL;
	sp_rates_free(c->rates);
	c->rates = NULL;
	free(c->curs);
	c->curs = NULL;
	c->ncurs = 0;
	sp_tz_free(c->tz);
	c->tz = NULL;
	for (i = 0; i < c->nby; i++)
		free(c->by[i]);
	free(c->by);
	free(c->by_slots);
	free(c->by_seen);
	c->by_seen = NULL;
	for (i = 0; i < c->nby_keys; i++)
		free(c->by_keys[i]);
	free(c->by_keys);
	c->by_keys = NULL;
	c->nby_keys = 0;
	free(c->parts);
	free(c->partbuf);
	free(c->keybuf);
	for (i = 0; i < c->nfp; i++)
		free(c->fp[i]);
	free(c->fp);
	c->fp = NULL;
	c->nfp = 0;
	c->by = NULL;
	c->nby = 0;
	c->by_slots = NULL;
	c->parts = NULL;
	c->partbuf = NULL;
	c->keybuf = NULL;
	return bad ? SP_EXIT_DATA : SP_EXIT_OK;
}
