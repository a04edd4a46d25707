/*
 * stages_check.h: the invariants of a parsed stage list, shared by the
 * fuzz targets of inline stage lists and stage files.
 */
#ifndef SALESPIPE_STAGES_CHECK_H
#define SALESPIPE_STAGES_CHECK_H

#include <strings.h>
#include "salespipe/stage.h"
#include "fuzz.h"

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

	/* any other text: found only when it is a stage's name */
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
		FUZZ_CHECK(strlen(st->v[k].name) == probelen &&
		    strncasecmp(st->v[k].name, probe, probelen) == 0);

#endif
