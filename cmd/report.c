/*
 * report: the nightly report.  A spec (salespipe-report(5); a default one
 * is built in) lists sections, each one salespipe read program with its
 * arguments, a title, a chart and thresholds.  Every section runs the
 * program linked into this one (the programs' entry points, not a shell),
 * in a child process of its own, on the same inputs and the same now; its
 * JSON lines are read back with the library's reader and shown as
 * Markdown, one self-contained HTML page with SVG charts, or JSON lines.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/period.h"
#include "salespipe/rec.h"
#include "salespipe/util.h"

static const char usage[] =
    "usage: report [--spec file] [--quota file] [--leads file]\n"
    "              [--activities file] [-o md|html|jsonl]\n"
    "              [--fail-if expression] [--previous path]\n"
    "              [--title text] [--now time] [--map spec]\n"
    "              [--stages spec] [--date-format format] [--tz zone]\n"
    "              [--max-bad n] [--encoding encoding] [--delimiter sep]\n"
    "              [--max-record-size size] [--decimal-comma]\n"
    "              [--thousands sep] [--rates file]\n"
    "              [--currency code] [deals ...]\n";

/* The programs a section may run: their entry points, linked in
 * (Makefile: REPORT_RUNS, each cmd/NAME.c built with main renamed). */
#define E(name, fn) int fn(int, char **);
#include "entries.h"
#undef E
static const struct entry {
	const char *name;
	int (*main)(int, char **);
} entries[] = {
#define E(name, fn) { name, fn },
#include "entries.h"
#undef E
	{ NULL, NULL }
};

/* The exit status of a run where a threshold crossed (and nothing
 * failed): salespipe-report(5), report(1). */
enum { EXIT_CROSSED = 3 };

enum { K_TABLE, K_BARS, K_FUNNEL, K_LINE, K_COLUMNS, K_WATERFALL, K_BANDS };
static const char *const kinds[] = { "table", "bars", "funnel", "line",
	"columns", "waterfall", "bands", NULL };

enum { S_OK, S_SKIPPED, S_FAILED };
static const char *const states[] = { "ok", "skipped", "failed" };

enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };
static const char *const ops[] = { "<", "<=", ">", ">=", "==", "!=", NULL };

struct thr {
	char *sec;		/* section name, NULL: every section */
	char *field;
	int op;
	char *num;		/* the number, as written */
	char *text;		/* the whole expression, for messages */
	const char *where;	/* "--fail-if" or the spec's file:line */
	int seen;		/* some section has the field */
};

struct crossing {
	size_t sec, row;
	const struct thr *t;
};

struct section {
	char *name, *title;
	char **words;		/* the run line */
	size_t nwords;
	int kind;
	char **cargs;		/* the chart line's arguments */
	size_t ncargs;
	unsigned okmask;	/* exit statuses that are success */
	int history;		/* needs a history of deals */
	long line;
	/* the run */
	pid_t pid;
	int outfd, errfd, status;
	char *out, *err;
	size_t outlen, errlen;
	int state;
	char *message;		/* why skipped or failed */
	/* the table */
	size_t ncol, nrow;
	char **cols;
	int *num;		/* column holds numbers only */
	int *ratio;		/* a number column of six-decimal ratios */
	char **cell;		/* nrow x ncol, NULL: empty */
	char **chg;		/* the change since --previous, or NULL */
};

static sp_cli cli;
static struct section *secs;
static size_t nsecs;
static struct thr *thrs;
static size_t nthrs;
static struct crossing *crossed;
static size_t ncrossed;
static char *title = "Nightly sales report";

static const char default_spec[] =
    "# the built-in spec: report(1), salespipe-report(5)\n"
    "section funnel\n"
    "title Where deals drop off\n"
    "run funnel {deals}\n"
    "chart funnel stage entered conv_prev\n"
    "\n"
    "section win-rate\n"
    "title Win rate by month, this year\n"
    "run win-rate --every month --period this-year {deals}\n"
    "chart line period win_rate win_rate_value\n"
    "\n"
    "section deal-size\n"
    "title Won deal size by month, this year\n"
    "run deal-size --every month --period this-year {deals}\n"
    "chart line period median mean\n"
    "\n"
    "section cycle-time\n"
    "title Days to close a won deal, by quarter closed\n"
    "run cycle-time --every quarter --period this-year {deals}\n"
    "chart bars period median\n"
    "\n"
    "section forecast\n"
    "title This quarter: the forecast by method\n"
    "run forecast --period this-quarter --method weighted,category,history,trend {deals}\n"
    "chart columns booked weighted commit best_case history trend:trend_low:trend_high\n"
    "\n"
    "section forecast-accuracy\n"
    "title This year's quarters: each method's forecast against what was booked\n"
    "run forecast --backtest --every quarter --method weighted,history,trend"
    " --period this-year {deals}\n"
    "needs history\n"
    "chart bars method forecast ref=actual\n"
    "\n"
    "section forecast-quota\n"
    "title This quarter: the forecast against quota\n"
    "run forecast --period this-quarter --quota {quota} -g owner {deals}\n"
    "chart bars owner weighted ref=quota\n"
    "\n"
    "section deal-diff\n"
    "title The week: what moved the pipeline\n"
    "run deal-diff --from {week-ago} {deals}\n"
    "needs history\n"
    "chart waterfall start_amount +new_amount +pulled_in_amount +reopened_amount"
    " +amount_up -amount_down -pushed_out_amount -won_amount -lost_amount"
    " -removed_amount =end_amount\n"
    "\n"
    "section scorecard\n"
    "title Reps this quarter\n"
    "run scorecard --period this-quarter --rank-by won_amount {deals}\n"
    "chart bars owner won_amount\n"
    "\n"
    "section scorecard-quota\n"
    "title Reps this quarter, against quota\n"
    "run scorecard --period this-quarter --quota {quota} --rank-by attainment {deals}\n"
    "chart bars owner attainment\n"
    "\n"
    "section velocity\n"
    "title Sales velocity by month, this year\n"
    "run velocity --every month --period this-year {deals}\n"
    "chart line period velocity\n"
    "\n"
    "section lint\n"
    "title Data to fix\n"
    "run lint --summary {deals}\n"
    "exit-ok 0,1\n"
    "chart bars rule findings\n"
    "\n"
    "section lead-response\n"
    "title First response to new leads\n"
    "run lead-response --sla 15m,1h,4h,1d -g source {leads}\n"
    "chart bands within_15m_share within_1h_share within_4h_share"
    " within_1d_share\n"
    "\n"
    "section selling-time\n"
    "title Selling time per rep, this quarter\n"
    "run selling-time --every quarter --period this-quarter {activities}\n"
    "chart bars owner selling_share\n";

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "report: out of memory\n");
		exit(SP_EXIT_DATA);
	}
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL) {
		fprintf(stderr, "report: out of memory\n");
		exit(SP_EXIT_DATA);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static char *
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static int
lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/*
 * Decimals.  The numbers the programs print are decimal text; a change
 * and a threshold are worked out on that text, exactly: a decimal is its
 * digits as an integer and the count of decimals.
 */
struct dec {
	__int128 v;
	int scale;
};

static int
dec_parse(const char *s, struct dec *d)
{
	int neg = 0, dot = 0, digits = 0;

	d->v = 0;
	d->scale = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s != '\0'; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9' || digits >= 30)
			return -1;
		d->v = d->v * 10 + (*s - '0');
		digits++;
		d->scale += dot;
	}
	if (digits == 0)
		return -1;
	if (neg)
		d->v = -d->v;
	return 0;
}

static void
dec_align(struct dec *a, struct dec *b)
{
	while (a->scale < b->scale) {
		a->v *= 10;
		a->scale++;
	}
	while (b->scale < a->scale) {
		b->v *= 10;
		b->scale++;
	}
}

static int
dec_cmp(struct dec a, struct dec b)
{
	dec_align(&a, &b);
	return (a.v > b.v) - (a.v < b.v);
}

/* a - b as text with a sign ("+3", "-0.010000", "0"), in the scale of
 * the finer of the two. */
static char *
dec_sub(struct dec a, struct dec b)
{
	char digits[64];
	__int128 v;
	size_t n = 0, i;
	int k;
	char *s, *p;

	dec_align(&a, &b);
	v = a.v - b.v;
	s = p = xmalloc(80);
	if (v > 0)
		*p++ = '+';
	else if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do {
		digits[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0 || n <= (size_t)a.scale);
	for (i = n, k = (int)n; i > 0; i--, k--) {
		if (k == a.scale)
			*p++ = '.';
		*p++ = digits[i - 1];
	}
	*p = '\0';
	return s;
}

/*
 * The spec: lines of "keyword arguments", # comments.  Words are split
 * at blanks; '...' and "..." keep blanks in one word.
 */
static void
spec_error(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "report: %s:%ld: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(SP_EXIT_USAGE);
}

static char **
split_words(char *s, size_t *n, const char *file, long line)
{
	char **w = NULL, *o;
	size_t k = 0;
	char q;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		w = xrealloc(w, (k + 2) * sizeof(*w));
		w[k++] = o = s;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s == '\'' || *s == '"') {
				q = *s++;
				while (*s != q) {
					if (*s == '\0')
						spec_error(file, line,
						    "a quote is not closed");
					*o++ = *s++;
				}
				s++;
			} else
				*o++ = *s++;
		}
		if (*s != '\0')
			s++;
		*o = '\0';
	}
	if (w != NULL)
		w[k] = NULL;
	*n = k;
	return w;
}

/* "[section.]field op number": a threshold.  NULL with *why set when
 * it is not one. */
static struct thr *
thr_parse(const char *text, const char *where, const char **why)
{
	struct thr *t;
	char *s = xstrdup(text), **w, *dot;
	size_t n;
	struct dec d;

	w = split_words(s, &n, where, 0);
	if (n != 3) {
		*why = "is not 'field op number' (win_rate < 0.20)";
		goto bad;
	}
	t = xmalloc(sizeof(*t));
	memset(t, 0, sizeof(*t));
	if ((t->op = lookup(ops, w[1])) < 0) {
		*why = "compares with none of < <= > >= == !=";
		free(t);
		goto bad;
	}
	if (dec_parse(w[2], &d) < 0) {
		*why = "does not compare with a decimal number";
		free(t);
		goto bad;
	}
	if ((dot = strchr(w[0], '.')) != NULL) {
		*dot = '\0';
		t->sec = xstrdup(w[0]);
		t->field = xstrdup(dot + 1);
	} else
		t->field = xstrdup(w[0]);
	t->num = xstrdup(w[2]);
	t->text = xstrdup(text);
	t->where = where;
	free(w);
	free(s);
	return t;
bad:
	free(w);
	free(s);
	return NULL;
}

static void
thr_add(struct thr *t)
{
	thrs = xrealloc(thrs, (nthrs + 1) * sizeof(*thrs));
	thrs[nthrs++] = *t;
	free(t);
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void
spec_parse(char *text, const char *file)
{
	char *line, *next, **w, *rest;
	struct section *s = NULL;
	long ln = 0;
	size_t n, i;
	const char *why;
	struct thr *t;

	for (line = text; line != NULL; line = next) {
		ln++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == '\0' || *line == '\r')
			continue;
		line[strcspn(line, "\r")] = '\0';
		/* the keyword, and the rest of the line as it is */
		rest = line + strcspn(line, " \t");
		if (*rest != '\0')
			*rest++ = '\0';
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (strcmp(line, "section") == 0) {
			if (!valid_name(rest))
				spec_error(file, ln, "'%s' is not a section "
				    "name (a-z, 0-9, - and _)", rest);
			for (i = 0; i < nsecs; i++)
				if (strcmp(secs[i].name, rest) == 0)
					spec_error(file, ln, "section '%s' "
					    "again", rest);
			secs = xrealloc(secs, (nsecs + 1) * sizeof(*secs));
			s = &secs[nsecs++];
			memset(s, 0, sizeof(*s));
			s->name = xstrdup(rest);
			s->title = s->name;
			s->okmask = 1;
			s->line = ln;
			continue;
		}
		if (strcmp(line, "title") == 0) {
			if (*rest == '\0')
				spec_error(file, ln, "title: no text");
			if (s == NULL)
				title = xstrdup(rest);
			else
				s->title = xstrdup(rest);
			continue;
		}
		if (s == NULL)
			spec_error(file, ln, "'%s' before the first section",
			    line);
		if (strcmp(line, "run") == 0) {
			w = split_words(xstrdup(rest), &n, file, ln);
			if (n == 0)
				spec_error(file, ln, "run: no program");
			for (i = 0; entries[i].name != NULL; i++)
				if (strcmp(entries[i].name, w[0]) == 0)
					break;
			if (entries[i].name == NULL)
				spec_error(file, ln, "run: '%s' is not a "
				    "program a section runs (see "
				    "salespipe-report(5))", w[0]);
			s->words = w;
			s->nwords = n;
		} else if (strcmp(line, "chart") == 0) {
			w = split_words(xstrdup(rest), &n, file, ln);
			if (n == 0 || (s->kind = lookup(kinds, w[0])) < 0)
				spec_error(file, ln, "chart: '%s' is not a "
				    "chart (table, bars, funnel, line, "
				    "columns, waterfall, bands)",
				    n ? w[0] : "");
			s->cargs = w + 1;
			s->ncargs = n - 1;
			if (s->kind == K_BARS && (n < 3 || n > 4))
				spec_error(file, ln, "chart bars: label "
				    "value [ref=field]");
			if (s->kind == K_FUNNEL && (n < 3 || n > 4))
				spec_error(file, ln, "chart funnel: label "
				    "value [rate]");
			if (s->kind == K_LINE && n < 3)
				spec_error(file, ln, "chart line: x y...");
			if ((s->kind == K_COLUMNS || s->kind == K_BANDS) &&
			    n < 2)
				spec_error(file, ln, "chart %s: a field at "
				    "least", w[0]);
			if (s->kind == K_WATERFALL && (n < 3 ||
			    w[n - 1][0] != '='))
				spec_error(file, ln, "chart waterfall: start "
				    "+field -field ... =end");
		} else if (strcmp(line, "fail-if") == 0) {
			if ((t = thr_parse(rest, xprintf("%s:%ld", file, ln),
			    &why)) == NULL)
				spec_error(file, ln, "fail-if: '%s' %s", rest,
				    why);
			if (t->sec == NULL)
				t->sec = xstrdup(s->name);
			thr_add(t);
		} else if (strcmp(line, "needs") == 0) {
			if (strcmp(rest, "history") != 0)
				spec_error(file, ln, "needs: '%s' is not "
				    "'history'", rest);
			s->history = 1;
		} else if (strcmp(line, "exit-ok") == 0) {
			char *p = rest, *end;
			long v;

			s->okmask = 0;
			for (;;) {
				v = strtol(p, &end, 10);
				if (end == p || v < 0 || v > 31)
					spec_error(file, ln, "exit-ok: '%s' is "
					    "not a list of statuses (0,1)",
					    rest);
				s->okmask |= 1u << v;
				if (*end == '\0')
					break;
				if (*end != ',')
					spec_error(file, ln, "exit-ok: '%s' is "
					    "not a list of statuses (0,1)",
					    rest);
				p = end + 1;
			}
		} else
			spec_error(file, ln, "'%s' is not a keyword (section, "
			    "title, run, chart, fail-if, exit-ok, needs)", line);
	}
	for (i = 0; i < nsecs; i++)
		if (secs[i].words == NULL)
			spec_error(file, secs[i].line, "section '%s' has no "
			    "run line", secs[i].name);
	if (nsecs == 0)
		spec_error(file, ln, "no section");
}

static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE *fp;
	char *b = NULL;
	size_t n = 0, cap = 0, k;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			b = xrealloc(b, cap + 1);
		}
		k = fread(b + n, 1, cap - n, fp);
		n += k;
		if (n > max) {
			errno = EFBIG;
			free(b);
			fclose(fp);
			return NULL;
		}
		if (k == 0)
			break;
	}
	if (ferror(fp)) {
		free(b);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	b[n] = '\0';
	if (len != NULL)
		*len = n;
	return b;
}

/* The file a descriptor holds, read from its start. */
static char *
slurp_fd(int fd, size_t *len)
{
	char *b = NULL;
	size_t n = 0, cap = 0;
	ssize_t k;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			b = xrealloc(b, cap + 1);
		}
		if ((k = read(fd, b + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/*
 * Inputs and the options every section of deals gets.
 */
static char **deals;		/* operands (stdin spooled to a file) */
static size_t ndeals;
static const char *quota, *leads, *activities;
static char **pass;		/* options for the sections of deals */
static size_t npass;
static char now_text[32], week_ago[32];

static void
pass_add(const char *name, const char *arg)
{
	pass = xrealloc(pass, (npass + 2) * sizeof(*pass));
	pass[npass++] = xprintf("--%s", name);
	if (arg != NULL)
		pass[npass++] = xstrdup(arg);
}

/* stdin read once: copied into a temporary file that becomes every
 * section's standard input (so that messages still name <stdin>) */
static char *spool;		/* /dev/fd/N of the copy, or NULL */

static void
spool_stdin(void)
{
	char buf[65536];
	ssize_t k, w, o;
	int fd;

	if ((fd = sp_tmp_open("report")) < 0) {
		fprintf(stderr, "report: a temporary file for the standard "
		    "input: %s\n", strerror(errno));
		exit(SP_EXIT_DATA);
	}
	for (;;) {
		if ((k = read(0, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "report: <stdin>: read error: %s\n",
			    strerror(errno));
			exit(SP_EXIT_DATA);
		}
		if (k == 0)
			break;
		for (o = 0; o < k; o += w)
			if ((w = write(fd, buf + o, (size_t)(k - o))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				fprintf(stderr, "report: the standard input's "
				    "copy: %s\n", strerror(errno));
				exit(SP_EXIT_DATA);
			}
	}
	spool = xprintf("/dev/fd/%d", fd);
}

/*
 * A section's command line: the run words with {deals}, {leads},
 * {activities}, {quota}, {now} and {week-ago} replaced, -o jsonl and
 * --now first.  NULL (with s->message) when a section needs an input
 * the run was not given.
 */
static char **
section_argv(struct section *s, int *argc)
{
	char **v;
	size_t n = 0, i, k, cap;
	const char *w;

	cap = s->nwords + ndeals + npass + 8;
	v = xmalloc(cap * sizeof(*v));
	v[n++] = s->words[0];
	v[n++] = "-o";
	v[n++] = "jsonl";
	v[n++] = "--now";
	v[n++] = now_text;
	for (i = 1; i < s->nwords; i++) {
		w = s->words[i];
		if (strcmp(w, "{deals}") == 0) {
			for (k = 0; k < npass; k++)
				v[n++] = pass[k];
			for (k = 0; k < ndeals; k++)
				v[n++] = deals[k];
		} else if (strcmp(w, "{leads}") == 0 ||
		    strcmp(w, "{activities}") == 0 ||
		    strcmp(w, "{quota}") == 0) {
			const char *f = w[1] == 'l' ? leads : w[1] == 'a' ?
			    activities : quota;

			if (f == NULL) {
				s->message = xprintf("no --%.*s given",
				    (int)strlen(w) - 2, w + 1);
				free(v);
				return NULL;
			}
			v[n++] = (char *)f;
		} else if (strcmp(w, "{now}") == 0)
			v[n++] = now_text;
		else if (strcmp(w, "{week-ago}") == 0)
			v[n++] = week_ago;
		else
			v[n++] = (char *)w;
	}
	v[n] = NULL;
	*argc = (int)n;
	return v;
}

/*
 * 1 when the deals are a history (their first record has 'at', after
 * --map), 0 when a snapshot; -1 when they cannot be read (the sections
 * will say why).
 */
static int
deals_are_history(void)
{
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	int rc, at, hist = -1;

	char **paths = xmalloc(ndeals * sizeof(*paths));
	size_t i;

	for (i = 0; i < ndeals; i++)
		paths[i] = strcmp(deals[i], "-") == 0 ? spool : deals[i];
	cli_read_opts(&cli, &ro);
	sp_err_clear(&e);
	rd = sp_reader_open(paths, ndeals, &ro, &e);
	free(paths);
	if (rd == NULL)
		return -1;
	if ((r = sp_rec_new()) == NULL) {
		sp_reader_close(rd);
		return -1;
	}
	at = sp_reader_slot(rd, "at");
	while ((rc = sp_reader_next(rd, r, &e)) == -1)
		;
	if (rc == 1)
		hist = sp_rec_has(r, at);
	sp_rec_free(r);
	sp_reader_close(rd);
	return hist;
}

static int
entry_main(const char *name, int argc, char **argv)
{
	size_t i;

	for (i = 0; entries[i].name != NULL; i++)
		if (strcmp(entries[i].name, name) == 0)
			return entries[i].main(argc, argv);
	return SP_EXIT_USAGE;
}

/* Start section s in a child: its stdout and stderr into temporary
 * files. */
static void
section_start(struct section *s)
{
	char **argv;
	int argc;

	if (s->state == S_SKIPPED)
		return;
	if ((argv = section_argv(s, &argc)) == NULL) {
		s->state = S_SKIPPED;
		return;
	}
	if ((s->outfd = sp_tmp_open("report")) < 0 ||
	    (s->errfd = sp_tmp_open("report")) < 0) {
		fprintf(stderr, "report: a temporary file: %s\n",
		    strerror(errno));
		exit(SP_EXIT_DATA);
	}
	fflush(NULL);
	if ((s->pid = fork()) < 0) {
		fprintf(stderr, "report: fork: %s\n", strerror(errno));
		exit(SP_EXIT_DATA);
	}
	if (s->pid == 0) {
		int in;

		/* the copy of stdin opened again: an offset of its own */
		if (spool != NULL && ((in = open(spool, O_RDONLY)) < 0 ||
		    dup2(in, 0) < 0 || close(in) < 0))
			_exit(SP_EXIT_DATA);
		if (dup2(s->outfd, 1) < 0 || dup2(s->errfd, 2) < 0)
			_exit(SP_EXIT_DATA);
		optind = 0;	/* getopt starts again */
		exit(entry_main(argv[0], argc, argv));
	}
	free(argv);
}

/* Wait for s and read what it wrote. */
static void
section_wait(struct section *s)
{
	int st;

	if (s->state == S_SKIPPED)
		return;
	while (waitpid(s->pid, &st, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "report: waitpid: %s\n",
			    strerror(errno));
			exit(SP_EXIT_DATA);
		}
	if ((s->out = slurp_fd(s->outfd, &s->outlen)) == NULL ||
	    (s->err = slurp_fd(s->errfd, &s->errlen)) == NULL) {
		fprintf(stderr, "report: a section's output: %s\n",
		    strerror(errno));
		exit(SP_EXIT_DATA);
	}
	close(s->outfd);
	close(s->errfd);
	if (WIFEXITED(st))
		s->status = WEXITSTATUS(st);
	else {
		s->status = 128 + WTERMSIG(st);
		s->message = xprintf("%s died of signal %d", s->words[0],
		    WTERMSIG(st));
	}
	if (s->status > 31 || !(s->okmask & (1u << s->status))) {
		s->state = S_FAILED;
		if (s->message == NULL)
			s->message = xprintf("%s exited with status %d",
			    s->words[0], s->status);
	}
}

/* Read a section's JSON lines into its table. */
static void
section_table(struct section *s)
{
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	int rc, slot;
	const int *f;
	size_t nf, i, c;
	int *colslot = NULL;

	if (s->out == NULL || s->outlen == 0)
		return;
	memset(&ro, 0, sizeof(ro));
	ro.format = SP_FMT_JSONL;
	sp_err_clear(&e);
	if ((rd = sp_reader_open_mem(s->out, s->outlen, s->words[0], &ro,
	    &e)) == NULL || (r = sp_rec_new()) == NULL) {
		fprintf(stderr, "report: out of memory\n");
		exit(SP_EXIT_DATA);
	}
	while ((rc = sp_reader_next(rd, r, &e)) != 0) {
		if (rc < 0) {
			char buf[1400];

			fprintf(stderr, "report: section %s: %s\n", s->name,
			    sp_err_format(&e, NULL, buf, sizeof(buf)));
			exit(SP_EXIT_DATA);
		}
		/* the columns: every field in order of first appearance */
		f = sp_reader_fields(rd, &nf);
		for (i = 0; i < nf; i++) {
			for (c = 0; c < s->ncol; c++)
				if (colslot[c] == f[i])
					break;
			if (c < s->ncol)
				continue;
			if (s->nrow > 0) {
				/* a column the earlier rows lack: widen */
				char **cell = xmalloc(s->nrow * (s->ncol + 1) *
				    sizeof(*cell));
				size_t k;

				for (k = 0; k < s->nrow; k++) {
					memcpy(cell + k * (s->ncol + 1),
					    s->cell + k * s->ncol,
					    s->ncol * sizeof(*cell));
					cell[k * (s->ncol + 1) + s->ncol] =
					    NULL;
				}
				free(s->cell);
				s->cell = cell;
			}
			colslot = xrealloc(colslot, (s->ncol + 1) *
			    sizeof(*colslot));
			s->cols = xrealloc(s->cols, (s->ncol + 1) *
			    sizeof(*s->cols));
			s->num = xrealloc(s->num, (s->ncol + 1) *
			    sizeof(*s->num));
			s->ratio = xrealloc(s->ratio, (s->ncol + 1) *
			    sizeof(*s->ratio));
			colslot[s->ncol] = f[i];
			s->cols[s->ncol] = xstrdup(sp_reader_slot_name(rd,
			    f[i]));
			s->num[s->ncol] = 1;
			s->ratio[s->ncol] = 1;
			s->ncol++;
		}
		s->cell = xrealloc(s->cell, (s->nrow + 1) * s->ncol *
		    sizeof(*s->cell));
		for (c = 0; c < s->ncol; c++) {
			const char *v;
			const char *dot;

			slot = colslot[c];
			v = sp_rec_get(r, slot);
			if (v == NULL || *v == '\0') {
				s->cell[s->nrow * s->ncol + c] = NULL;
				continue;
			}
			s->cell[s->nrow * s->ncol + c] = xstrdup(v);
			if (!r->num[slot])
				s->num[c] = s->ratio[c] = 0;
			dot = strchr(v, '.');
			if (dot == NULL || strlen(dot + 1) != 6)
				s->ratio[c] = 0;
		}
		s->nrow++;
	}
	for (c = 0; c < s->ncol; c++) {
		size_t k;
		int any = 0;

		for (k = 0; k < s->nrow; k++)
			any |= s->cell[k * s->ncol + c] != NULL;
		if (!any)	/* a column of nulls only: not a ratio */
			s->ratio[c] = 0;
	}
	free(colslot);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static int
col_of(const struct section *s, const char *name)
{
	size_t c;

	for (c = 0; c < s->ncol; c++)
		if (strcmp(s->cols[c], name) == 0)
			return (int)c;
	return -1;
}

static const char *
cell(const struct section *s, size_t row, int col)
{
	if (col < 0)
		return NULL;
	return s->cell[row * s->ncol + (size_t)col];
}

/*
 * Thresholds: each row of a section with the field is compared; a
 * value that is null never crosses.
 */
static void
check_thresholds(void)
{
	size_t i, k, r;
	int c, cmp, hit;
	struct dec v, lim;

	for (i = 0; i < nthrs; i++) {
		struct thr *t = &thrs[i];

		dec_parse(t->num, &lim);
		for (k = 0; k < nsecs; k++) {
			struct section *s = &secs[k];

			if (t->sec != NULL && strcmp(t->sec, s->name) != 0)
				continue;
			if (t->sec != NULL)
				t->seen |= 2;	/* the section exists */
			if ((c = col_of(s, t->field)) < 0)
				continue;
			t->seen |= 1;
			for (r = 0; r < s->nrow; r++) {
				const char *x = cell(s, r, c);

				if (x == NULL || dec_parse(x, &v) < 0)
					continue;
				cmp = dec_cmp(v, lim);
				switch (t->op) {
				case OP_LT: hit = cmp < 0; break;
				case OP_LE: hit = cmp <= 0; break;
				case OP_GT: hit = cmp > 0; break;
				case OP_GE: hit = cmp >= 0; break;
				case OP_EQ: hit = cmp == 0; break;
				default: hit = cmp != 0; break;
				}
				if (!hit)
					continue;
				crossed = xrealloc(crossed, (ncrossed + 1) *
				    sizeof(*crossed));
				crossed[ncrossed].sec = k;
				crossed[ncrossed].row = r;
				crossed[ncrossed].t = t;
				ncrossed++;
			}
		}
	}
}

/* A row's key: its text values, joined (the group and period). */
static char *
row_key(const struct section *s, size_t row)
{
	size_t c, n = 1;
	char *k, *p;

	for (c = 0; c < s->ncol; c++)
		if (!s->num[c] && cell(s, row, (int)c) != NULL)
			n += strlen(s->cols[c]) + strlen(cell(s, row,
			    (int)c)) + 2;
	p = k = xmalloc(n);
	for (c = 0; c < s->ncol; c++)
		if (!s->num[c] && cell(s, row, (int)c) != NULL)
			p += sprintf(p, "%s=%s\x1f", s->cols[c],
			    cell(s, row, (int)c));
	*p = '\0';
	return k;
}

/*
 * --previous: yesterday's report as JSON lines (a file, or report.jsonl
 * in a directory).  Each row of each section found there by its key
 * gives every number column its change.
 */
static void
load_previous(const char *path)
{
	struct stat st;
	char *file, **pv;
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	int rc, ssec, sst, scr;
	size_t i, row, c, n;
	char buf[1400];

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		file = xprintf("%s/report.jsonl", path);
	else
		file = xstrdup(path);
	if (access(file, R_OK) < 0) {
		fprintf(stderr, "report: --previous: %s: %s\n", file,
		    strerror(errno));
		exit(SP_EXIT_DATA);
	}
	memset(&ro, 0, sizeof(ro));
	ro.format = SP_FMT_JSONL;
	pv = &file;
	sp_err_clear(&e);
	if ((rd = sp_reader_open(pv, 1, &ro, &e)) == NULL ||
	    (r = sp_rec_new()) == NULL) {
		fprintf(stderr, "report: %s\n", sp_err_format(&e, NULL, buf,
		    sizeof(buf)));
		exit(SP_EXIT_DATA);
	}
	ssec = sp_reader_slot(rd, "section");
	sst = sp_reader_slot(rd, "report_status");
	scr = sp_reader_slot(rd, "report_crossed");
	for (i = 0; i < nsecs; i++)
		if (secs[i].nrow > 0) {
			n = secs[i].nrow * secs[i].ncol;
			secs[i].chg = xmalloc(n * sizeof(char *));
			memset(secs[i].chg, 0, n * sizeof(char *));
		}
	while ((rc = sp_reader_next(rd, r, &e)) != 0) {
		struct section *s = NULL;
		const char *name;

		if (rc < 0) {
			fprintf(stderr, "report: --previous: %s\n",
			    sp_err_format(&e, NULL, buf, sizeof(buf)));
			exit(SP_EXIT_DATA);
		}
		if ((name = sp_rec_get(r, ssec)) == NULL ||
		    sp_rec_get(r, sst) != NULL || sp_rec_get(r, scr) != NULL)
			continue;
		for (i = 0; i < nsecs; i++)
			if (strcmp(secs[i].name, name) == 0)
				s = &secs[i];
		if (s == NULL || s->nrow == 0)
			continue;
		/* the row of today with the same text values */
		for (row = 0; row < s->nrow; row++) {
			int same = 1;

			for (c = 0; c < s->ncol && same; c++) {
				const char *a = cell(s, row, (int)c);
				const char *b;
				int sl = sp_reader_slot(rd, s->cols[c]);

				if (s->num[c])
					continue;
				b = sp_rec_get(r, sl);
				if (b != NULL && *b == '\0')
					b = NULL;
				same = (a == NULL && b == NULL) || (a != NULL &&
				    b != NULL && strcmp(a, b) == 0);
			}
			if (same)
				break;
		}
		if (row == s->nrow)
			continue;
		for (c = 0; c < s->ncol; c++) {
			struct dec a, b;
			const char *was;

			if (!s->num[c] || cell(s, row, (int)c) == NULL)
				continue;
			was = sp_rec_get(r, sp_reader_slot(rd, s->cols[c]));
			if (was == NULL || dec_parse(was, &b) < 0 ||
			    dec_parse(cell(s, row, (int)c), &a) < 0)
				continue;
			free(s->chg[row * s->ncol + c]);
			s->chg[row * s->ncol + c] = dec_sub(a, b);
		}
	}
	sp_rec_free(r);
	sp_reader_close(rd);
	free(file);
}

/*
 * Cells as people read them (md, html): ratios as percentages, changes
 * of ratios in percentage points.
 */
static char *
show_cell(const struct section *s, size_t row, size_t col)
{
	const char *v = cell(s, row, (int)col), *ch;
	char buf[96], cbuf[96];
	const char *shown;

	if (v == NULL)
		return xstrdup("");
	shown = s->ratio[col] ? sp_percent_text(v, buf, sizeof(buf)) : v;
	if (s->chg == NULL || (ch = s->chg[row * s->ncol + col]) == NULL)
		return xstrdup(shown);
	if (s->ratio[col]) {
		const char *p = sp_percent_text(ch, cbuf, sizeof(cbuf));
		size_t n = strlen(p);

		/* 1.20% -> +1.20 pp */
		return xprintf("%s (%s%.*s pp)", shown, ch[0] == '+' ? "+" :
		    "", (int)(n && p[n - 1] == '%' ? n - 1 : n), p);
	}
	return xprintf("%s (%s)", shown, ch);
}

/* A program's messages, each line escaped (util.h), the newlines kept. */
static char *
escaped_lines(const char *s)
{
	char *out = xstrdup(""), *line, *t;
	const char *nl;
	size_t n;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		line = xmalloc(n + 1);
		memcpy(line, s, n);
		line[n] = '\0';
		if ((t = sp_escape(line)) == NULL) {
			fprintf(stderr, "report: out of memory\n");
			exit(SP_EXIT_DATA);
		}
		free(line);
		line = xprintf("%s%s%s", out, t, nl ? "\n" : "");
		free(out);
		free(t);
		out = line;
		s += n + (nl != NULL);
	}
	return out;
}

static void
out_md(void)
{
	size_t i, r, c;

	printf("# %s\n\nAs of %s.\n", title, now_text);
	if (ncrossed > 0) {
		printf("\n## Thresholds crossed\n\n");
		for (i = 0; i < ncrossed; i++) {
			const struct section *s = &secs[crossed[i].sec];
			char *k = row_key(s, crossed[i].row), *p;

			for (p = k; *p != '\0'; p++)
				if (*p == '\x1f')
					*p = p[1] ? ',' : '\0';
			printf("- %s: %s (%s = %s%s%s)\n", s->name,
			    crossed[i].t->text, crossed[i].t->field,
			    cell(s, crossed[i].row, col_of(s,
			    crossed[i].t->field)), *k ? ", " : "", k);
			free(k);
		}
	}
	for (i = 0; i < nsecs; i++) {
		const struct section *s = &secs[i];
		sp_writer *w;
		const char **vals;

		printf("\n## %s\n", s->title);
		if (s->state != S_OK)
			printf("\n*%s: %s.*\n", states[s->state], s->message);
		if (s->err != NULL && s->errlen > 0) {
			char *t = escaped_lines(s->err);

			printf("\n```\n%s%s```\n", t, t[0] &&
			    t[strlen(t) - 1] != '\n' ? "\n" : "");
			free(t);
		}
		if (s->ncol == 0) {
			if (s->state == S_OK)
				printf("\n(no rows)\n");
			continue;
		}
		printf("\n");
		fflush(stdout);
		if ((w = sp_writer_new(stdout, SP_FMT_MD)) == NULL) {
			fprintf(stderr, "report: out of memory\n");
			exit(SP_EXIT_DATA);
		}
		for (c = 0; c < s->ncol; c++)
			sp_writer_col(w, s->cols[c], s->num[c] ? SP_COL_NUM :
			    SP_COL_STR);
		vals = xmalloc(s->ncol * sizeof(*vals));
		for (r = 0; r < s->nrow; r++) {
			for (c = 0; c < s->ncol; c++)
				vals[c] = show_cell(s, r, c);
			sp_writer_row(w, vals);
			for (c = 0; c < s->ncol; c++)
				free((char *)vals[c]);
		}
		free(vals);
		sp_writer_finish(w);
		sp_writer_free(w);
	}
}

/* JSON: a string, escaped */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
json_row(const struct section *s, size_t r)
{
	size_t c;
	const char *v;

	for (c = 0; c < s->ncol; c++) {
		printf(",");
		json_str(s->cols[c]);
		putchar(':');
		if ((v = cell(s, r, (int)c)) == NULL)
			fputs("null", stdout);
		else if (s->num[c])
			fputs(v, stdout);
		else
			json_str(v);
	}
}

static void
out_jsonl(void)
{
	size_t i, r, c;

	for (i = 0; i < nsecs; i++) {
		const struct section *s = &secs[i];

		if (s->state != S_OK) {
			printf("{\"section\":");
			json_str(s->name);
			printf(",\"report_status\":");
			json_str(states[s->state]);
			printf(",\"report_message\":");
			json_str(s->message);
			printf("}\n");
		}
		for (r = 0; r < s->nrow; r++) {
			printf("{\"section\":");
			json_str(s->name);
			for (c = 0; c < s->ncol; c++) {
				const char *v = cell(s, r, (int)c);

				printf(",");
				json_str(s->cols[c]);
				putchar(':');
				if (v == NULL)
					fputs("null", stdout);
				else if (s->num[c])
					fputs(v, stdout);
				else
					json_str(v);
				if (s->chg != NULL && s->num[c]) {
					const char *ch = s->chg[r * s->ncol +
					    c];

					printf(",\"%s_change\":", s->cols[c]);
					/* JSON numbers have no plus sign */
					fputs(ch == NULL ? "null" : ch[0] ==
					    '+' ? ch + 1 : ch, stdout);
				}
			}
			printf("}\n");
		}
	}
	for (i = 0; i < ncrossed; i++) {
		const struct section *s = &secs[crossed[i].sec];

		printf("{\"section\":");
		json_str(s->name);
		printf(",\"report_crossed\":");
		json_str(crossed[i].t->text);
		json_row(s, crossed[i].row);
		printf("}\n");
	}
}

/*
 * -o html: one self-contained page (no network, no script), a chart in
 * inline SVG beside each table.  The charts' marks (bars, points, bands)
 * carry class "mark"; each figure says its kind and its number of marks
 * (data-kind, data-marks), which the browser tests count.
 */
static void
html_esc(const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&#39;", stdout); break;
		default: putchar(*s);
		}
}

/* The SVG's user units: W wide, text FONT high. */
#define W 400
#define FONT 12

static const char *const colors[] = { "#0072b2", "#e69f00", "#009e73",
	"#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000" };
#define NCOLORS (sizeof(colors) / sizeof(colors[0]))

/*
 * The width of s in user units at FONT: an upper estimate, character by
 * character, from the advances of DejaVu Sans (the widest of the usual
 * sans-serif faces a browser falls back to: Liberation, Arial, Helvetica
 * and San Francisco are narrower), so that a text given this room is
 * neither clipped nor run into its neighbour whatever the face.
 */
static double
text_width(const char *s)
{
	double em = 0;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if ((c & 0xc0) == 0x80)
			continue;	/* inside a UTF-8 character */
		if (c >= 0x80 || c == '%' || c == 'm' || c == 'M' ||
		    c == 'W' || c == '@')
			em += 1.0;
		else if (strchr("iljI.,:;'!| ", c) != NULL)
			em += 0.32;
		else if (strchr("frt()[]{}/-", c) != NULL)
			em += 0.42;
		else if (c == 'w')
			em += 0.82;
		else if (c >= 'A' && c <= 'Z')
			em += 0.8;
		else
			em += 0.64;
	}
	return em * FONT;
}

/* s cut to fit width units (with an ellipsis when cut), as a new string */
static char *
fit(const char *s, double width)
{
	size_t k;
	char *t;

	if (text_width(s) <= width)
		return xstrdup(s);
	t = xmalloc(strlen(s) + 4);
	strcpy(t, s);
	for (k = strlen(t); k > 0; ) {
		/* drop the last character, not a byte of it */
		while (k > 0 && ((unsigned char)t[--k] & 0xc0) == 0x80)
			;
		strcpy(t + k, "\xe2\x80\xa6");
		if (text_width(t) <= width)
			break;
	}
	return t;
}

static void
svg_text(double x, double y, const char *anchor, const char *cls,
    const char *s, double width)
{
	char *t = fit(s, width);

	printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">",
	    x, y, anchor, cls);
	if (strcmp(t, s) != 0) {
		printf("<title>");
		html_esc(s);
		printf("</title>");
	}
	html_esc(t);
	printf("</text>");
	free(t);
}

static int
num_at(const struct section *s, size_t row, const char *field, double *v)
{
	const char *x = cell(s, row, col_of(s, field));
	char *end;

	if (x == NULL)
		return 0;
	*v = strtod(x, &end);
	return *end == '\0';
}

/* Whether column c has the same text in every row (and there are two). */
static int
same_everywhere(const struct section *s, int c)
{
	const char *v = cell(s, 0, c), *o;
	size_t r;

	if (s->nrow < 2)
		return 0;
	for (r = 1; r < s->nrow; r++)
		if ((o = cell(s, r, c)) == NULL || v == NULL ||
		    strcmp(o, v) != 0)
			return 0;
	return 1;
}

/* A row's label: its value of field when that tells every row apart,
 * else the text values of the row (its group, its period) joined by
 * " · ", leaving out those that are the same in every row. */
static char *
row_label(const struct section *s, size_t row, const char *field)
{
	int f = field != NULL ? col_of(s, field) : -1;
	size_t c, r, q, n = 1;
	char *k, *p;
	const char *v, *o;

	for (r = 0; f >= 0 && r < s->nrow; r++)
		for (q = r + 1; f >= 0 && q < s->nrow; q++)
			if ((v = cell(s, r, f)) == NULL ||
			    ((o = cell(s, q, f)) != NULL && strcmp(o, v) == 0))
				f = -1;
	if (f >= 0 && (v = cell(s, row, f)) != NULL)
		return xstrdup(v);
	for (c = 0; c < s->ncol; c++)
		if (!s->num[c] && (v = cell(s, row, (int)c)) != NULL)
			n += strlen(v) + 4;	/* " · " is 4 bytes */
	p = k = xmalloc(n);
	*p = '\0';
	for (c = 0; c < s->ncol; c++)
		if (!s->num[c] && (v = cell(s, row, (int)c)) != NULL &&
		    !same_everywhere(s, (int)c))
			p += sprintf(p, "%s%s", p == k ? "" : " \xc2\xb7 ", v);
	return k;
}

/* The text a chart shows for a value: as the table shows it. */
static char *
shown(const struct section *s, size_t row, const char *field)
{
	int c = col_of(s, field);
	const char *v = cell(s, row, c);
	char buf[96];

	if (v == NULL)
		return xstrdup("");
	return xstrdup(s->ratio[c] ? sp_percent_text(v, buf, sizeof(buf)) :
	    v);
}

/* Round numbers for an axis from lo to hi: step and count. */
static double
nice_step(double span, int want)
{
	double raw = span / want, mag = 1, f;

	if (raw <= 0)
		return 1;
	while (mag * 10 <= raw)
		mag *= 10;
	while (mag > raw)
		mag /= 10;
	f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void
tick_text(double v, double step, char *buf, size_t size)
{
	if (step >= 1 || v == 0)
		snprintf(buf, size, "%.0f", v);
	else if (step >= 0.1)
		snprintf(buf, size, "%.1f", v);
	else if (step >= 0.01)
		snprintf(buf, size, "%.2f", v);
	else
		snprintf(buf, size, "%.3f", v);
}

/* A vertical axis from lo to hi on [top, bottom] at x = left. */
struct axis {
	double lo, hi, top, bottom, left, right, step;
	int ratio;
};

static double
ay(const struct axis *a, double v)
{
	return a->bottom - (v - a->lo) / (a->hi - a->lo) *
	    (a->bottom - a->top);
}

static void
axis_draw(struct axis *a, double lo, double hi, int ratio)
{
	double v;
	char buf[32];

	if (lo > 0)
		lo = 0;
	if (hi < 0)
		hi = 0;
	if (hi <= lo)
		hi = lo + 1;
	a->step = nice_step(hi - lo, 4);
	a->lo = a->step * (double)(long long)(lo / a->step - (lo < 0));
	a->hi = a->step * (double)(long long)(hi / a->step + 0.999999);
	if (a->hi <= a->lo)
		a->hi = a->lo + a->step;
	a->ratio = ratio;
	for (v = a->lo; v <= a->hi + a->step / 2; v += a->step) {
		if (ratio) {
			tick_text(v * 100, a->step * 100, buf, sizeof(buf) - 1);
			strcat(buf, "%");
		} else if (a->hi >= 1e6)
			snprintf(buf, sizeof(buf), "%gM", v / 1e6);
		else if (a->hi >= 1e4)
			snprintf(buf, sizeof(buf), "%gk", v / 1e3);
		else
			tick_text(v, a->step, buf, sizeof(buf));
		printf("<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" "
		    "y1=\"%.1f\" y2=\"%.1f\"/>", a->left, a->right, ay(a, v),
		    ay(a, v));
		svg_text(a->left - 4, ay(a, v) + 4, "end", "tick", buf,
		    a->left - 6);
	}
}

static void
svg_open(const struct section *s, const char *kind, size_t marks,
    double h)
{
	printf("<figure class=\"chart\" data-kind=\"%s\" data-marks=\"%zu\">"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" "
	    "role=\"img\"><title>", kind, marks, W, h);
	html_esc(s->title);
	printf("</title>");
}

static void
svg_close(void)
{
	printf("</svg></figure>\n");
}

/* A legend from y on: a key and a name for each of names, wrapped into
 * lines W wide; drawn when draw is set.  Returns the y of its last line. */
static double
legend(char *const *names, size_t n, double y, int draw)
{
	size_t i;
	double x = 4, w;

	for (i = 0; i < n; i++) {
		w = text_width(names[i]) + 22;
		if (x + w > W && x > 4) {
			x = 4;
			y += 16;
		}
		if (draw) {
			printf("<rect class=\"key\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"10\" height=\"10\" fill=\"%s\"/>", x, y - 9,
			    colors[i % NCOLORS]);
			svg_text(x + 14, y, "start", "legend", names[i],
			    W - x - 16);
		}
		x += w;
	}
	return y;
}

/* The room for a column of texts: the widest of them, at most max. */
static double
widest(char *const *texts, size_t n, double max)
{
	double w = 0, t;
	size_t i;

	for (i = 0; i < n; i++)
		if ((t = text_width(texts[i])) > w)
			w = t;
	return w < max ? w : max;
}

/*
 * Rows of labelled horizontal bars: bars and funnel.  The labels take the
 * room the longest needs; when that is more than 40% of the width, each
 * label goes above its bar on a line of its own instead.  The values take
 * the room the widest needs, right of the bars.
 */
static void
chart_hbars(const struct section *s, int funnel)
{
	const char *lab = s->cargs[0], *val = s->cargs[1];
	const char *ref = NULL, *rate = NULL;
	double max = 0, v, r, L, A, V, y, by, w, x, rowh;
	size_t row, marks = 0;
	int rc, above;
	char **label = xmalloc(s->nrow * sizeof(*label));
	char **value = xmalloc(s->nrow * sizeof(*value));

	if (s->ncargs > 2) {
		if (!funnel && strncmp(s->cargs[2], "ref=", 4) == 0)
			ref = s->cargs[2] + 4;
		else if (funnel)
			rate = s->cargs[2];
	}
	for (row = 0; row < s->nrow; row++) {
		if (num_at(s, row, val, &v)) {
			marks++;
			max = v > max ? v : max;
		}
		if (ref != NULL && num_at(s, row, ref, &r) && r > max)
			max = r;
		label[row] = row_label(s, row, lab);
		value[row] = shown(s, row, val);
		if (rate != NULL && cell(s, row, col_of(s, rate)) != NULL) {
			char *rt = shown(s, row, rate);
			char *both = xprintf("%s (%s)", value[row], rt);

			free(value[row]);
			free(rt);
			value[row] = both;
		}
	}
	if (max <= 0)
		max = 1;
	above = widest(label, s->nrow, W) > W * 0.4;
	L = above ? 4 : widest(label, s->nrow, W) + 10;
	V = widest(value, s->nrow, W * 0.3);
	A = W - L - V - 10;
	rowh = above ? 40 : 24;
	svg_open(s, funnel ? "funnel" : "bars", marks,
	    (double)s->nrow * rowh + 12);
	for (row = 0, y = 6; row < s->nrow; row++, y += rowh) {
		if (above) {
			svg_text(4, y + 13, "start", "label", label[row], W - 8);
			by = y + 18;
		} else {
			svg_text(L - 6, y + 15, "end", "label", label[row],
			    L - 8);
			by = y + 3;
		}
		if ((rc = num_at(s, row, val, &v)) && v >= 0) {
			w = v / max * A;
			x = funnel ? L + (A - w) / 2 : L;
			printf("<rect class=\"mark bar\" x=\"%.2f\" y=\"%.1f\" "
			    "width=\"%.2f\" height=\"16\" fill=\"%s\" "
			    "data-value=\"%s\"/>", x, by, w, colors[0],
			    cell(s, row, col_of(s, val)));
		} else if (rc) {
			/* a negative value: a mark of no width, the value
			   beside it */
			printf("<rect class=\"mark bar\" x=\"%.2f\" y=\"%.1f\" "
			    "width=\"0\" height=\"16\" data-value=\"%s\"/>",
			    L, by, cell(s, row, col_of(s, val)));
		}
		if (ref != NULL && num_at(s, row, ref, &r) && r >= 0)
			printf("<line class=\"ref\" x1=\"%.2f\" x2=\"%.2f\" "
			    "y1=\"%.1f\" y2=\"%.1f\"/>", L + r / max * A,
			    L + r / max * A, by - 2, by + 18);
		svg_text(L + A + 6, by + 12, "start", "value", value[row],
		    V + 1);
		free(label[row]);
		free(value[row]);
	}
	svg_close();
	free(label);
	free(value);
}

/* points over rows: line */
static void
chart_line(const struct section *s)
{
	const char *x = s->cargs[0];
	size_t k, row, marks = 0, every, nser = s->ncargs - 1;
	double lo = 0, hi = 0, v, step, lw, x0, x1;
	char **label = xmalloc((s->nrow + 1) * sizeof(*label));
	struct axis a;
	int ratio = 1, first;

	for (k = 1; k < s->ncargs; k++) {
		int c = col_of(s, s->cargs[k]);

		ratio &= c >= 0 && s->ratio[c];
		for (row = 0; row < s->nrow; row++)
			if (num_at(s, row, s->cargs[k], &v)) {
				marks++;
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
	}
	for (row = 0; row < s->nrow; row++)
		label[row] = row_label(s, row, x);
	lw = widest(label, s->nrow, W / 2);
	svg_open(s, "line", marks, 250);
	a.top = legend(s->cargs + 1, nser, 14, 1) + 16;
	a.bottom = 210;
	a.left = 50;
	a.right = W - 4;
	axis_draw(&a, lo, hi, ratio);
	/* the first and the last x label whole inside the chart */
	x0 = a.left + 10;
	if (x0 < lw / 2 + 2)
		x0 = lw / 2 + 2;
	x1 = a.right - 10;
	if (x1 > W - lw / 2 - 2)
		x1 = W - lw / 2 - 2;
	step = s->nrow > 1 ? (x1 - x0) / (double)(s->nrow - 1) : 0;
	if (s->nrow == 1)	/* one point: in the middle */
		x0 = (a.left + a.right) / 2;
	/* x labels: every k-th, so that they do not overlap */
	every = 1;
	while (step > 0 && (double)every * step < lw + 6)
		every++;
	for (row = 0; row < s->nrow; row += every)
		svg_text(x0 + step * (double)row, a.bottom + 20, "middle",
		    "label", label[row], step > 0 ? (double)every * step - 6 :
		    W - 8);
	for (k = 1; k < s->ncargs; k++) {
		printf("<polyline class=\"series\" fill=\"none\" stroke=\"%s\" "
		    "points=\"", colors[(k - 1) % NCOLORS]);
		first = 1;
		for (row = 0; row < s->nrow; row++)
			if (num_at(s, row, s->cargs[k], &v)) {
				printf("%s%.2f,%.2f", first ? "" : " ",
				    x0 + step * (double)row, ay(&a, v));
				first = 0;
			}
		printf("\"/>");
		for (row = 0; row < s->nrow; row++)
			if (num_at(s, row, s->cargs[k], &v))
				printf("<circle class=\"mark point\" cx=\"%.2f\" "
				    "cy=\"%.2f\" r=\"3\" fill=\"%s\" "
				    "data-value=\"%s\"/>",
				    x0 + step * (double)row, ay(&a, v),
				    colors[(k - 1) % NCOLORS],
				    cell(s, row, col_of(s, s->cargs[k])));
	}
	svg_close();
	for (row = 0; row < s->nrow; row++)
		free(label[row]);
	free(label);
}

/*
 * Labels under n units (bars or groups of bars) of width uw from x = left:
 * on one line when each fits its unit, else on two, every other one
 * lower, each then up to two units wide (and never past an edge).
 * Returns the y below them.
 */
static double
unit_labels(char *const *label, size_t n, double left, double uw, double y)
{
	size_t i;
	int two = widest(label, n, W) > uw - 4;
	double cx, room;

	for (i = 0; i < n; i++) {
		cx = left + uw * ((double)i + 0.5);
		room = two ? 2 * uw - 4 : uw - 4;
		if (room > 2 * cx - 4)
			room = 2 * cx - 4;
		if (room > 2 * (W - cx) - 4)
			room = 2 * (W - cx) - 4;
		svg_text(cx, y + 18 + (two && i % 2 ? 15 : 0), "middle",
		    "label", label[i], room);
	}
	return y + (two ? 40 : 26);
}

/* bars of fields, a group per row, with intervals and a reference:
 * columns (the fields named under the bars, or, with more than one row,
 * in a legend, and each group's label under it) */
static void
chart_columns(const struct section *s)
{
	size_t nf = s->ncargs, k, row, marks = 0, nb;
	char **field = xmalloc(nf * sizeof(*field)), **lo = xmalloc(nf *
	    sizeof(*lo)), **hi = xmalloc(nf * sizeof(*hi));
	char **label = xmalloc((s->nrow + 1) * sizeof(*label));
	const char *ref = NULL;
	double mn = 0, mx = 0, v, bw, gx, top, bot, r, h;
	struct axis a;
	size_t i;

	for (k = 0, i = 0; k < s->ncargs; k++) {
		char *f = xstrdup(s->cargs[k]), *p;

		if (strncmp(f, "ref=", 4) == 0) {
			ref = s->cargs[k] + 4;
			free(f);
			continue;
		}
		lo[i] = hi[i] = NULL;
		if ((p = strchr(f, ':')) != NULL) {
			*p++ = '\0';
			lo[i] = p;
			if ((p = strchr(p, ':')) != NULL) {
				*p++ = '\0';
				hi[i] = p;
			}
		}
		field[i++] = f;
	}
	nf = i;
	for (row = 0; row < s->nrow; row++) {
		for (k = 0; k < nf; k++) {
			if (!num_at(s, row, field[k], &v))
				continue;
			marks++;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
			if (lo[k] != NULL && num_at(s, row, lo[k], &r))
				mn = r < mn ? r : mn;
			if (hi[k] != NULL && num_at(s, row, hi[k], &r))
				mx = r > mx ? r : mx;
		}
		if (ref != NULL && num_at(s, row, ref, &r))
			mx = r > mx ? r : mx;
	}
	a.left = 50;
	a.right = W - 4;
	nb = s->nrow * nf;
	bw = nb > 0 ? (a.right - a.left - 8) / (double)nb : 0;
	/* the labels' height first: the chart's height depends on it */
	if (s->nrow == 1)
		h = widest(field, nf, W) > bw - 4 ? 40 : 26;
	else {
		for (row = 0; row < s->nrow; row++)
			label[row] = row_label(s, row, NULL);
		h = widest(label, s->nrow, W) > bw * (double)nf - 4 ? 40 : 26;
	}
	a.top = 16;
	a.bottom = 200;
	if (s->nrow > 1) {
		a.top = legend(field, nf, 14, 0) + 16;
		a.bottom += a.top - 16;
	}
	svg_open(s, "columns", marks, a.bottom + h + 4);
	if (s->nrow > 1)
		legend(field, nf, 14, 1);
	axis_draw(&a, mn, mx, 0);
	if (s->nrow == 1)
		unit_labels(field, nf, a.left + 4, bw, a.bottom);
	else
		unit_labels(label, s->nrow, a.left + 4, bw * (double)nf,
		    a.bottom);
	for (row = 0; row < s->nrow; row++) {
		for (k = 0; k < nf; k++) {
			gx = a.left + 4 + bw * (double)(row * nf + k);
			if (!num_at(s, row, field[k], &v))
				continue;
			top = v > 0 ? v : 0;
			bot = v > 0 ? 0 : v;
			printf("<rect class=\"mark bar\" x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
			    "data-value=\"%s\"/>", gx + bw * 0.15, ay(&a, top),
			    bw * 0.7, ay(&a, bot) - ay(&a, top),
			    colors[k % NCOLORS],
			    cell(s, row, col_of(s, field[k])));
			if (lo[k] != NULL && hi[k] != NULL &&
			    num_at(s, row, lo[k], &r) && num_at(s, row,
			    hi[k], &v))
				printf("<line class=\"interval\" x1=\"%.2f\" "
				    "x2=\"%.2f\" y1=\"%.2f\" y2=\"%.2f\"/>",
				    gx + bw / 2, gx + bw / 2, ay(&a, r),
				    ay(&a, v));
		}
		if (ref != NULL && num_at(s, row, ref, &r))
			printf("<line class=\"ref\" x1=\"%.2f\" x2=\"%.2f\" "
			    "y1=\"%.2f\" y2=\"%.2f\"/>",
			    a.left + 4 + bw * (double)(row * nf), a.left + 4 +
			    bw * (double)((row + 1) * nf), ay(&a, r), ay(&a, r));
		if (s->nrow > 1)
			free(label[row]);
	}
	svg_close();
	for (k = 0; k < nf; k++)
		free(field[k]);
	free(field);
	free(lo);
	free(hi);
	free(label);
}

/*
 * From a start to an end through steps, on the first row: waterfall.  A
 * row per field, its name left and its value right (a step's with its
 * sign); the first field and the "=" ones are bars from zero, the "+"
 * and "-" ones float from the running total before them to the one
 * after, and a thin line joins each bar's end to the next bar.
 */
static void
chart_waterfall(const struct section *s)
{
	size_t nf = s->ncargs, k, marks = 0;
	char **name = xmalloc(nf * sizeof(*name));
	char **value = xmalloc(nf * sizeof(*value));
	double lo = 0, hi = 0, run = 0, from, to, v, L, A, V, y;
	int *has = xmalloc(nf * sizeof(*has));

	for (k = 0; k < nf; k++) {
		char sign = s->cargs[k][0], *t;

		name[k] = s->cargs[k] + (strchr("+-=", sign) != NULL);
		t = shown(s, 0, name[k]);
		has[k] = num_at(s, 0, name[k], &v);
		value[k] = has[k] && v != 0 && (sign == '+' || sign == '-') ?
		    xprintf("%c%s", sign, t) : xstrdup(t);
		free(t);
		if (!has[k])
			continue;
		marks++;
		run = sign == '+' ? run + v : sign == '-' ? run - v : v;
		lo = run < lo ? run : lo;
		hi = run > hi ? run : hi;
	}
	if (hi <= lo)
		hi = lo + 1;
	L = widest(name, nf, W * 0.45) + 10;
	V = widest(value, nf, W * 0.3);
	A = W - L - V - 10;
	svg_open(s, "waterfall", marks, (double)nf * 24 + 12);
#define X(v) (L + ((v) - lo) / (hi - lo) * A)
	if (lo < 0)
		printf("<line class=\"grid\" x1=\"%.2f\" x2=\"%.2f\" "
		    "y1=\"2\" y2=\"%.1f\"/>", X(0), X(0), (double)nf * 24 + 10);
	for (k = 0, y = 6, run = 0; k < nf; k++, y += 24) {
		char sign = s->cargs[k][0];

		svg_text(L - 6, y + 15, "end", "label", name[k], L - 8);
		svg_text(L + A + 6, y + 15, "start", "value", value[k], V + 1);
		if (!has[k])
			continue;
		num_at(s, 0, name[k], &v);
		from = sign == '+' || sign == '-' ? run : 0;
		to = sign == '+' ? run + v : sign == '-' ? run - v : v;
		if (k > 0 && (sign == '+' || sign == '-'))
			printf("<line class=\"link\" x1=\"%.2f\" x2=\"%.2f\" "
			    "y1=\"%.1f\" y2=\"%.1f\"/>", X(run), X(run),
			    y - 5, y + 3);
		printf("<rect class=\"mark bar\" x=\"%.2f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"16\" fill=\"%s\" "
		    "data-value=\"%s\"/>", X(from < to ? from : to), y + 3,
		    X(from < to ? to : from) - X(from < to ? from : to),
		    sign == '+' ? colors[2] : sign == '-' ? colors[5] :
		    colors[0], cell(s, 0, col_of(s, name[k])));
		run = to;
	}
#undef X
	svg_close();
	for (k = 0; k < nf; k++)
		free(value[k]);
	free(name);
	free(value);
	free(has);
}

/* a bar of cumulative shares per row: bands */
static void
chart_bands(const struct section *s)
{
	size_t nf = s->ncargs, k, row;
	double L, A, y, top, prev, v, x;
	char **names = xmalloc((nf + 1) * sizeof(*names));
	char **label = xmalloc((s->nrow + 1) * sizeof(*label));

	for (k = 0; k < nf; k++)
		names[k] = s->cargs[k];
	names[nf] = "beyond";
	for (row = 0; row < s->nrow; row++) {
		label[row] = row_label(s, row, NULL);
		if (*label[row] == '\0') {
			free(label[row]);
			label[row] = xstrdup("all");
		}
	}
	L = widest(label, s->nrow, W * 0.4) + 10;
	A = W - L - 4;
	top = legend(names, nf + 1, 14, 0) + 10;
	svg_open(s, "bands", s->nrow * (nf + 1), top + (double)s->nrow * 24 +
	    4);
	legend(names, nf + 1, 14, 1);
	for (row = 0, y = top; row < s->nrow; row++, y += 24) {
		svg_text(L - 6, y + 13, "end", "label", label[row], L - 8);
		free(label[row]);
		for (k = 0, prev = 0; k <= nf; k++) {
			if (k == nf)
				v = 1;
			else if (!num_at(s, row, s->cargs[k], &v))
				v = prev;
			if (v < prev)
				v = prev;
			if (v > 1)
				v = 1;
			x = L + prev * A;
			printf("<rect class=\"mark band\" x=\"%.2f\" y=\"%.1f\" "
			    "width=\"%.2f\" height=\"16\" fill=\"%s\" "
			    "data-value=\"%s\"/>", x, y, (v - prev) * A,
			    colors[k % NCOLORS], k == nf ? "" :
			    cell(s, row, col_of(s, s->cargs[k])) ? cell(s, row,
			    col_of(s, s->cargs[k])) : "");
			prev = v;
		}
	}
	svg_close();
	free(names);
	free(label);
}

static void
html_table(const struct section *s)
{
	size_t r, c;

	printf("<div class=\"table\"><table data-rows=\"%zu\"><thead><tr>",
	    s->nrow);
	for (c = 0; c < s->ncol; c++) {
		printf("<th%s>", s->num[c] ? " class=\"num\"" : "");
		html_esc(s->cols[c]);
		printf("</th>");
	}
	printf("</tr></thead><tbody>\n");
	for (r = 0; r < s->nrow; r++) {
		printf("<tr>");
		for (c = 0; c < s->ncol; c++) {
			char *t = show_cell(s, r, c);

			printf("<td%s>", s->num[c] ? " class=\"num\"" : "");
			html_esc(t);
			printf("</td>");
			free(t);
		}
		printf("</tr>\n");
	}
	printf("</tbody></table></div>\n");
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;color:#1b1b1b;background:#fff}"
    "main{max-width:1200px;margin:0 auto;padding:16px}"
    "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:0 0 8px}"
    "h1,h2,p,li{overflow-wrap:anywhere}"
    ".asof{color:#555;margin:0 0 16px}"
    "section{border-top:1px solid #ddd;padding:16px 0}"
    ".body{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);"
    "gap:16px;align-items:start}"
    ".body.nochart{grid-template-columns:minmax(0,1fr)}"
    "figure{margin:0;min-width:0}"
    "svg{display:block;width:100%;max-width:560px;height:auto}"
    "svg text{font:12px system-ui,sans-serif;fill:#1b1b1b}"
    "svg .tick,svg .value{fill:#555}"
    "svg .grid{stroke:#e5e5e5}"
    "svg .ref{stroke:#000;stroke-width:2;stroke-dasharray:3 2}"
    "svg .interval{stroke:#000;stroke-width:1.5}"
    "svg .series{stroke-width:2}"
    "svg .link{stroke:#777;stroke-width:1}"
    ".table{overflow-x:auto;min-width:0}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;"
    "white-space:nowrap}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}"
    ".status{font-style:italic;color:#8a1c00}"
    "pre.messages{white-space:pre-wrap;overflow-wrap:anywhere;"
    "background:#f6f6f6;padding:8px;font-size:12px;margin:0 0 8px}"
    ".alerts li{color:#8a1c00}"
    "@media (max-width:760px){.body{grid-template-columns:minmax(0,1fr)}"
    "main{padding:10px}}";

static void
out_html(void)
{
	size_t i;

	printf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><title>");
	html_esc(title);
	printf("</title><style>%s</style></head>\n<body><main>\n<header><h1>",
	    css);
	html_esc(title);
	printf("</h1><p class=\"asof\">As of %s.</p></header>\n", now_text);
	if (ncrossed > 0) {
		printf("<section id=\"alerts\" class=\"alerts\"><h2>Thresholds "
		    "crossed</h2><ul>\n");
		for (i = 0; i < ncrossed; i++) {
			const struct section *s = &secs[crossed[i].sec];
			char *l = row_label(s, crossed[i].row, NULL);

			printf("<li class=\"crossed\">");
			html_esc(s->title);
			printf(": ");
			html_esc(crossed[i].t->text);
			printf(" (%s = ", crossed[i].t->field);
			html_esc(cell(s, crossed[i].row, col_of(s,
			    crossed[i].t->field)));
			if (*l) {
				printf(", ");
				html_esc(l);
			}
			printf(")</li>\n");
			free(l);
		}
		printf("</ul></section>\n");
	}
	for (i = 0; i < nsecs; i++) {
		const struct section *s = &secs[i];
		int chart = s->kind != K_TABLE && s->nrow > 0;
		size_t k;

		/* a chart whose fields the output lacks is a table alone */
		for (k = 0; chart && k < s->ncargs; k++) {
			char *f = xstrdup(s->cargs[k] + (strchr("+-=",
			    s->cargs[k][0]) != NULL)), *p;

			if ((p = strchr(f, ':')) != NULL)
				*p = '\0';
			if (strncmp(f, "ref=", 4) == 0)
				memmove(f, f + 4, strlen(f + 4) + 1);
			if (col_of(s, f) < 0)
				chart = 0;
			free(f);
		}
		printf("<section class=\"sec\" id=\"s-%s\" data-section=\"%s\" "
		    "data-state=\"%s\"><h2>", s->name, s->name,
		    states[s->state]);
		html_esc(s->title);
		printf("</h2>\n");
		if (s->state != S_OK) {
			printf("<p class=\"status\">%s: ", states[s->state]);
			html_esc(s->message);
			printf(".</p>\n");
		}
		if (s->err != NULL && s->errlen > 0) {
			char *t = escaped_lines(s->err);

			printf("<pre class=\"messages\">");
			html_esc(t);
			printf("</pre>\n");
			free(t);
		}
		if (s->ncol == 0) {
			if (s->state == S_OK)
				printf("<p>(no rows)</p>\n");
			printf("</section>\n");
			continue;
		}
		printf("<div class=\"body%s\">", chart ? "" : " nochart");
		if (chart)
			switch (s->kind) {
			case K_BARS: chart_hbars(s, 0); break;
			case K_FUNNEL: chart_hbars(s, 1); break;
			case K_LINE: chart_line(s); break;
			case K_COLUMNS: chart_columns(s); break;
			case K_WATERFALL: chart_waterfall(s); break;
			case K_BANDS: chart_bands(s); break;
			}
		html_table(s);
		printf("</div></section>\n");
	}
	printf("</main></body></html>\n");
}

int
main(int argc, char **argv)
{
	enum { O_SPEC = 3000, O_QUOTA, O_LEADS, O_ACTIVITIES, O_FAIL_IF,
		O_PREVIOUS, O_TITLE };
	static const cli_opt opts[] = {
		{ "spec", required_argument, O_SPEC, "file",
		    "the sections to run (salespipe-report(5))" },
		{ "quota", required_argument, O_QUOTA, "file",
		    "quotas, for the sections that compare with them" },
		{ "leads", required_argument, O_LEADS, "file",
		    "leads, for the lead sections" },
		{ "activities", required_argument, O_ACTIVITIES, "file",
		    "activities, for the selling-time sections" },
		{ "output-format", required_argument, 'o', "md|html|jsonl",
		    "the output format (default: md)" },
		{ "fail-if", required_argument, O_FAIL_IF, "expression",
		    "exit 3 when a value crosses: [section.]field op number" },
		{ "previous", required_argument, O_PREVIOUS, "path",
		    "an earlier -o jsonl report: show each number's change" },
		{ "title", required_argument, O_TITLE, "text",
		    "the report's title" },
		CLI_INPUT_LONGOPTS,
		CLI_TZ_LONGOPT,
		CLI_DECODE_LONGOPTS,
		CLI_NUMBER_LONGOPTS,
		CLI_MONEY_LONGOPTS,
		CLI_INFO_LONGOPTS,
		CLI_OPT_END
	};
	const char *spec = NULL, *previous = NULL, *why;
	char *spec_text;
	int ch, fmt = SP_FMT_MD, st = SP_EXIT_OK, running, j;
	size_t i, next, k;
	long ncpu;
	sp_calendar cal;
	sp_error e;
	struct thr *t;

	cli_init(&cli, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&cli, argc, argv, opts)) != -1) {
		const char *name = NULL;

		switch (ch) {
		case O_SPEC:
			spec = optarg;
			continue;
		case O_QUOTA:
			quota = optarg;
			continue;
		case O_LEADS:
			leads = optarg;
			continue;
		case O_ACTIVITIES:
			activities = optarg;
			continue;
		case O_PREVIOUS:
			previous = optarg;
			continue;
		case O_TITLE:
			title = optarg;
			continue;
		case 'o':
			if (strcmp(optarg, "md") == 0)
				fmt = SP_FMT_MD;
			else if (strcmp(optarg, "jsonl") == 0)
				fmt = SP_FMT_JSONL;
			else if (strcmp(optarg, "html") == 0)
				fmt = -1;
			else
				cli_usage_error(&cli, "-o: '%s' is not md, html "
				    "or jsonl", optarg);
			continue;
		case O_FAIL_IF:
			if ((t = thr_parse(optarg, "--fail-if", &why)) == NULL)
				cli_usage_error(&cli, "--fail-if: '%s' %s",
				    optarg, why);
			thr_add(t);
			continue;
		}
		/* the reading options: checked here, passed to the sections
		   of deals */
		if (!cli_option(&cli, ch, optarg))
			cli_usage(&cli);
		for (k = 0; opts[k].name != NULL || opts[k].val != 0; k++)
			if (opts[k].val == ch) {
				name = opts[k].name;
				break;
			}
		if (ch != CLI_OPT_NOW)
			pass_add(name, opts[k].has_arg ? optarg : NULL);
	}
	cli_check_numfmt(&cli);
	sp_err_clear(&e);
	if (sp_calendar_init(&cal, cli.now_text, 1, &e) < 0)
		cli_usage_error(&cli, "%s", e.msg);
	sp_time_format(cal.now, now_text);
	sp_time_format(cal.now - 7 * 86400, week_ago);

	if (spec != NULL) {
		if ((spec_text = slurp(spec, SP_MAX_OPTFILE, NULL)) == NULL) {
			fprintf(stderr, "report: %s: %s\n", spec,
			    strerror(errno));
			return SP_EXIT_DATA;
		}
		spec_parse(spec_text, spec);
	} else {
		spec_text = xstrdup(default_spec);
		spec_parse(spec_text, "(built-in spec)");
	}
	free(spec_text);	/* the sections keep copies */

	argc -= optind;
	argv += optind;
	for (j = 0; j < argc; j++) {
		deals = xrealloc(deals, (ndeals + 1) * sizeof(*deals));
		deals[ndeals++] = argv[j];
		if (strcmp(argv[j], "-") == 0 && spool == NULL)
			spool_stdin();
	}
	if (ndeals == 0) {
		deals = xmalloc(sizeof(*deals));
		deals[ndeals++] = "-";
		spool_stdin();
	}

	for (i = 0; i < nsecs; i++)
		if (secs[i].history) {
			int h = deals_are_history();

			for (k = 0; k < nsecs; k++)
				if (secs[k].history && h == 0) {
					secs[k].state = S_SKIPPED;
					secs[k].message = xstrdup("it needs a "
					    "history of deals (records with "
					    "'at'); these deals are a "
					    "snapshot");
				}
			break;
		}

	/* the sections, as many at once as there are processors */
	if ((ncpu = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		ncpu = 1;
	for (next = 0, i = 0, running = 0; i < nsecs; i++) {
		while (next < nsecs && running < ncpu) {
			section_start(&secs[next]);
			running += secs[next].state != S_SKIPPED;
			next++;
		}
		section_wait(&secs[i]);
		running -= secs[i].state != S_SKIPPED;
		section_table(&secs[i]);
	}
	for (i = 0; i < nsecs; i++) {
		struct section *s = &secs[i];

		if (s->state == S_FAILED)
			fprintf(stderr, "report: section %s: %s\n", s->name,
			    s->message);
		/* the section's own messages (warnings too), for the logs */
		if (s->err != NULL)
			fputs(s->err, stderr);
		if (s->state == S_FAILED) {
			if (s->status == SP_EXIT_USAGE)
				st = SP_EXIT_USAGE;
			else if (st == SP_EXIT_OK)
				st = SP_EXIT_DATA;
		}
	}
	if (previous != NULL)
		load_previous(previous);
	check_thresholds();
	for (i = 0; i < nthrs; i++) {
		int all_ok = 1;

		for (k = 0; k < nsecs; k++)
			if ((thrs[i].sec == NULL || strcmp(thrs[i].sec,
			    secs[k].name) == 0) && secs[k].state != S_OK)
				all_ok = 0;
		if (thrs[i].sec != NULL && !(thrs[i].seen & 2)) {
			fprintf(stderr, "report: %s: '%s': no section '%s'\n",
			    thrs[i].where, thrs[i].text, thrs[i].sec);
			st = SP_EXIT_USAGE;
		} else if (!(thrs[i].seen & 1) && all_ok) {
			/* a typo must not pass as "nothing crossed" */
			fprintf(stderr, "report: %s: '%s': no section%s%s has "
			    "a field '%s'\n", thrs[i].where, thrs[i].text,
			    thrs[i].sec ? " " : "",
			    thrs[i].sec ? thrs[i].sec : "", thrs[i].field);
			st = SP_EXIT_USAGE;
		} else if (!(thrs[i].seen & 1))
			fprintf(stderr, "report: %s: '%s': not checked: no "
			    "section that ran has a field '%s'\n",
			    thrs[i].where, thrs[i].text, thrs[i].field);
	}
	for (i = 0; i < ncrossed; i++) {
		const struct section *s = &secs[crossed[i].sec];
		char *key = row_key(s, crossed[i].row), *p;

		for (p = key; *p != '\0'; p++)
			if (*p == '\x1f')
				*p = p[1] ? ',' : '\0';
		fprintf(stderr, "report: %s: %s crossed: %s = %s%s%s\n",
		    s->name, crossed[i].t->text, crossed[i].t->field,
		    cell(s, crossed[i].row, col_of(s, crossed[i].t->field)),
		    *key ? " at " : "", key);
		free(key);
	}
	if (ncrossed > 0 && st == SP_EXIT_OK)
		st = EXIT_CROSSED;

	if (fmt == SP_FMT_MD)
		out_md();
	else if (fmt == SP_FMT_JSONL)
		out_jsonl();
	else
		out_html();
	k = (size_t)cli_finish(&cli, NULL);
	return k != 0 ? (int)k : st;
}
