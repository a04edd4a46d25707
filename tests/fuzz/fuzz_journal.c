/*
 * fuzz_journal: the write programs' reading of a journal.  On any JSON
 * lines or CSV text, the prefilter (parse only the lines that may hold the ids
 * asked about) must know exactly what the full parse knows about those
 * ids: whether they exist, their first time and their stage at every
 * time a record names.  And sp_entry_normalise on any field=value text gives
 * values that normalise again to themselves.
 */
#include "fuzz.h"
#include "salespipe/entry.h"
#include "salespipe/field.h"
#include "salespipe/rec.h"

static const char *const ids[] = { "D-1", "D-10", "a\"b", "\xc3\xa9",
	"1" };
#define NIDS (sizeof(ids) / sizeof(ids[0]))

/* Times worth asking about: each record's `at`, and around it. */
static void
times(const char *text, size_t n, int64_t *t, size_t *nt, size_t max)
{
	const char *p = text, *end = text + n;
	sp_error e;

	*nt = 0;
	t[(*nt)++] = INT64_MIN / 2;
	t[(*nt)++] = INT64_MAX / 2;
	while (*nt + 3 <= max && (p = memmem(p, (size_t)(end - p), "\"at\":\"",
	    6)) != NULL) {
		const char *q;
		int64_t v;
		p += 6;
		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
			break;
		if (sp_time_parse(p, (size_t)(q - p), NULL, &v, &e) == 0) {
			t[(*nt)++] = v;
			t[(*nt)++] = v - 1;
			t[(*nt)++] = v + 1;
		}
	}
}

static void
check_index(const uint8_t *data, size_t size, int fmt)
{
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_index *full = sp_index_new(&sp_kind_deal, st);
	sp_index *some = sp_index_new(&sp_kind_deal, st);
	sp_error e;
	int64_t t[64];
	size_t nt, i, k;

	FUZZ_CHECK(st != NULL && full != NULL && some != NULL);
	if (sp_index_read(full, (const char *)data, size, fmt, "j", NULL, 0,
	    NULL, &e) == 0) {
		/* the whole journal is good: so is every line of it */
		FUZZ_CHECK(sp_index_read(some, (const char *)data, size, fmt, "j",
		    ids, NIDS, NULL, &e) == 0);
		times((const char *)data, size, t, &nt, 64);
		for (i = 0; i < NIDS; i++) {
			FUZZ_CHECK(sp_index_has(full, ids[i]) ==
			    sp_index_has(some, ids[i]));
			for (k = 0; k < nt; k++) {
				int s1, s2, h1, h2;
				int64_t a1, a2, f1, f2;
				h1 = sp_index_state(full, ids[i], t[k], &s1, &a1,
				    &f1);
				h2 = sp_index_state(some, ids[i], t[k], &s2, &a2,
				    &f2);
				FUZZ_CHECK(h1 == h2 && s1 == s2 && a1 == a2 &&
				    f1 == f2);
			}
		}
	}
	sp_index_free(full);
	sp_index_free(some);
	sp_stages_free(st);
}

static void
check_entry(const uint8_t *data, size_t size)
{
	sp_stages *st = sp_stages_default(SP_STAGES_DEALS);
	sp_entry *en = sp_entry_new(), *again = sp_entry_new();
	char *s = fuzz_cstr(data, size), *nl;
	const char *names[] = { "amount", "probability", "currency", "email",
	    "at", "close_date", "stage", "name" };
	sp_error e;
	size_t i;

	FUZZ_CHECK(st != NULL && en != NULL && again != NULL);
	/* one value per line, for the fields in turn */
	for (i = 0, nl = s; i < sizeof(names) / sizeof(names[0]) &&
	    nl != NULL; i++) {
		char *v = nl;
		if ((nl = strchr(v, '\n')) != NULL)
			*nl++ = '\0';
		FUZZ_CHECK(sp_entry_set(en, names[i], v, strlen(v), &e) == 0);
	}
	if (sp_entry_normalise(en, st, NULL, &e) == 0) {
		for (i = 0; i < en->n; i++)
			FUZZ_CHECK(sp_entry_set(again, en->name[i], en->val[i],
			    strlen(en->val[i]), &e) == 0);
		FUZZ_CHECK(sp_entry_normalise(again, st, NULL, &e) == 0);
		FUZZ_CHECK(again->n == en->n);
		for (i = 0; i < en->n; i++)
			FUZZ_CHECK(strcmp(sp_entry_get(again, en->name[i]),
			    en->val[i]) == 0);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	sp_entry_free(en);
	sp_entry_free(again);
	sp_stages_free(st);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_index(data, size, SP_FMT_JSONL);
	check_index(data, size, SP_FMT_CSV);
	check_entry(data, size);
	return 0;
}
