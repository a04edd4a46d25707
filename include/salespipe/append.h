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
#include "salespipe/journal.h"

/* The write programs' own options. */
enum { APPEND_OPT_AT = 900, APPEND_OPT_ALLOW_DUP, APPEND_OPT_REOPEN };
#define APPEND_SHORTOPTS "f:"
#define APPEND_LONGOPTS \
	{ "file", required_argument, NULL, 'f' }, \
	{ "at", required_argument, NULL, APPEND_OPT_AT }

typedef struct sp_append {
	sp_cli *c;
	const sp_kind *k;
	const char *path;	/* -f, else the kind's variable, else NULL */
	const char *at_text;	/* --at */
	int64_t at;		/* --at, else now */
	int allow_dup;		/* --allow-duplicate */
	int reopen;		/* --reopen */
	sp_entry **v;		/* the batch */
	size_t n, cap;
} sp_append;

void append_init(sp_append *a, sp_cli *c, const sp_kind *k);

/* Handle -f, --at, --allow-duplicate, --reopen; 1 if it was one. */
int append_option(sp_append *a, int opt, const char *arg);

/*
 * After options: resolve the journal, the time, the stage list.  Then read
 * the batch: with moves, operands are ID STAGE [field=value ...]; else
 * field=value ...; without operands, records from stdin.  Bad entries go
 * through the --max-bad policy.  Exits on usage errors.
 */
void append_read(sp_append *a, int argc, char **argv, int moves);

/* lead-add, deal-add: check, give ids, append; prints the ids given.
 * Returns the exit status. */
int append_adds(sp_append *a);

/* lead-move, deal-move: check each move against the history, append.
 * Returns the exit status. */
int append_moves(sp_append *a);

#endif
