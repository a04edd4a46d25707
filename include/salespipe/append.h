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

#include "salespipe/entry.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The whole of lead-add and deal-add (moves 0: entries are field=value
 * operands or stdin records, checked, given ids, appended; the ids given
 * are printed) or of lead-move and deal-move (moves 1: operands ID STAGE
 * [field=value ...] or stdin records, each checked against the history as
 * of its time).  usage is the program's SYNOPSIS.  lead-move (k the
 * lead kind, moves 1) also converts a lead with --deal: its move and a
 * new deal in the deals journal (--deals, $SALESPIPE_DEALS), under both
 * journals' locks, the lead journal's taken first, the deal appended
 * first; see CONVERSION in lead-move(1).  Returns the exit status; exits
 * on usage errors (2) and fatal errors (1).
 */
int append_main(int argc, char **argv, const char *usage, const sp_kind *k,
    int moves);

#ifdef __cplusplus
}
#endif

#endif
