/*
 * stages_check.h: the invariants of a parsed stage list, shared by the
 * fuzz targets of inline stage lists and stage files.
 */
#ifndef SALESPIPE_STAGES_CHECK_H
#define SALESPIPE_STAGES_CHECK_H

#include <strings.h>
#include "salespipe/stage.h"
#include "fuzz.h"

/* Whether a (may be NULL) is the n bytes at s but for case. */
static int
same_text(const char *a, const char *s, size_t n)
{
	return a != NULL && strlen(a) == n && strncasecmp(a, s, n) == 0;
}

static void
check_stages(sp_stages *st, const char *probe, size_t probelen)
{
	char *known, *name;
	size_t i, j, len = 1, n;
	int first_open = -1, first_won = -1, k;

	FUZZ_CHECK(st->n > 0);
	for (i = 0; i < st->n; i++)
		len += strlen(st->v[i].name) + 2;
	known = calloc(1, len);
	FUZZ_CHECK(known != NULL);
	for (i = 0; i < st->n; i++) {
		const sp_stage *s = &st->v[i];

		n = strlen(s->name);
		FUZZ_CHECK(n > 0 && !isspace((unsigned char)s->name[0]) &&
		    !isspace((unsigned char)s->name[n - 1]));
		FUZZ_CHECK(s->kind >= SP_OPEN && s->kind <= SP_LOST);
		FUZZ_CHECK(s->prob_bp >= 0 && s->prob_bp <= 10000);
		FUZZ_CHECK(s->category >= SP_FC_PIPELINE &&
		    s->category <= SP_FC_OMITTED);
		FUZZ_CHECK(sp_stage_kind_parse(sp_stage_kind_name(s->kind)) ==
		    s->kind);
		FUZZ_CHECK(sp_stage_category_parse(sp_stage_category_name(
		    s->category)) == s->category);
		if (s->kind == SP_OPEN && first_open < 0)
			first_open = (int)i;
		if (s->kind == SP_WON && first_won < 0)
			first_won = (int)i;
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcasecmp(s->name, st->v[j].name) != 0);

		/* found by name, in upper case, and with blanks around */
		FUZZ_CHECK(sp_stages_find(st, s->name, n) == (int)i);
		name = malloc(n + 3);
		FUZZ_CHECK(name != NULL);
		name[0] = ' ';
		for (j = 0; j < n; j++)
			name[j + 1] = (char)toupper((unsigned char)s->name[j]);
		name[n + 1] = '\t';
		name[n + 2] = '\0';
		FUZZ_CHECK(sp_stages_find(st, name, n + 2) == (int)i);
		FUZZ_CHECK(sp_stages_find(st, name + 1, n) == (int)i);
		free(name);

		if (i > 0)
			strcat(known, ", ");
		strcat(known, s->name);
	}
	FUZZ_CHECK(strcmp(sp_stages_known(st), known) == 0);
	FUZZ_CHECK(first_open >= 0 && sp_stages_first_open(st) == first_open);
	FUZZ_CHECK(sp_stages_first_won(st) == first_won);
	free(known);

	/* pipelines: each one's stages together, each with an open stage;
	 * none, or every stage in one */
	for (i = 0; i < st->n; i++) {
		const sp_stage *s = &st->v[i];
		FUZZ_CHECK(st->npipes == 0 ? s->pipeline == -1 :
		    s->pipeline >= 0 && (size_t)s->pipeline < st->npipes);
		FUZZ_CHECK(i == 0 || s->pipeline >= st->v[i - 1].pipeline);
		FUZZ_CHECK(sp_stages_first_of(st, (int)i, SP_OPEN) >= 0);
		/* by label or id within its pipeline: it, or a stage of the
		 * pipeline whose name is that text */
		k = sp_stages_find_in(st, s->pipeline, s->label,
		    strlen(s->label));
		FUZZ_CHECK(k >= 0 && st->v[k].pipeline == s->pipeline);
		if (s->id != NULL) {
			k = sp_stages_find_in(st, s->pipeline, s->id,
			    strlen(s->id));
			FUZZ_CHECK(k >= 0 && st->v[k].pipeline == s->pipeline);
		}
	}

	/* any other text: found only when it is a stage's name, label or
	 * id */
	k = sp_stages_find(st, probe, probelen);
	if (k >= 0) {
		FUZZ_CHECK((size_t)k < st->n);
		while (probelen > 0 && isspace((unsigned char)*probe)) {
			probe++;
			probelen--;
		}
		while (probelen > 0 && isspace((unsigned char)probe[probelen -
		    1]))
			probelen--;
		FUZZ_CHECK(same_text(st->v[k].name, probe, probelen) ||
		    same_text(st->v[k].label, probe, probelen) ||
		    same_text(st->v[k].id, probe, probelen));

#endif
