/*
 * cli: the program side of the library, shared by every cmd/ program: the
 * common options, opening inputs, stage list, calendar and output, the
 * bad-record policy (--max-bad, --rejects), --explain rows, and the one
 * error voice.  The only module that prints or exits; everything below it
 * returns errors in sp_error.
 */
#ifndef SALESPIPE_CLI_H
#define SALESPIPE_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include "salespipe/deal.h"
#include "salespipe/err.h"
#include "salespipe/map.h"
#include "salespipe/period.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

#ifndef SALESPIPE_VERSION
#define SALESPIPE_VERSION "0.1.0"
#endif

/* Codes of the common long options (programs number theirs from 1). */
enum {
	CLI_OPT_MAP = 1000, CLI_OPT_STAGES, CLI_OPT_DATE_FORMAT, CLI_OPT_NOW,
	CLI_OPT_MAX_BAD, CLI_OPT_REJECTS, CLI_OPT_PERIOD, CLI_OPT_EVERY,
	CLI_OPT_FISCAL_START, CLI_OPT_EXPLAIN, CLI_OPT_UNIT, CLI_OPT_VERSION,
	CLI_OPT_HELP, CLI_OPT_AS_OF, CLI_OPT_PROB_SCALE
};

/*
 * --probability-scale 1|100, for the programs that read or write
 * probabilities (cli_option handles it); add it to their option array.
 */
#define CLI_PROB_LONGOPT \
	{ "probability-scale", required_argument, NULL, CLI_OPT_PROB_SCALE }

/* Short options every program takes: -g FIELDS -i FMT -o FMT -h -V. */
#define CLI_SHORTOPTS "g:i:o:hV"

/*
 * The common options that make sense for every program, the write
 * programs included (no -g, periods or --explain).
 */
#define CLI_WRITE_SHORTOPTS "i:o:hV"
#define CLI_WRITE_LONGOPTS \
	{ "input-format", required_argument, NULL, 'i' }, \
	{ "output-format", required_argument, NULL, 'o' }, \
	{ "map", required_argument, NULL, CLI_OPT_MAP }, \
	{ "stages", required_argument, NULL, CLI_OPT_STAGES }, \
	{ "date-format", required_argument, NULL, CLI_OPT_DATE_FORMAT }, \
	{ "now", required_argument, NULL, CLI_OPT_NOW }, \
	{ "max-bad", required_argument, NULL, CLI_OPT_MAX_BAD }, \
	{ "rejects", required_argument, NULL, CLI_OPT_REJECTS }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ "help", no_argument, NULL, 'h' }

/* The common long options of the reading programs, to start a program's
 * struct option array. */
#define CLI_LONGOPTS \
	CLI_WRITE_LONGOPTS, \
	{ "by", required_argument, NULL, 'g' }, \
	{ "period", required_argument, NULL, CLI_OPT_PERIOD }, \
	{ "every", required_argument, NULL, CLI_OPT_EVERY }, \
	{ "fiscal-start", required_argument, NULL, CLI_OPT_FISCAL_START }, \
	{ "explain", no_argument, NULL, CLI_OPT_EXPLAIN }, \
	{ "unit", required_argument, NULL, CLI_OPT_UNIT }, \
	{ "as-of", required_argument, NULL, CLI_OPT_AS_OF }

typedef struct sp_cli {
	const char *prog;	/* program name, for messages */
	const char *usage;	/* the SYNOPSIS, as in the man page */
	int stage_list;		/* SP_STAGES_DEALS or SP_STAGES_LEADS */

	/* common options (cli_option fills them) */
	int in_fmt, out_fmt;
	sp_map *map;
	const char *stages_spec;
	const char *date_format;
	const char *now_text;
	int fiscal_start;
	const char *period_text;
	int every;
	char **by;		/* -g fields */
	size_t nby;
	long max_bad;
	const char *rejects_path;
	int explain;
	int unit;
	const char *as_of_text;

	/* set by cli_open */
	int has_as_of;
	int64_t as_of;		/* --as-of; also "now" unless --now is given */
	sp_calendar cal;
	int has_period;
	sp_period period;
	sp_reader *rd;
	sp_stages *stages;
	int *by_slots;
	char **inputs;
	size_t ninputs;

	/* private */
	long nbad;
	FILE *rejects_fp;
	sp_writer *rejects_w;
	sp_writer *explain_w;
	char *keybuf;
	size_t keycap;
	const char **parts;
	char *partbuf;
	size_t partcap;

	/* --probability-scale: given (0: not given), then, after cli_open,
	   the scale in force (the option, else the preset's, else 100) */
	int prob_scale_given;
	int prob_scale;
} sp_cli;

/*
 * Start: sets prog to argv[0]'s base name (and argv[0] itself, so that
 * getopt's messages name the program the same way) and the usage text.
 */
void cli_init(sp_cli *c, char **argv, const char *usage, int stage_list);

/*
 * Handle one common option (getopt's c and optarg).  Returns 1 when it
 * was one (exits on --help (0), --version (0) and bad values (2)), 0 when
 * the program must handle c itself.
 */
int cli_option(sp_cli *c, int opt, const char *arg);

/* Print "prog: message" and the usage to stderr, exit 2. */
__attribute__((noreturn, format(printf, 2, 3)))
void cli_usage_error(sp_cli *c, const char *fmt, ...);

/* Print the usage to stderr and exit 2 (after getopt's own message). */
__attribute__((noreturn)) void cli_usage(sp_cli *c);

/*
 * After option parsing: resolve the calendar (--now), --period, the
 * reader over operands (none: stdin), the stage list, the -g slots and
 * --rejects.  Exits 2 on bad option values, 1 on unusable files.
 */
void cli_open(sp_cli *c, int argc, char **argv);

/*
 * The one error voice: print e as "prog: file:line: field 'f': msg" to
 * stderr.
 */
void cli_error(const sp_cli *c, const sp_error *e);

/* Print "prog: " + message to stderr (a warning; nothing exits). */
__attribute__((format(printf, 2, 3)))
void cli_warn(const sp_cli *c, const char *fmt, ...);

/*
 * The warning of --probability-scale: when the scale is 100 only by
 * default and every probability read is at most 1 (%), print one line
 * naming --probability-scale 1.  doubt: deals_prob_doubt or the write
 * programs' own count.
 */
void cli_prob_warn(const sp_cli *c, int doubt);

/* Print "prog: out of memory" and exit 1. */
__attribute__((noreturn)) void cli_oom(sp_cli *c);

/* Print e and exit 1. */
__attribute__((noreturn)) void cli_fail(sp_cli *c, const sp_error *e);

/*
 * A bad record: report e (filling file and line from r when e lacks
 * them), copy r to --rejects, count it; exit 1 once more than --max-bad
 * were seen.  r may be NULL.
 */
void cli_bad(sp_cli *c, const sp_error *e, const sp_rec *r);

/*
 * Read every record and feed it to ds, handling bad records with
 * cli_bad, fatal reader errors with cli_fail; then deals_finish.
 */
void cli_run_deals(sp_cli *c, sp_deals *ds);

/*
 * The whole read loop of a deals program: every deal of the inputs (need:
 * SP_NEED_*) goes to fn(ctx, deal), bad records are handled by the
 * --max-bad policy, histories are folded at the end.  Exits on fatal
 * errors.
 */
void cli_deals(sp_cli *c, int need, sp_deal_fn fn, void *ctx);

/* Options for deals_new from the common options (groups, date format,
 * --as-of). */
void cli_deals_opts(sp_cli *c, sp_deals_opts *o, int need, sp_deal_fn fn,
    void *ctx);

/*
 * The output writer: -o if given, else table when stdout is a terminal,
 * else the input's format.  Exits 1 when out of memory.
 */
sp_writer *cli_writer(sp_cli *c);

/* Add the -g field columns to w. */
void cli_group_cols(sp_cli *c, sp_writer *w);

/*
 * Split a group key into n values (c->nby, or c->nby + 1 for a key that
 * ends in a period label); returns an array of n strings valid until the
 * next call.  n must not exceed c->nby + 1.
 */
const char **cli_group_parts(sp_cli *c, const char *key, size_t keylen,
    size_t n);

/*
 * The key of deal d extended by SP_KEY_SEP and label (a period bucket),
 * in a buffer of c's valid until the next call; sets *len.
 */
const char *cli_key_with(sp_cli *c, const sp_deal *d, const char *label,
    size_t *len);

/*
 * --explain: one row per (group, metric, role, deal):
 *	<-g fields> [period] metric role id file line reason
 * The period column is there when --every or --period was given; period
 * is the deal's bucket or period label ("" when it has none).  role is
 * "numerator", "denominator", "counted" or "excluded".  Rows are written
 * as they come (the writer is created on first use).
 */
void cli_explain(sp_cli *c, const sp_deal *d, const char *period,
    const char *metric, const char *role, const char *reason);

/*
 * Finish the output: writer_finish(w) (w may be NULL), the explain writer,
 * the rejects file, flush stdout, and check for write errors (a full disk,
 * a closed pipe).  Returns the exit status (0, or 1 after a message).
 */
int cli_finish(sp_cli *c, sp_writer *w);

#endif
