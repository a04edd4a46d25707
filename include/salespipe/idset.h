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
 *
 * A set may be given a budget (sp_idset_set_budget): when the ids would
 * take more memory, they are written to a temporary file as a sorted run
 * (24 bytes an id, with where it was seen) and the set starts empty again,
 * so that memory stays within the budget whatever the input.  A repeat of
 * an id in memory is still found at once (and named at its first place,
 * even when that was spilled); a repeat of a spilled id only by
 * sp_idset_check after reading.  Temporary files are made in $TMPDIR (else
 * /tmp) and unlinked at once.
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
 * The most memory the set may take, in bytes (0, the default: no limit).
 * A budget below sp_idset_budget_min() (1 MiB) is taken as that: the
 * 4096 tables take 64 KiB before the first id and 384 KiB once each holds
 * one.
 */
void sp_idset_set_budget(sp_idset *s, size_t bytes);
size_t sp_idset_budget_min(void);

/*
 * Add the id (its key, and its n bytes, logged once the set has spilled)
 * seen at file (an index the caller keeps) and line: 0 when new; 1 when
 * already in memory, with where it was first seen in *ffile and *fline
 * (the set unchanged); -1 when out of memory (or past 2^32 - 2 ids in
 * memory), or with errno set when a temporary file fails: the set is of
 * no more use then.
 */
int sp_idset_add(sp_idset *s, const sp_idkey *k, const char *id, size_t n,
    uint32_t file, int64_t line, uint32_t *ffile, int64_t *fline);

/* 1 when the id is in memory in s (with where it was first seen, in
 * memory or, when an earlier spill holds it too, there; either may be
 * NULL), else 0. */
int sp_idset_find(const sp_idset *s, const sp_idkey *k, uint32_t *ffile,
    int64_t *fline);

/* Start fetching the id's slot into the cache (a hint: the next find or
 * add of it waits less). */
void sp_idset_prefetch(const sp_idset *s, const sp_idkey *k);

/* 1 when an id of b is also in a.  Only reads both. */
int sp_idset_overlap(const sp_idset *a, const sp_idset *b);

/* Ids added, in memory and spilled. */
size_t sp_idset_count(const sp_idset *s);

/* Bytes of memory held (within the budget), for the benchmark's
 * accounting and the tests. */
size_t sp_idset_bytes(const sp_idset *s);

/* 1 when s has written ids to disk (then only sp_idset_check finds
 * every repeat), else 0. */
int sp_idset_spilled(const sp_idset *s);

/* A repeat found by sp_idset_check: where (the index of its set, file,
 * line) and where its id was first seen, and the id's first bytes. */
typedef struct sp_idrepeat {
	size_t set, fset;
	uint32_t file, ffile;
	int64_t line, fline;
	char id[64];		/* at most 64 bytes, not NUL-terminated: */
	size_t idlen;		/* more than sp_err_quote shows */
} sp_idrepeat;

/*
 * After reading: every id of sets[0..n) (whose ids came in that order:
 * set i's before set i+1's), in memory and spilled, merged on disk in
 * memory within budget (0: no limit) to find each id listed again.
 * Returns how many (each id after its first place counts once), with the
 * earliest max of them by (set, file, line) in rep[0..], sorted, their
 * ids from the sets' logs (idlen 0 when the id was added before the
 * set's first spill, so never for a set checked alone); -1 with errno
 * set when a temporary file fails.  The sets are empty afterwards.
 */
long long sp_idset_check(sp_idset *const *sets, size_t n, size_t budget,
    sp_idrepeat *rep, size_t max);

#ifdef __cplusplus
}
#endif

#endif
