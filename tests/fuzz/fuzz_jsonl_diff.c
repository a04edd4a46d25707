/*
 * fuzz_jsonl_diff: the JSON lines fast path against jansson's path, the
 * reference.  Two readers over the same bytes (-i jsonl), one with the
 * fast path (the default) and one with it off (sp_rd_json_fast), must give
 * the same thing at every step: the same return code, error (message,
 * field, file, line), record place and text, the same slots and fields,
 * and the same record to the byte (value, length and number mark of every
 * slot, and the buffer the values live in).  The first byte chooses the
 * read size (low 5 bits), whether the program declares one field it reads
 * (bit 5: a \u0000 elsewhere is then replaced, not refused) and a --map
 * (high 2 bits: none, explicit pairs with alternatives and a shadowed
 * name, the salesforce preset, or both).
 */
#include "fuzz.h"
#include "salespipe/map.h"
#include "salespipe/rec.h"
#include "../../lib/reader_impl.h"

/* The --map the two high bits choose; made once, never freed. */
static const sp_map *
fuzz_map(int which)
{
	static sp_map *maps[4];
	sp_error e;

	if (which == 0)
		return NULL;
	if (maps[which] == NULL) {
		FUZZ_CHECK((maps[which] = sp_map_new()) != NULL);
		if (which & 2)
			FUZZ_CHECK(sp_map_add(maps[which], "salesforce", &e) == 0);
		if (which & 1)
			FUZZ_CHECK(sp_map_add(maps[which], "id=ID|Id,stage=b|a,"
			    "amount=Amount", &e) == 0);
	}
	return maps[which];
}

static sp_reader *
open_one(const uint8_t *data, size_t size, const sp_read_opts *o, int use,
    int fast)
{
	sp_error e;
	sp_reader *rd = sp_reader_open_mem(data, size, "fuzz", o, &e);

	FUZZ_CHECK(rd != NULL);
	sp_rd_json_fast(rd, fast);
	/* a program that reads "stage" (and says so) */
	if (use)
		FUZZ_CHECK(sp_reader_use(rd, sp_reader_slot(rd, "stage")) == 0);
	return rd;
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The two readers' state and records agree. */
static void
check_same(sp_reader *fa, const sp_rec *a, sp_reader *sa, const sp_rec *b)
{
	const int *ffa, *ffb;
	size_t n, nfa, nfb, i;

	n = sp_reader_nslots(fa);
	FUZZ_CHECK(n == sp_reader_nslots(sa));
	for (i = 0; i < n; i++)
		FUZZ_CHECK(same_str(sp_reader_slot_name(fa, (int)i),
		    sp_reader_slot_name(sa, (int)i)));
	ffa = sp_reader_fields(fa, &nfa);
	ffb = sp_reader_fields(sa, &nfb);
	FUZZ_CHECK(nfa == nfb);
	FUZZ_CHECK(nfa == 0 || memcmp(ffa, ffb, nfa * sizeof(*ffa)) == 0);
	/* the record: place, text, every slot, the storage */
	FUZZ_CHECK(same_str(a->file, b->file));
	FUZZ_CHECK(a->line == b->line);
	FUZZ_CHECK(a->rawlen == b->rawlen);
	FUZZ_CHECK((a->raw == NULL) == (b->raw == NULL));
	FUZZ_CHECK(a->raw == NULL || memcmp(a->raw, b->raw, a->rawlen) == 0);
	FUZZ_CHECK(a->nslot == b->nslot);
	for (i = 0; i < a->nslot; i++) {
		FUZZ_CHECK((a->val[i] == NULL) == (b->val[i] == NULL));
		FUZZ_CHECK(a->len[i] == b->len[i]);
		FUZZ_CHECK(a->num[i] == b->num[i]);
		if (a->val[i] == NULL)
			continue;
		FUZZ_CHECK(memcmp(a->val[i], b->val[i], a->len[i] + 1) == 0);
		FUZZ_CHECK(a->val[i] - a->buf == b->val[i] - b->buf);
	}
	FUZZ_CHECK(a->bufsize == b->bufsize);
	FUZZ_CHECK(a->bufsize == 0 || memcmp(a->buf, b->buf, a->bufsize) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_read_opts o;
	sp_reader *fast, *slow;
	sp_rec *a = sp_rec_new(), *b = sp_rec_new();
	sp_error ea, eb;
	size_t calls = 0;
	unsigned long na, nb;
	const char *fa, *fb, *ga, *gb;
	long la, lb;
	int ka, kb, use;

	FUZZ_CHECK(a != NULL && b != NULL);
	if (size < 1 || size > 1 << 16)
		goto out;
	memset(&o, 0, sizeof(o));
	o.format = SP_FMT_JSONL;
	o.bufsize = 1 + (data[0] & 31);
	o.map = fuzz_map(data[0] >> 6);
	use = (data[0] >> 5) & 1;
	data++;
	size--;

	fast = open_one(data, size, &o, use, 1);
	slow = open_one(data, size, &o, use, 0);
	do {
		FUZZ_CHECK(++calls <= size + 4);
		sp_err_clear(&ea);
		sp_err_clear(&eb);
		ka = sp_reader_next(fast, a, &ea);
		kb = sp_reader_next(slow, b, &eb);
		FUZZ_CHECK(ka == kb);
		FUZZ_CHECK(strcmp(ea.msg, eb.msg) == 0);
		FUZZ_CHECK(strcmp(ea.field, eb.field) == 0);
		FUZZ_CHECK(strcmp(ea.file, eb.file) == 0);
		FUZZ_CHECK(ea.line == eb.line);
		FUZZ_CHECK(sp_reader_lines(fast) == sp_reader_lines(slow));
		if (ka != 0 && ka != -2)
			check_same(fast, a, slow, b);
	} while (ka != 0);
	/* the same values had bytes replaced, the first in the same place */
	na = sp_reader_replaced(fast, &fa, &la, &ga);
	nb = sp_reader_replaced(slow, &fb, &lb, &gb);
	FUZZ_CHECK(na == nb);
	FUZZ_CHECK(na == 0 || (strcmp(fa, fb) == 0 && la == lb &&
	    strcmp(ga, gb) == 0));
	/* the reference never takes the fast path */
	FUZZ_CHECK(sp_rd_json_fast(slow, 0) == 0);
	sp_reader_close(fast);
	sp_reader_close(slow);
out:
	sp_rec_free(a);
	sp_rec_free(b);
	return 0;
}
