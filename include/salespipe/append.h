/*
 * append: the program side of lead-add, deal-add, lead-move and deal-move
 * (like cli, it prints and exits).  The steps are the same for leads and
 * deals: read the entries (operands or a batch on stdin) and put them in
 * canonical form, take the journal's lock, check them against its
 * history, give ids, append the batch whole, release the lock.  Reading
 * stdin happens before the lock is taken, so a slow pipe never holds up
 * other writers.
 */
#ifndef SALESPIPE_APPEND_H
#define SALESPIPE_APPEND_H

#include "salespipe/cli.h"
#include "salespipe/entry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The codes of the write programs' own options (cli_opt.val). */
enum { APPEND_OPT_AT = 900, APPEND_OPT_ALLOW_DUP, APPEND_OPT_REOPEN,
	APPEND_OPT_ALLOW_FIELD, APPEND_OPT_DEAL, APPEND_OPT_DEALS,
	APPEND_OPT_DEFAULT_COUNTRY };

/* The options of every write program, to start its option table; the
 * others are below, each program taking those it documents. */
#define APPEND_LONGOPTS \
	CLI_WRITE_LONGOPTS, \
	{ "file", required_argument, 'f', "file", \
	    "the journal (default: $SALESPIPE_DEALS or _LEADS)" }, \
	{ "at", required_argument, APPEND_OPT_AT, "time", \
	    "the time the records become true (default: now)" }, \
	{ "allow-field", required_argument, APPEND_OPT_ALLOW_FIELD, "name", \
	    "record field name although it is near a canonical one" }
#define APPEND_ALLOW_DUP_LONGOPT \
	{ "allow-duplicate", no_argument, APPEND_OPT_ALLOW_DUP, NULL, \
	    "add a record whose account and name are taken" }
#define APPEND_REOPEN_LONGOPT \
	{ "reopen", no_argument, APPEND_OPT_REOPEN, NULL, \
	    "allow a move out of a closed stage" }

/*
 * The whole of lead-add and deal-add (moves 0: entries are field=value
 * operands or stdin records, checked, given ids, appended; the ids given
 * are printed) or of lead-move and deal-move (moves 1: operands ID STAGE
 * [field=value ...] or stdin records, each checked against the history as
 * of its time).  usage is the program's SYNOPSIS.  lead-move (k the
 * lead kind, moves 1) also converts a lead with --deal: its move and a
 * new deal in the deals journal (--deals, $SALESPIPE_DEALS), under both
 * journals' locks, the lead journal's taken first, the deal appended
 * first; see CONVERSION in lead-move(1).  opts: the program's options,
 * APPEND_LONGOPTS and those of its own it documents.  Returns the exit
 * status; exits on usage errors (2) and fatal errors (1).
 */
int append_main(int argc, char **argv, const char *usage,
    const cli_opt *opts, const sp_kind *k, int moves);

#ifdef __cplusplus
}
#endif

#endif
