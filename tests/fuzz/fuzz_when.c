/*
 * fuzz_when: a territory rule's `when` (sp_rule_parse_when).  Parsed, every
 * condition has a field and its text, and the texts joined by " and "
 * parse again into the same conditions; every condition answers
 * sp_cond_holds on the input itself and on nothing.
 */
#include "fuzz.h"
#include "salespipe/assign.h"

static void
rule_free(sp_rule *r)
{
	sp_rules rs;

	rs.n = 1;
	if ((rs.v = malloc(sizeof(*rs.v))) == NULL)
		abort();
	*rs.v = *r;
	sp_rules_free(&rs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *joined;
	sp_rule r, again;
	sp_error e;
	size_t i, k, len = 0;

	if (size > 4096)
		return 0;
	s = fuzz_cstr(data, size);
	memset(&r, 0, sizeof(r));
	sp_err_clear(&e);
	if (sp_rule_parse_when(&r, s, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		rule_free(&r);
		free(s);
		return 0;
	}
	for (i = 0; i < r.ncond; i++) {
		const sp_cond *c = &r.cond[i];
		FUZZ_CHECK(c->field != NULL && c->field[0] != '\0');
		FUZZ_CHECK(c->text != NULL && strstr(c->text, " and ") == NULL);
		FUZZ_CHECK(c->op != SP_COND_BETWEEN || c->has_lo || c->has_hi);
		for (k = 0; k < c->nv; k++)
			FUZZ_CHECK(c->v[k][0] != '\0');
		(void)sp_cond_holds(c, s, size);
		FUZZ_CHECK(sp_cond_holds(c, NULL, 0) == (c->op ==
		    SP_COND_EMPTY));
		len += strlen(c->text) + 5;
	}
	if ((joined = calloc(1, len + 1)) == NULL)
		abort();
	for (i = 0; i < r.ncond; i++) {
		if (i > 0)
			strcat(joined, " and ");
		strcat(joined, r.cond[i].text);
	}
	memset(&again, 0, sizeof(again));
	FUZZ_CHECK(sp_rule_parse_when(&again, joined, &e) == 0);
	FUZZ_CHECK(again.ncond == r.ncond);
	for (i = 0; i < r.ncond; i++) {
		FUZZ_CHECK(again.cond[i].op == r.cond[i].op);
		FUZZ_CHECK(strcmp(again.cond[i].field, r.cond[i].field) == 0);
		FUZZ_CHECK(again.cond[i].nv == r.cond[i].nv);
	}
	rule_free(&again);
	rule_free(&r);
	free(joined);
	free(s);
	return 0;
}
