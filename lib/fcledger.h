/*
 * fcledger: forecast's ledger side, program side (it prints and exits
 * through cli, so it is not part of the installed library's API): the
 * ledger of frozen calls (--record: check, write, append), reading a
 * ledger back (--score), and the score table of --score and --backtest
 * (calls against what was booked, by method, group and horizon).
 * Private to cmd/forecast.c.
 */
#ifndef SALESPIPE_FCLEDGER_H
#define SALESPIPE_FCLEDGER_H

#include <stdint.h>
#include <stdio.h>

#include "salespipe/cli.h"
#include "salespipe/group.h"

/* --record LEDGER, before anything is read: the ledger must not be an
 * input, and one that has records must be a forecast ledger.  Exits 2. */
void fcl_check(sp_cli *c, const char *path);

/* The ledger's writer on fp (JSON lines: at, period, period_start,
 * period_end, method, value, then the -g fields), and one call of it
 * (value in cents; parts: the -g values).  The caller frees it. */
sp_writer *fcl_writer(sp_cli *c, FILE *fp);
int fcl_row(sp_writer *lw, sp_cli *c, int64_t at, const sp_period *p,
    const char *method, int64_t cents, const char *const *parts);

/* Appends len bytes of calls to the ledger (locked, whole); exits 1 on
 * failure. */
void fcl_append(sp_cli *c, const char *path, const char *buf, size_t len);

/*
 * --score: the calls of a ledger whose periods are over by c->cal.now,
 * one per (method, time, period, -g group), calls of finer groups summed
 * (a call recorded twice counts once).  *per gets the periods (caller
 * frees).  Exits 1 on a record that is not a call.  fcl_each calls fn
 * with each call in order: method (index into methods), the time it was
 * made, the period (index into *per), the group key and the value in
 * cents; then frees calls.
 */
sp_groups *fcl_read(sp_cli *c, const char *path, const char *const *methods,
    int nmethods, sp_period **per, size_t *np);
void fcl_each(sp_cli *c, sp_groups *calls,
    void (*fn)(void *arg, int method, int64_t at, size_t p, const char *key,
    size_t keylen, int64_t cents), void *arg);

/* Scores by (method, -g group, horizon).  fcl_score_add: one call and
 * what was booked, in cents; fcl_score_emit writes the table (it frees
 * sg) and returns the exit status. */
sp_groups *fcl_scores_new(sp_cli *c);
int fcl_score_add(sp_groups *sg, size_t nby, const char *method,
    const char *gkey, size_t gkeylen, long horizon, int64_t forecast,
    int64_t actual);
int fcl_score_emit(sp_cli *c, sp_groups *sg);

#endif
