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
#include <stdio.h>
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

/*
 * Rows of records for a journal (or for the standard output), the way the
 * write programs append them: nrow rows of ncol named columns, the value of
 * row r in column c at vals[r * ncol + c].  A NULL or "" value is empty: a
 * JSON lines object leaves it out, a CSV row has an empty field.  A NULL
 * name leaves its column out (not written, not checked).  Everything is
 * borrowed.
 */
typedef struct sp_rows {
	const char *const *cols;	/* ncol names */
	size_t ncol;
	const char *const *vals;	/* nrow * ncol values */
	size_t nrow;
} sp_rows;

/*
 * Write rows to fp in fmt (SP_FMT_CSV or SP_FMT_JSONL).  Without header,
 * the columns are rows->cols in order; with header (a NULL-ended list of
 * the column names of an existing CSV file) they are the header's, each
 * taking the values of the column of rows of the same name (the first
 * one), empty when rows has none.  A value in a column not in the header
 * is not written: see sp_rows_missing.  with_header: a CSV header line
 * first.  Writes nothing when nrow is 0.  Returns 0, or -1 when out of
 * memory or when a write fails (then ferror(fp) is set).
 */
int sp_rows_write(FILE *fp, int fmt, const sp_rows *rows, char *const *header,
    int with_header);

/*
 * A CSV file cannot grow columns: the first column of rows (in their
 * order) that has a non-empty value in some row and is not in header
 * (NULL-ended), or NULL when header holds every such column.  Borrowed
 * from rows.  The caller says how it refuses.
 */
const char *sp_rows_missing(const sp_rows *rows, char *const *header);

/*
 * Append rows to j whole, in its format, with one sp_journal_append (a
 * record is never torn): laid out in header, the CSV journal's columns
 * (NULL for JSON lines; check it first with sp_rows_missing), and after a
 * header line of the columns when j is a new or empty CSV journal.
 * Appends nothing when nrow is 0.  Returns 0, or -1 with e set ("out of
 * memory", or sp_journal_append's error: the journal is as it was).
 */
int sp_journal_append_rows(sp_journal *j, const sp_rows *rows,
    char *const *header, sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
