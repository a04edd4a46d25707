/*
 * span: the time of owners' activities, each owner's time counted once
 * (selling-time: a calendar export double-books).  A span is [start, end)
 * of one owner; sp_spans_resolve sorts spans by what they say (owner,
 * start, end, type, key, tag), never by their order of arrival, and gives
 * each the part of it that no span of its owner before it in that order
 * covered.  Any split or order of the same spans gives the same counts.
 */
#ifndef SALESPIPE_SPAN_H
#define SALESPIPE_SPAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_span {
	int64_t start, end;	/* [start, end); end >= start */
	const char *owner;	/* whose time (spans of two owners never
				   overlap); NUL-terminated, the caller's */
	const char *type;	/* the first tie-break after the times */
	const char *key;	/* the next one (a deal id; "" when none) */
	int tag;		/* the last one (the caller's: an outcome) */
	int64_t counted;	/* set by sp_spans_resolve */
} sp_span;

/* The rule's order: owner, start, end, type, key (bytewise), tag. */
int sp_span_cmp(const sp_span *a, const sp_span *b);

/*
 * Sort v[0..n-1] in sp_span_cmp's order and set each span's counted: the
 * seconds of [start, end) not covered by an earlier span of its owner.
 * The earlier spans all start at or before it, so what they cover of it
 * is [start, the latest end so far).  A span that overlaps nothing counts
 * end - start; one inside another, 0.  Nothing is allocated.
 */
void sp_spans_resolve(sp_span *v, size_t n);

#ifdef __cplusplus
}
#endif

#endif
