/*
 * map: renaming input fields to canonical names (--map).  A map is a list
 * of entries canonical <- one or more source names (first present wins);
 * presets are named maps for common CRM exports, chosen per input by a
 * column that identifies the export, and may carry a default stage list.
 */
#ifndef SALESPIPE_MAP_H
#define SALESPIPE_MAP_H

#include <stddef.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_map sp_map;

/* A new empty map (identity).  NULL only when out of memory. */
sp_map *sp_map_new(void);
void sp_map_free(sp_map *m);

/*
 * Add one --map argument to m: a preset name ("salesforce", "hubspot",
 * "pipedrive"), a list
 * "canonical=source,..." (source may be "a|b": first present wins), or the
 * path of a CSV file with rows canonical,source (a header row naming
 * "canonical,source" is skipped).  Later arguments override earlier ones
 * for the same canonical name.  Returns 0, or -1 with e set.
 */
int sp_map_add(sp_map *m, const char *arg, sp_error *e);

/*
 * Resolve the map against one input's field names: out[i] becomes the name
 * field i is known by (a canonical name, or names[i] itself), or NULL when
 * the field is shadowed: a column literally named like a canonical name
 * that another column is mapped to.  An alternative source that lost to
 * an earlier one ("a|b" with both present) keeps its own name.  out[i] points into m or names; valid while both live.  Returns 0 or
 * -1 with e set (out of memory).
 */
int sp_map_resolve(const sp_map *m, const char *const *names, size_t n,
    const char **out, sp_error *e);

/*
 * The stage list (a --stages specification) of the first preset in m, for
 * deals (which == SP_STAGES_DEALS) or leads, or NULL.  Used when neither
 * --stages nor $SALESPIPE_STAGES is given.
 */
const char *sp_map_stages(const sp_map *m, int which);

/*
 * The --probability-scale of the first preset in m (1 for a CRM that
 * writes probabilities as 0..1 fractions, such as HubSpot), or 0 when m
 * has no preset or its preset leaves the default (100).
 */
int sp_map_prob_scale(const sp_map *m);

/* 1 when m holds a preset (its input is a CRM export), else 0. */
int sp_map_has_preset(const sp_map *m);

/*
 * 1 when name plays a part in m (a canonical or source name, or a column
 * a preset looks for): only then can a new field change how the fields of
 * an input resolve.
 */
int sp_map_mentions(const sp_map *m, const char *name);

/* Names of the built-in presets, NULL-terminated. */
extern const char *const sp_map_presets[];

/* The canonical field names (DESIGN.md section 2), NULL-terminated. */
extern const char *const sp_map_canonical[];

/*
 * The canonical name that name equals but for case (`Stage` -> "stage"),
 * or NULL (none, or name is canonical itself).
 */
const char *sp_map_canonical_fold(const char *name);

/*
 * After sp_map_resolve: each field that kept its own name (out[i] ==
 * names[i]) and equals a canonical name but for case is known by the
 * canonical name, when no field resolved to it exactly (the first such
 * field wins).
 */
void sp_map_fold_case(const char *const *names, size_t n, const char **out);

#ifdef __cplusplus
}
#endif

#endif
