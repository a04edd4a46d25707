/*
 * idset: the ids of a snapshot, to refuse one listed twice, in 12 bytes
 * an id at most (about 18 on average, the table's slack included) and none
 * of its bytes.
 *
 * An id is kept as a fingerprint: a 64-bit hash stored, and 12 bits of a
 * second, independent hash that choose one of 4096 tables.  Two different
 * ids are taken for one when all 76 bits agree: of the n(n-1)/2 pairs of a
 * snapshot of n ids, each does with a chance of 2^-76, so a 10-million-id
 * snapshot shows a false repeat with a chance below 1e-9 (and 100 million
 * below 1e-7).  Where each id was first seen (file index and line) is kept
 * as its number in order of arrival and the few places where that order
 * skips lines (a new file, a record of several lines, a refused one).
 */
#ifndef SALESPIPE_IDSET_H
#define SALESPIPE_IDSET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_idset sp_idset;

/* An id's two hashes, computed once for a find and then an add. */
typedef struct sp_idkey {
	uint64_t h1, h2;
} sp_idkey;

void sp_idset_key(const char *id, size_t n, sp_idkey *k);

/* An empty set, or NULL when out of memory. */
sp_idset *sp_idset_new(void);

void sp_idset_free(sp_idset *s);

/*
 * Add the id (its key) seen at file (an index the caller keeps)
 * and line: 0 when new; 1 when already there, with where it was first
 * seen in *ffile and *fline (the set unchanged); -1 when out of memory
 * (or past 2^32 - 2 ids).
 */
int sp_idset_add(sp_idset *s, const sp_idkey *k, uint32_t file,
    int64_t line, uint32_t *ffile, int64_t *fline);

/* 1 when the id is in s (with where it was first seen; either may be
 * NULL), else 0. */
int sp_idset_find(const sp_idset *s, const sp_idkey *k, uint32_t *ffile,
    int64_t *fline);

/* Start fetching the id's slot into the cache (a hint: the next find or
 * add of it waits less). */
void sp_idset_prefetch(const sp_idset *s, const sp_idkey *k);

/* 1 when an id of b is also in a.  Only reads both. */
int sp_idset_overlap(const sp_idset *a, const sp_idset *b);

size_t sp_idset_count(const sp_idset *s);

/* Bytes held, for --explain and the benchmark's accounting. */
size_t sp_idset_bytes(const sp_idset *s);

#ifdef __cplusplus
}
#endif

#endif
