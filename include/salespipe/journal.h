/*
 * journal: the append-only history files the write programs share
 * (DESIGN.md section 2).  A journal is opened under an exclusive lock that
 * lasts until sp_journal_close; while it is held no other salespipe writer
 * reads or appends, so what a program reads is what it appends after.
 * An append writes whole records, flushes them to disk (fsync) and, when
 * any write fails, cuts the file back to where it was: a journal only ever
 * grows by whole batches, or a crash leaves a torn last line, which every
 * later open reports (with its byte offset) instead of writing after it.
 */
#ifndef SALESPIPE_JOURNAL_H
#define SALESPIPE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_journal sp_journal;

/* sp_journal_open flags. */
enum { SP_JOURNAL_CREATE = 1 };

/*
 * Open path for appending, creating it (mode 0666 less the umask) when
 * missing if flags has SP_JOURNAL_CREATE (else a missing file is an
 * error: "no such journal"), and wait for the exclusive lock (flock(2)).
 * Once locked, the path must still name the file locked (another program
 * may have replaced it while this one waited): if not, it is opened
 * again, so an append never goes to a file that was renamed away.  Its format: an
 * existing non-empty file is JSON lines when its first non-blank byte is
 * '{', else CSV; a new or empty file is CSV when path ends in ".csv", else
 * JSON lines.  A non-empty file whose last byte is not a newline was torn
 * by a crash: sp_journal_open fails with e naming the line and byte offset of
 * the torn record (see sp_journal_repair).  Returns NULL with e set on any
 * failure (nothing is written then).  Close with sp_journal_close.
 */
sp_journal *sp_journal_open(const char *path, int flags, sp_error *e);

/* SP_FMT_CSV or SP_FMT_JSONL. */
int sp_journal_format(const sp_journal *j);

/* The path given to sp_journal_open. */
const char *sp_journal_path(const sp_journal *j);

/*
 * The whole contents at the time the lock was taken (whole records only;
 * borrowed, valid until sp_journal_close); *n is its size.  NULL with *n 0
 * for an empty journal or one that is not a regular file.
 */
const char *sp_journal_text(const sp_journal *j, size_t *n);

/* 1 when the journal is a new or empty file (a CSV one needs a header). */
int sp_journal_empty(const sp_journal *j);

/*
 * Append the n bytes at buf (whole records, each ending in a newline) at
 * the end and flush them to disk.  Writes at most 64 KiB at a time (a
 * process killed between two writes leaves a torn tail for the next open
 * to report).  On failure the file is cut back to its size before the
 * call; returns -1 with e set (e.g. "No space left on device").
 */
int sp_journal_append(sp_journal *j, const char *buf, size_t n, sp_error *e);

/* Release the lock and free j.  Accepts NULL. */
void sp_journal_close(sp_journal *j);

/*
 * Repair path: under the lock, if its last line is torn, cut the file
 * back to the end of its last whole record.  Sets *off to the offset of
 * the torn bytes, *line to their line number, and returns how many bytes
 * were dropped (0: nothing torn), copying them to *dropped (malloc'd, the
 * caller frees; NULL when nothing was dropped).  Returns -1 with e set on
 * failure (the file is unchanged).
 */
int64_t sp_journal_repair(const char *path, int64_t *off, long *line,
    char **dropped, sp_error *e);

/*
 * The locked journal's file descriptor (borrowed: for the sidecar index,
 * which reads and maps it under the same lock), and its size now: at lock
 * time, then after each append.  -1 and 0 for a journal that is not a
 * regular file (such as /dev/full).
 */
int sp_journal_fd(const sp_journal *j);
int64_t sp_journal_size(const sp_journal *j);

#ifdef __cplusplus
}
#endif

#endif
