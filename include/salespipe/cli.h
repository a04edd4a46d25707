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
#include "salespipe/field.h"
#include "salespipe/period.h"
#include "salespipe/rates.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"
#include "salespipe/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SALESPIPE_VERSION
#define SALESPIPE_VERSION "0.1.0"
#endif

/* Codes of the common long options (programs number theirs from 1). */
enum {
	CLI_OPT_MAP = 1000, CLI_OPT_STAGES, CLI_OPT_DATE_FORMAT, CLI_OPT_NOW,
	CLI_OPT_MAX_BAD, CLI_OPT_REJECTS, CLI_OPT_PERIOD, CLI_OPT_EVERY,
	CLI_OPT_FISCAL_START, CLI_OPT_EXPLAIN, CLI_OPT_UNIT, CLI_OPT_VERSION,
	CLI_OPT_HELP, CLI_OPT_AS_OF, CLI_OPT_TZ, CLI_OPT_SPREADSHEET_SAFE,
	CLI_OPT_ENCODING, CLI_OPT_DELIMITER, CLI_OPT_MAX_RECORD_SIZE,
	CLI_OPT_PROB_SCALE,
	CLI_OPT_DECIMAL_COMMA = 1100, CLI_OPT_THOUSANDS, CLI_OPT_RATES,
	CLI_OPT_CURRENCY,
	CLI_OPT_PARTIAL = 1200, CLI_OPT_MERGE, CLI_OPT_SHARD, CLI_OPT_THREADS,
	CLI_OPT_PROGRESS, CLI_OPT_NO_PROGRESS
};

/*
 * A program's options, one table: what getopt needs (the long name, its
 * argument, the code cli_getopt returns) and what --help and the shell
 * completions show (the argument's name and one short line).  A code that
 * is a letter or digit is also the short option (-g for --by); an entry
 * without a long name is a short option alone (deal-gen's -n).  The
 * argument's name is the SYNOPSIS's when the usage names the option with
 * one (cli_help reads it there): the table's is the default, and wins
 * when only it lists the choices.  For the completions
 * (scripts/completions.sh) a name with "|" lists the fixed choices, and
 * "file", "FILE" or "ledger" is a file.  An entry without help is
 * CLI_REFUSED (below).  The table ends with CLI_OPT_END.
 */
typedef struct cli_opt {
	const char *name;	/* long name without "--", or NULL */
	int has_arg;		/* no_argument or required_argument */
	int val;		/* cli_getopt's return; a letter: -letter */
	const char *arg;	/* the argument's name, NULL without one */
	const char *help;	/* one line for --help */
} cli_opt;

#define CLI_OPT_END { NULL, 0, 0, NULL, NULL }

/*
 * --probability-scale 1|100, for the programs that read or write
 * probabilities (cli_option handles it); add it to their option array.
 */
#define CLI_PROB_LONGOPT \
	{ "probability-scale", required_argument, CLI_OPT_PROB_SCALE, \
	    "1|100", "probabilities as fractions (1) or percentages (100)" }

/* How records are read and what now is: --map, --stages, --date-format,
 * --now, --max-bad (also report's, which gives them to its sections). */
#define CLI_INPUT_LONGOPTS \
	{ "map", required_argument, CLI_OPT_MAP, "spec", \
	    "rename input fields: a=b,..., a CSV file or a CRM preset "	\
	    "(salesforce, hubspot, pipedrive)" }, \
	{ "stages", required_argument, CLI_OPT_STAGES, "spec", \
	    "the stage list: a CSV file or Stage,Stage,..." }, \
	{ "date-format", required_argument, CLI_OPT_DATE_FORMAT, "format", \
	    "strptime(3) format of the input's times" }, \
	{ "now", required_argument, CLI_OPT_NOW, "time", \
	    "the time taken as now" }, \
	{ "max-bad", required_argument, CLI_OPT_MAX_BAD, "n", \
	    "skip up to n bad records, each reported" }

/* How the bytes are decoded: --encoding, --delimiter, --max-record-size. */
#define CLI_DECODE_LONGOPTS \
	{ "encoding", required_argument, CLI_OPT_ENCODING, \
	    "utf-8|latin1|cp1252|utf-16|utf-16le|utf-16be", \
	    "the input's character encoding" }, \
	{ "delimiter", required_argument, CLI_OPT_DELIMITER, "sep", \
	    "CSV field separator: , ; | or tab" }, \
	{ "max-record-size", required_argument, CLI_OPT_MAX_RECORD_SIZE, \
	    "size", "refuse records longer than size bytes" }

/* --version and --help. */
#define CLI_INFO_LONGOPTS \
	{ "version", no_argument, 'V', NULL, "print the version and exit" }, \
	{ "help", no_argument, 'h', NULL, "print this help and exit" }

#define CLI_TZ_LONGOPT \
	{ "tz", required_argument, CLI_OPT_TZ, "zone", \
	    "IANA time zone of the input's naive times" }

/* The common options of every program but the number options: those of
 * a program that reads no amounts (lead-assign). */
#define CLI_READ_LONGOPTS \
	{ "input-format", required_argument, 'i', "csv|jsonl", \
	    "input format (default: from the first byte)" }, \
	{ "output-format", required_argument, 'o', "csv|jsonl|table|md", \
	    "the output format" }, \
	CLI_INPUT_LONGOPTS, \
	{ "rejects", required_argument, CLI_OPT_REJECTS, "file", \
	    "copy the bad records to file" }, \
	CLI_DECODE_LONGOPTS, CLI_INFO_LONGOPTS, CLI_TZ_LONGOPT

/* --decimal-comma and --thousands, for programs that read amounts. */
#define CLI_NUMBER_LONGOPTS \
	{ "decimal-comma", no_argument, CLI_OPT_DECIMAL_COMMA, NULL, \
	    "amounts have a decimal comma (1.234,56)" }, \
	{ "thousands", required_argument, CLI_OPT_THOUSANDS, "sep", \
	    "the thousands separator of amounts" }

/*
 * The common options that make sense for every program, the write
 * programs included (no -g, periods or --explain).
 */
#define CLI_WRITE_LONGOPTS CLI_READ_LONGOPTS, CLI_NUMBER_LONGOPTS

/* The grouping options of the reading programs. */
#define CLI_GROUP_LONGOPTS \
	{ "by", required_argument, 'g', "fields", \
	    "group by these fields (comma-separated)" }, \
	{ "period", required_argument, CLI_OPT_PERIOD, "period", \
	    "only this period (2026-Q4, 2026-11, ytd, a..b)" }, \
	{ "fiscal-start", required_argument, CLI_OPT_FISCAL_START, "month", \
	    "first month of the fiscal year" }, \
	{ "explain", no_argument, CLI_OPT_EXPLAIN, NULL, \
	    "list the records behind each number instead" }, \
	{ "as-of", required_argument, CLI_OPT_AS_OF, "time", \
	    "the answer as of this time" }
#define CLI_EVERY_LONGOPT \
	{ "every", required_argument, CLI_OPT_EVERY, \
	    "day|week|month|quarter|year", "a row per bucket of time" }
#define CLI_UNIT_LONGOPT \
	{ "unit", required_argument, CLI_OPT_UNIT, "days|hours|minutes", \
	    "the unit of durations" }
#define CLI_MONEY_LONGOPTS \
	{ "rates", required_argument, CLI_OPT_RATES, "file", \
	    "exchange rates, for --currency" }, \
	{ "currency", required_argument, CLI_OPT_CURRENCY, "code", \
	    "convert amounts into this currency" }

/* The common options of the reading programs of deals, to start a
 * program's option table (a program that shows durations adds
 * CLI_UNIT_LONGOPT). */
#define CLI_LONGOPTS \
	CLI_WRITE_LONGOPTS, CLI_GROUP_LONGOPTS, CLI_EVERY_LONGOPT, \
	CLI_MONEY_LONGOPTS, CLI_ENGINE_LONGOPTS, CLI_SPREADSHEET_LONGOPT

/*
 * An option a program knows only to refuse it with a better reason than
 * getopt's (funnel's --every: "split by creation date with --cohort"): no
 * help line, no completion; not one the program accepts.
 */
#define CLI_REFUSED(name, has_arg, val) { name, has_arg, val, NULL, NULL }

/* --partial, --merge, --shard, --threads, --progress, --no-progress: the
 * engine's options. */
#define CLI_ENGINE_LONGOPTS \
	{ "partial", no_argument, CLI_OPT_PARTIAL, NULL, \
	    "write the states, for --merge" }, \
	{ "merge", no_argument, CLI_OPT_MERGE, NULL, \
	    "merge the states of --partial runs" }, \
	{ "shard", required_argument, CLI_OPT_SHARD, "k/n", \
	    "read the k-th of n parts of the deals" }, \
	{ "threads", required_argument, CLI_OPT_THREADS, "n", \
	    "read a file on n threads (default: processors)" }, \
	{ "progress", no_argument, CLI_OPT_PROGRESS, NULL, \
	    "show the bytes read on stderr, even when not a terminal" }, \
	{ "no-progress", no_argument, CLI_OPT_NO_PROGRESS, NULL, \
	    "never show the bytes read" }

/* --spreadsheet-safe, for a program whose options are not CLI_LONGOPTS. */
#define CLI_SPREADSHEET_LONGOPT \
	{ "spreadsheet-safe", no_argument, CLI_OPT_SPREADSHEET_SAFE, NULL, \
	    "quote cells a spreadsheet would run as formulas" }

struct sp_agg_run;	/* the engine's run (below) */

typedef struct sp_cli {
	const char *prog;	/* program name, for messages */
	const char *usage;	/* the SYNOPSIS, as in the man page */
	const cli_opt *opts;	/* the option table (cli_getopt) */
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
	/* the -g columns' names in the output and --explain when a program
	   groups by a value it derives from another field (scorecard -g
	   team: by names owner, by_cols team); NULL: by.  The program's */
	char **by_cols;
	/* set by a program whose -g fields are its default, not the user's
	   (scorecard's owner): an input without them is not refused, its
	   deals fall in the group of the empty value */
	int by_optional;
	long max_bad;
	const char *rejects_path;
	int explain;
	int unit;
	const char *as_of_text;
	sp_tz *tz;		/* --tz: naive record times; NULL: UTC */
	int encoding;		/* --encoding: SP_ENC_* */
	int delim;		/* --delimiter: 0, or the separator */
	size_t max_record;	/* --max-record-size: 0, or bytes */
	int pass_through;	/* set by a program that writes the fields it
				   does not read (pipeline): cli_finish warns
				   of values whose bytes were replaced */

	/* set by cli_open */
	size_t id_memory;	/* $SALESPIPE_ID_MEMORY, or its default */
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

	/* money: --decimal-comma, --thousands, --rates, --currency */
	sp_numfmt numfmt;
	const char *rates_path;
	const char *currency;
	sp_rates *rates;	/* set by cli_open when --currency is given */
	char (*curs)[8];	/* currencies met (cli_note_currencies) */
	size_t ncurs;
	int mixed;		/* a mixed sum was printed empty */
	long left[4];		/* snapshot deals left out as of a time, by
				   SP_LEFT_* (cli_left_out) */
	int64_t left_as_of;
	/* --spreadsheet-safe: the writers get SP_WRITER_SPREADSHEET_SAFE */
	int spreadsheet_safe;
	/* the journal a write program appends to (set before cli_open), or
	 * NULL: --rejects must not name it */
	const char *journal_path;
	/* errno of a write to stdout that failed before cli_finish, where
	   the program wrote past the writers (0: none); cli_finish says it */
	int out_errno;
	/* private: other files the run opens (cli_protect), -g checks */
	const char *protect[8];
	const char *protect_what[8];
	size_t nprotect;
	int by_checked;
	unsigned char *by_seen;
	size_t by_unseen;
	char **by_keys;		/* JSON lines: the keys seen, for messages */
	size_t nby_keys;
	/* --probability-scale: given (0: not given), then, after cli_open,
	   the scale in force (the option, else the preset's, else 100) */
	int prob_scale_given;
	int prob_scale;
	/* the engine: --partial, --merge, --shard K/N, --threads N (0: the
	   number of processors) */
	int partial, merge;
	long shard_k, shard_n;
	long threads;
	/* --progress 1, --no-progress 2, the last given; 0: when the
	   standard error is a terminal (lib/progress.c) */
	int progress;
	/* the options that shape the states, "--name=value", sorted by
	   cli_getopt's end: the fingerprint of a partial */
	char **fp;
	size_t nfp;
	/* deal-diff: the earlier time of SP_NEED_FROM, and the old snapshot
	   of two (sp_deals_opts.from, pair_old; cli_deals_opts copies them) */
	int64_t from;
	const char *pair_old;
	/* more SP_WRITER_* flags for cli_writer (deal-diff --history writes
	   journal records: SP_WRITER_OMIT_EMPTY) */
	int writer_flags;
	/* a program that folds histories only (deal-diff --from): why it
	   refuses a snapshot, said at its first deal, even one the as-of
	   rule leaves out (cli_left_out) */
	const char *history_only;
	/* the option that sets as_of, as warnings name it (NULL: --as-of;
	   deal-diff: --to) */
	const char *as_of_name;
	/*
	 * May be NULL: set before cli_agg_deals by a program whose answer
	 * holds the bad records (lint).  The engine then hands each bad
	 * record to agg_bad(run, bad, e), in input order on the run's thread
	 * (bad: the error with its place; put it in a state with
	 * cli_agg_bad_state), instead of cli_bad's report on stderr and its
	 * --max-bad count; -1 (e set) fails the run.  Not with --explain
	 * (whose rows are deals: bad records are reported as usual).
	 */
	int (*agg_bad)(struct sp_agg_run *r, const sp_error *bad,
	    sp_error *e);
	/*
	 * May be NULL: set by the engine from agg_bad while it reads.  cli_bad
	 * hands each bad record to bad_fn(bad_ctx, e), e with its place
	 * (filled from the record when e lacks it), instead of reporting it
	 * and counting it against --max-bad (the --rejects copy is still
	 * made): such a run never stops at a bad record.
	 */
	void (*bad_fn)(void *ctx, const sp_error *e);
	void *bad_ctx;
} sp_cli;

/*
 * Start: sets prog to argv[0]'s base name (and argv[0] itself, so that
 * getopt's messages name the program the same way) and the usage text.
 */
void cli_init(sp_cli *c, char **argv, const char *usage, int stage_list);

/*
 * getopt_long over the table opts (the short options are its letters),
 * recording each option for the fingerprint of --partial
 * (every option but those of reading and output: -i, -o, --map,
 * --date-format, --tz, --encoding, --delimiter, --max-record-size,
 * --decimal-comma, --thousands, --probability-scale, --max-bad,
 * --rejects, --spreadsheet-safe, --explain and the engine's own).
 * Returns what getopt_long returns; on -1 the recorded list is sorted.
 * Exits 1 when out of memory.
 */
int cli_getopt(sp_cli *c, int argc, char **argv, const cli_opt *opts);

/*
 * --help: the usage, then one line per option of the table cli_getopt was
 * given (the option, its argument, what it does), then "see NAME(1)", on
 * stdout; exits as cli_finish says (0, or 1 on a write error).
 */
__attribute__((noreturn)) void cli_help(sp_cli *c);

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
 * After option parsing: exit 2 when --thousands names the decimal mark
 * (cli_open does it; for programs that do not call it).
 */
void cli_check_numfmt(sp_cli *c);

/*
 * After option parsing: resolve the calendar (--now), --period, the
 * reader over operands (none: stdin), the stage list, the -g slots and
 * --rejects.  Exits 2 on bad option values, 1 on unusable files.
 */
void cli_open(sp_cli *c, int argc, char **argv);

/* The reader options of the common options (-i, --map, --encoding,
 * --delimiter, --max-record-size) into *ro, the rest zero. */
void cli_read_opts(const sp_cli *c, sp_read_opts *ro);

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
 * naming --probability-scale 1.  doubt: sp_deals_prob_doubt or the write
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
 * were seen.  r may be NULL.  With c->bad_fn set: e (with its place) goes
 * to bad_fn instead of the report and the count; r is still copied to
 * --rejects.
 */
void cli_bad(sp_cli *c, const sp_error *e, const sp_rec *r);

/*
 * Read every record and feed it to ds, handling bad records with
 * cli_bad, fatal reader errors with cli_fail; then sp_deals_finish.
 */
void cli_run_deals(sp_cli *c, sp_deals *ds);

/* The end of cli_run_deals after the last record: sp_deals_finish (fold
 * errors are bad records), cli_ids_late, then the warnings of the run. */
void cli_run_finish(sp_cli *c, sp_deals *ds);
/* Its warnings after the fold (currencies, --as-of, probabilities). */
void cli_run_warn(sp_cli *c, sp_deals *ds);

/*
 * A snapshot's ids that passed $SALESPIPE_ID_MEMORY (sp_deals_ids_check):
 * a repeat found only after reading was counted, and no answer may then
 * be printed.  Reports the repeats (the first ten by line and how many
 * more) and why, and exits 1, whatever --max-bad says.  Returns when
 * there is none.
 */
void cli_ids_late(sp_cli *c, sp_deals *ds);

/* SALESPIPE_ID_MEMORY's default: 64 MiB. */
#define CLI_ID_MEMORY ((size_t)64 << 20)

/*
 * The whole read loop of a deals program: every deal of the inputs (need:
 * SP_NEED_*) goes to fn(ctx, deal), bad records are handled by the
 * --max-bad policy, histories are folded at the end.  Exits on fatal
 * errors.
 */
void cli_deals(sp_cli *c, int need, sp_deal_fn fn, void *ctx);

/* Options for sp_deals_new from the common options (groups, date format,
 * --as-of). */
void cli_deals_opts(sp_cli *c, sp_deals_opts *o, int need, sp_deal_fn fn,
    void *ctx);

/*
 * sp_deals_opts.left_out of every program (cli_deals_opts sets it; ctx is
 * the sp_cli): count a snapshot deal left out as of a time and, with
 * --explain, write its row (metric "as_of", role "excluded").
 */
void cli_left_out(void *ctx, const sp_deal *d, int why, int64_t as_of);

/*
 * One warning per kind of snapshot deal left out since the last call
 * (cli_run_deals calls it at the end of the input), naming the time
 * (--as-of, else "now") and, for deals closed after it, where their stage
 * then can be found (a history).  Deals created after --as-of are not
 * warned of (not yet deals then: what --as-of means; --explain lists
 * them), but after now they are (a data error).  Clears the counts.
 */
void cli_as_of_warn(sp_cli *c);

/*
 * The output writer: -o if given, else table when stdout is a terminal,
 * else the input's format.  Exits 1 when out of memory.
 */
sp_writer *cli_writer(sp_cli *c);
/* The same on fp, with more SP_WRITER_* flags; and its format. */
sp_writer *cli_writer_to(sp_cli *c, FILE *fp, int flags);
int cli_out_format(const sp_cli *c);

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
 * Remember the currencies ds met (call before sp_deals_free), for the
 * mixed-currency warning.  cli_run_deals does it.
 */
void cli_note_currencies(sp_cli *c, const sp_deals *ds);

/*
 * A money sum as printed: rounded half-to-even to the cent, or "" when
 * it mixes currencies (then cli_finish warns, once).  buf 48 bytes.
 */
const char *cli_money(sp_cli *c, const sp_money_sum *s, char *buf);

/*
 * The ratio of two money sums (sp_ratio_text_money), "" when either mixes
 * currencies (noted as in cli_money) or they are in different ones.
 */
const char *cli_money_ratio(sp_cli *c, const sp_money_sum *num,
    const sp_money_sum *den, char *buf);

/*
 * Before cli_open: path is a file the run also opens (what: "the quota
 * file", ...), so --rejects must not name it.  At most 8; NULL ignored.
 */
void cli_protect(sp_cli *c, const char *path, const char *what);

/*
 * After cli_open: 1 when path is one of the inputs, or the standard input
 * when the run reads it (same device and inode), else 0.
 */
int cli_is_input(const sp_cli *c, const char *path);

/*
 * The -g check, for a program with its own read loop (cli_run_deals does
 * it for the others): call cli_by_record with every record sp_reader_next
 * gave (1 or -1), then cli_by_end after the last.  The first record
 * decides from its input's fields (the CSV header after --map, or the
 * keys of the first JSON lines record): a -g field the input lacks exits
 * 2 with the input's fields and the nearest name (sp_edit_distance),
 * before any output.  In JSON lines, where a record may leave a field
 * out, a name far (edit distance above 2) from every key of the first
 * record is decided at the end instead: exit 2 when no record had it.
 */
void cli_by_record(sp_cli *c, sp_reader *rd, const int *slots,
    const sp_rec *r);
void cli_by_end(sp_cli *c, sp_reader *rd);

/*
 * Finish the output: sp_writer_finish(w) (w may be NULL), the explain writer,
 * the rejects file, flush stdout, and check for write errors: a full disk
 * is "prog: write error on the standard output: reason" and status 1; a
 * closed pipe (EPIPE, SIGPIPE ignored) is no message and death by
 * SIGPIPE, as at the write itself.  Returns the exit status (0, or 1 after
 * a message).
 */
int cli_finish(sp_cli *c, sp_writer *w);

/*
 * The aggregate engine's driver (lib/drive.c).  A read program parses
 * its options (cli_getopt, cli_option), calls cli_open, and hands its
 * aggregate to cli_agg_deals, which reads every deal of the input (need:
 * SP_NEED_*; each deal to add, which puts it in a state through
 * cli_agg_at or cli_agg_group), or with --merge reads partial states
 * instead, and writes the output (with --partial, the states; with
 * --explain, nothing more).  Returns the exit status.
 */
typedef struct sp_agg_run sp_agg_run;
typedef int (*cli_agg_add_fn)(sp_agg_run *r, const sp_deal *d, sp_error *e);

struct sp_agg;
int cli_agg_deals(sp_cli *c, struct sp_agg *a, int need, cli_agg_add_fn add);

/*
 * The state of deal d's group at time t: the --every bucket of t, or the
 * --period when t is in it (else NULL and *label NULL), or the group's
 * one state without periods.  *label is the period label ("" without
 * periods, and for --period alone when sp_agg.period_filter: then the
 * key has no period part), valid until the next call.  Never NULL
 * otherwise.
 */
void *cli_agg_at(sp_agg_run *r, const sp_deal *d, int64_t t,
    const char **label);
/*
 * The state of d's group with no time of its own: the group (and the
 * --period label, unless sp_agg.period_filter) without --every, so that
 * a group has its row even when none of its deals counts; NULL with
 * --every.
 */
void *cli_agg_group(sp_agg_run *r, const sp_deal *d);
/* The run's options and the aggregate's ctx. */
sp_cli *cli_agg_cli(sp_agg_run *r);
void *cli_agg_ctx(sp_agg_run *r);
/*
 * One more pass over the input, for a program that must read it as of
 * several times (forecast --score and --backtest): every deal as of
 * as_of goes to fn(ctx, deal), grouped by -g, from the inputs again or
 * from spool (spooln bytes: the standard input, kept by the program).
 * With report, bad records are handled by the --max-bad policy and the -g
 * check runs (the first pass); without, they were reported already and
 * are skipped.  Returns 1 when the input is a history.
 */
int cli_deals_pass(sp_cli *c, const char *spool, size_t spooln, int need,
    int64_t as_of, int report, sp_deal_fn fn, void *ctx);
/*
 * A pass over a side file, an option's file read beside the input
 * (lead-response's --activities, selling-time's --deals), on this thread,
 * before the input is read, with the input's --map, --stages,
 * --date-format and --tz, its own format detected.  With SP_NEED_RECORDS
 * in need: every good record goes to fn (as an sp_deal with rec, file and
 * line, need's fields parsed: no fold, no as-of rule).  Without: the
 * file's deals, folded (a snapshot or a history) as of --as-of as the
 * input's are, go to fn.  -g is the input's, not the side file's.  Bad
 * records go to cli_bad (stderr, --rejects and --max-bad, as the
 * input's).  slots[i] is set to the slot of fields[i] (nfields of them,
 * the first nrequired of which a CSV header must have) before the first
 * record.  Returns 1 when the file is a history, else 0.
 */
int cli_side_pass(sp_cli *c, const char *path, const char *const *fields,
    int *slots, size_t nfields, size_t nrequired, int need, sp_deal_fn fn,
    void *ctx);
/*
 * The progress display (lib/progress.c, sp_cli.progress): before each
 * pass over the inputs (cli_open's reader, a pass again on one thread,
 * cli_deals_pass), with progress on, count from zero (the pass's bytes,
 * rate and time left) against the inputs' total (the sum of their sizes
 * when all are regular files; spooln > 0: the standard input kept in
 * memory, that many bytes), and point ro->progress at the counter.  The
 * first call decides whether progress is on (--progress, --no-progress,
 * else whether the standard error is a terminal), and if so starts the
 * thread that draws the line after $SALESPIPE_PROGRESS_AFTER seconds (2)
 * and makes stderr a stream that erases the line before each message.
 * Exits 2 on a bad $SALESPIPE_PROGRESS_AFTER.  Nothing else when off.
 */
void cli_progress_pass(sp_cli *c, sp_read_opts *ro, size_t spooln);
/*
 * The end of reading: stop the thread, erase the line on a terminal
 * (elsewhere, once a line was written, write the last one).  Safe to call
 * when off and more than once; also run at exit.  The next
 * cli_progress_pass starts again.
 */
void cli_progress_end(void);

/* --shard: which of n shards (1..n) the deal id belongs to. */
int cli_shard_of(const char *id, long n);
/*
 * The period label cli_agg_at gives time t, without making a state: the
 * --every bucket of t (even outside --period), else the --period label
 * when the key has it (sp_agg.period_filter 0), else "".  *in is 0 when
 * t is outside --period (cli_agg_at gives NULL), else 1.  Valid until the
 * next call.
 */
const char *cli_agg_label(sp_agg_run *r, int64_t t, int *in);
/*
 * The state of the group of a record that is no deal (a bad record, for
 * sp_cli.agg_bad): every -g value empty, the period label "".  Never NULL.
 */
void *cli_agg_bad_state(sp_agg_run *r);
/*
 * The state of d's group for a deal without the time the periods are of
 * (funnel's deal without created_at): NULL with --period (no period holds
 * it); with --every the group's state labelled "" (the row of such deals);
 * else the group's state, as cli_agg_group.
 */
void *cli_agg_undated(sp_agg_run *r, const sp_deal *d);

#ifdef __cplusplus
}
#endif

#endif
