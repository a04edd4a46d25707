/*
 * group: the hash table behind -g/--by.  Keys are byte strings (the
 * group-field values joined by a NUL byte, which no value can hold, so
 * that any value is safe and keys sort field by field); each key owns a
 * fixed-size state that the program defines.  Open addressing, grows by
 * doubling, so it stays fast at millions of groups.
 */
#ifndef SALESPIPE_GROUP_H
#define SALESPIPE_GROUP_H

#include <stddef.h>
#include "salespipe/rec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SP_KEY_SEP '\0'

typedef struct sp_groups sp_groups;

/*
 * A table whose states are state_size bytes, zero-filled, then passed to
 * init (may be NULL) on creation.  NULL when out of memory.
 */
sp_groups *sp_groups_new(size_t state_size, void (*init)(void *state));

/* The state for key (created if new), or NULL when out of memory. */
void *sp_groups_get(sp_groups *g, const char *key, size_t keylen);

/* The state for key, or NULL when absent. */
void *sp_groups_find(const sp_groups *g, const char *key, size_t keylen);

/* The key of a state that g returned (NUL-terminated, owned by g). */
const char *sp_groups_key(const sp_groups *g, const void *state, size_t *len);

size_t sp_groups_count(const sp_groups *g);

/* The table's hash of n bytes: FNV-1a, then mixed (every bit counts);
 * stable across versions (journal indexes keep it on disk). */
uint64_t sp_hash(const char *s, size_t n);

/*
 * Entries sorted by key (bytewise): keys[i]/keylens[i]/states[i].  Arrays
 * are malloc'd, owned by the caller (free them, not their elements); the
 * keys and states belong to g.  Returns the count, or (size_t)-1 on memory.
 */
size_t sp_groups_sorted(const sp_groups *g, const char ***keys,
    size_t **keylens, void ***states);

/*
 * Call fn with every group in no particular order (cheaper than
 * sp_groups_sorted); fn returning nonzero stops and is returned.  Only
 * reads g: threads may walk and find in one table at once.
 */
int sp_groups_each(const sp_groups *g, int (*fn)(void *arg,
    const char *key, size_t keylen, void *state), void *arg);

/* Forget every entry (their states are not finalised): the table is
 * empty, and keeps its memory for the next ones. */
void sp_groups_clear(sp_groups *g);

/* Free the table, calling fini (may be NULL) on every state. */
void sp_groups_free(sp_groups *g, void (*fini)(void *state));

/*
 * Build the key of r for slots[0..n-1] into *buf (grown with realloc as
 * needed; *cap is its size).  Absent values are empty.  Returns the key
 * length, or (size_t)-1 when out of memory.
 */
size_t sp_group_key(const sp_rec *r, const int *slots, size_t n, char **buf,
    size_t *cap);

/*
 * Split a key back into its n parts: parts[i] points into a copy kept in
 * *buf (grown as needed), NUL-terminated.  Returns 0 or -1 (memory).
 */
int sp_group_key_split(const char *key, size_t keylen, size_t n,
    const char **parts, char **buf, size_t *cap);

#ifdef __cplusplus
}
#endif

#endif
