/*
 * Unit tests of group: the hash table behind -g/--by, and group keys
 * (include/salespipe/group.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/group.h"

struct st {
	int64_t sum;
	long count;
	int inited;
	char pad[20];
};

static long init_calls, fini_calls;

static void
st_init(void *p)
{
	struct st *s = p;

	/* zero-filled before init */
	assert_int_equal(s->sum, 0);
	assert_int_equal(s->count, 0);
	assert_int_equal(s->inited, 0);
	s->inited = 7;
	init_calls++;
}

static void
st_fini(void *p)
{
	struct st *s = p;

	assert_int_equal(s->inited, 7);
	fini_calls++;
}

static struct st *
get(sp_groups *g, const char *key, size_t len)
{
	struct st *s = sp_groups_get(g, key, len);

	assert_non_null(s);
	return s;
}

static void
test_get_find_count(void **state)
{
	sp_groups *g;
	struct st *a, *b;

	(void)state;
	init_calls = fini_calls = 0;
	g = sp_groups_new(sizeof(struct st), st_init);
	assert_non_null(g);
	assert_int_equal(sp_groups_count(g), 0);
	assert_null(sp_groups_find(g, "east", 4));

	a = get(g, "east", 4);
	assert_int_equal(a->inited, 7);
	a->sum += 5;
	assert_int_equal(sp_groups_count(g), 1);
	/* same key, same state (no growth in between) */
	b = get(g, "east", 4);
	assert_ptr_equal(a, b);
	b->sum += 6;
	assert_int_equal(sp_groups_count(g), 1);
	assert_int_equal(init_calls, 1);

	b = get(g, "west", 4);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->sum, 0);
	assert_int_equal(sp_groups_count(g), 2);

	a = sp_groups_find(g, "east", 4);
	assert_non_null(a);
	assert_int_equal(a->sum, 11);
	/* only keylen bytes count */
	a = sp_groups_find(g, "eastern", 4);
	assert_non_null(a);
	assert_int_equal(a->sum, 11);
	assert_null(sp_groups_find(g, "eas", 3));
	assert_null(sp_groups_find(g, "EAST", 4));
	assert_int_equal(sp_groups_count(g), 2);

	sp_groups_free(g, st_fini);
	assert_int_equal(fini_calls, 2);
}

static void
test_null_init_zero_filled(void **state)
{
	sp_groups *g = sp_groups_new(sizeof(struct st), NULL);
	struct st *s;

	(void)state;
	assert_non_null(g);
	s = get(g, "k", 1);
	assert_int_equal(s->sum, 0);
	assert_int_equal(s->count, 0);
	assert_int_equal(s->inited, 0);
	sp_groups_free(g, NULL);
}

/* Keys are byte strings: NUL, 0x1f and high bytes are ordinary bytes, and
 * the empty key is a key. */
static void
test_binary_keys(void **state)
{
	sp_groups *g = sp_groups_new(sizeof(struct st), NULL);

	(void)state;
	assert_non_null(g);
	get(g, "a", 1)->sum = 1;
	get(g, "a\0b", 3)->sum = 2;
	get(g, "a\0", 2)->sum = 3;
	get(g, "", 0)->sum = 4;
	get(g, "a\x1f", 2)->sum = 5;
	get(g, "\xff\xfe", 2)->sum = 6;
	assert_int_equal(sp_groups_count(g), 6);
	assert_int_equal(((struct st *)sp_groups_find(g, "a", 1))->sum, 1);
	assert_int_equal(((struct st *)sp_groups_find(g, "a\0b", 3))->sum, 2);
	assert_int_equal(((struct st *)sp_groups_find(g, "a\0", 2))->sum, 3);
	assert_int_equal(((struct st *)sp_groups_find(g, "", 0))->sum, 4);
	assert_int_equal(((struct st *)sp_groups_find(g, "a\x1f", 2))->sum, 5);
	assert_int_equal(((struct st *)sp_groups_find(g, "\xff\xfe", 2))->sum, 6);
	assert_null(sp_groups_find(g, "a\0c", 3));
	sp_groups_free(g, NULL);
}

static void
test_sorted_bytewise(void **state)
{
	/* insertion order scrambled */
	static const char *in[] = { "b", "ab", "\xff", "A", "", "a", "a\x1f",
	    "B", "\x80x" };
	/* bytewise, unsigned, shorter prefix first */
	static const char *want[] = { "", "A", "B", "a", "a\x1f", "ab", "b",
	    "\x80x", "\xff" };
	sp_groups *g = sp_groups_new(sizeof(struct st), NULL);
	const char **keys;
	size_t *lens, n, i;
	void **states;

	(void)state;
	assert_non_null(g);
	for (i = 0; i < 9; i++)
		get(g, in[i], strlen(in[i]))->sum = (int64_t)i;
	n = sp_groups_sorted(g, &keys, &lens, &states);
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		size_t j;

		assert_int_equal(lens[i], strlen(want[i]));
		if (lens[i] > 0)
			assert_memory_equal(keys[i], want[i], lens[i]);
		/* the state belongs to that key */
		for (j = 0; j < 9; j++)
			if (strcmp(in[j], want[i]) == 0)
				break;
		assert_int_equal(((struct st *)states[i])->sum, (int64_t)j);
		assert_ptr_equal(states[i], sp_groups_find(g, keys[i], lens[i]));
	}
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(g, NULL);
}

static void
test_sorted_empty(void **state)
{
	sp_groups *g = sp_groups_new(sizeof(struct st), NULL);
	const char **keys = NULL;
	size_t *lens = NULL;
	void **states = NULL;

	(void)state;
	assert_non_null(g);
	assert_int_equal(sp_groups_sorted(g, &keys, &lens, &states), 0);
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(g, NULL);
}

/* One million groups: every key is found again with its own state, the
 * count is exact and the sorted order is the numeric order of the
 * zero-padded keys. */
static void
test_million_keys(void **state)
{
	enum { N = 1000000 };
	sp_groups *g;
	char key[32];
	const char **keys;
	size_t *lens, n, i;
	void **states;
	int len;
	struct st *s;

	(void)state;
	init_calls = fini_calls = 0;
	g = sp_groups_new(sizeof(struct st), st_init);
	assert_non_null(g);
	/* insert in a scrambled order: i * 7919 mod N walks all of 0..N-1
	 * (7919 is prime and does not divide 10^6) */
	for (i = 0; i < N; i++) {
		size_t k = (i * 7919) % N;

		len = snprintf(key, sizeof key, "owner%07zu", k);
		s = sp_groups_get(g, key, (size_t)len);
		if (s == NULL)
			fail_msg("groups_get failed at %zu", i);
		s->sum += (int64_t)k;
		s->count++;
	}
	assert_int_equal(sp_groups_count(g), N);
	assert_int_equal(init_calls, N);
	/* a second pass adds to the existing states */
	for (i = 0; i < N; i += 3) {
		len = snprintf(key, sizeof key, "owner%07zu", i);
		s = sp_groups_get(g, key, (size_t)len);
		assert_non_null(s);
		s->count++;
	}
	assert_int_equal(sp_groups_count(g), N);
	assert_int_equal(init_calls, N);
	for (i = 0; i < N; i++) {
		len = snprintf(key, sizeof key, "owner%07zu", i);
		s = sp_groups_find(g, key, (size_t)len);
		if (s == NULL || s->sum != (int64_t)i ||
		    s->count != (i % 3 == 0 ? 2 : 1))
			fail_msg("key %s lost or wrong", key);
	}
	assert_null(sp_groups_find(g, "owner1000000", 12));
	assert_null(sp_groups_find(g, "owner", 5));

	n = sp_groups_sorted(g, &keys, &lens, &states);
	assert_int_equal(n, N);
	for (i = 0; i < n; i++) {
		len = snprintf(key, sizeof key, "owner%07zu", i);
		if (lens[i] != (size_t)len || memcmp(keys[i], key, lens[i]) != 0)
			fail_msg("sorted[%zu] is not %s", i, key);
		if (((struct st *)states[i])->sum != (int64_t)i)
			fail_msg("sorted[%zu] has the wrong state", i);
	}
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(g, st_fini);
	assert_int_equal(fini_calls, N);
}

/* Keys that come in key order (sp_groups_sorted then walks the entries
 * as they were carved, block after block, and sorts nothing), of many
 * lengths over several blocks; then, after a clear, one out of order. */
static void
test_sorted_in_order(void **state)
{
	enum { N = 200000 };
	sp_groups *g;
	char key[64];
	const char **keys;
	size_t *lens, n, i;
	void **states;
	int len;
	struct st *s;

	(void)state;
	g = sp_groups_new(sizeof(struct st), st_init);
	assert_non_null(g);
	for (i = 0; i < N; i++) {
		/* six digits rising, then 0-36 x's: bytewise rising */
		len = snprintf(key, sizeof key, "%06zu%.*s", i, (int)(i % 37),
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		assert_non_null(s = sp_groups_get(g, key, (size_t)len));
		s->sum = (int64_t)i;
	}
	n = sp_groups_sorted(g, &keys, &lens, &states);
	assert_int_equal(n, N);
	for (i = 0; i < n; i++) {
		len = snprintf(key, sizeof key, "%06zu%.*s", i, (int)(i % 37),
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		if (lens[i] != (size_t)len || memcmp(keys[i], key, lens[i]) != 0
		    || ((struct st *)states[i])->sum != (int64_t)i)
			fail_msg("sorted[%zu] is not %s", i, key);
	}
	free(keys);
	free(lens);
	free(states);
	sp_groups_clear(g);
	assert_non_null(sp_groups_get(g, "b", 1));
	assert_non_null(sp_groups_get(g, "c", 1));
	assert_non_null(sp_groups_get(g, "a", 1));
	n = sp_groups_sorted(g, &keys, &lens, &states);
	assert_int_equal(n, 3);
	assert_memory_equal(keys[0], "a", 1);
	assert_memory_equal(keys[1], "b", 1);
	assert_memory_equal(keys[2], "c", 1);
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(g, NULL);
}

/* ---- group keys ---- */

/* A record built by hand: slot i holds v[i] (NULL: absent). */
static void
rec_of(sp_rec *r, const char **v, uint32_t *len, size_t n)
{
	size_t i;

	memset(r, 0, sizeof *r);
	r->nslot = n;
	r->val = v;
	r->len = len;
	for (i = 0; i < n; i++)
		len[i] = v[i] ? (uint32_t)strlen(v[i]) : 0;
	r->file = "test";
	r->line = 1;
}

static void
test_group_key(void **state)
{
	const char *v[4] = { "east", NULL, "bob", "" };
	uint32_t len[4];
	sp_rec r;
	char *buf = NULL;
	size_t cap = 0, n;
	int s012[] = { 0, 1, 2 }, s20[] = { 2, 0 }, s0[] = { 0 },
	    s3[] = { 3 }, sout[] = { 0, 9, -1, 2 };

	(void)state;
	rec_of(&r, v, len, 4);

	n = sp_group_key(&r, s012, 3, &buf, &cap);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "east\0\0" "bob", 9);
	assert_true(cap >= n);

	n = sp_group_key(&r, s20, 2, &buf, &cap);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "bob\0" "east", 8);

	n = sp_group_key(&r, s0, 1, &buf, &cap);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "east", 4);

	/* an empty value and no slots: the empty key */
	n = sp_group_key(&r, s3, 1, &buf, &cap);
	assert_int_equal(n, 0);
	n = sp_group_key(&r, s012, 0, &buf, &cap);
	assert_int_equal(n, 0);

	/* slots beyond the record and negative slots are absent: empty */
	n = sp_group_key(&r, sout, 4, &buf, &cap);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "east\0\0\0" "bob", 10);
	free(buf);
}

static void
test_group_key_grows(void **state)
{
	char *big = malloc(100001);
	const char *v[2];
	uint32_t len[2];
	sp_rec r;
	char *buf, *small = malloc(2);
	size_t cap = 2, n;
	int s[] = { 0, 1, 0 };

	(void)state;
	assert_non_null(big);
	assert_non_null(small);
	memset(big, 'x', 100000);
	big[100000] = '\0';
	v[0] = big;
	v[1] = "y";
	rec_of(&r, v, len, 2);
	buf = small;	/* a small buffer the caller already had */
	n = sp_group_key(&r, s, 3, &buf, &cap);
	assert_int_equal(n, 200003);
	assert_true(cap >= n);
	assert_memory_equal(buf, big, 100000);
	assert_memory_equal(buf + 100000, "\0y\0", 3);
	assert_memory_equal(buf + 100003, big, 100000);
	free(buf);
	free(big);
}

static void
split_check(const char *key, size_t keylen, size_t n, const char **want)
{
	const char *parts[8];
	char *buf = NULL;
	size_t cap = 0, i;

	assert_int_equal(sp_group_key_split(key, keylen, n, parts, &buf, &cap), 0);
	for (i = 0; i < n; i++)
		assert_string_equal(parts[i], want[i]);
	free(buf);
}

static void
test_group_key_split(void **state)
{
	const char *w1[] = { "east", "", "bob" };
	const char *w2[] = { "", "", "" };
	const char *w3[] = { "" };
	const char *w4[] = { "a b", "c" };
	const char *w5[] = { "", "x" };
	const char *w6[] = { "x", "" };

	(void)state;
	split_check("east\0\0" "bob", 9, 3, w1);
	split_check("\0\0", 2, 3, w2);
	split_check("", 0, 1, w3);
	split_check("a b\0" "c", 5, 2, w4);
	split_check("\0x", 2, 2, w5);
	split_check("x\0", 2, 2, w6);
	/* keylen bounds the key */
	split_check("a b\0" "cdef", 5, 2, w4);
}

/* sp_group_key then sp_group_key_split gives back the values (absent -> ""). */
static void
test_key_round_trip(void **state)
{
	const char *v[5] = { "Acme Corp", NULL, "", "EMEA", "Q4 deal, big" };
	const char *want[5] = { "Acme Corp", "", "", "EMEA", "Q4 deal, big" };
	uint32_t len[5];
	int slots[5] = { 0, 1, 2, 3, 4 };
	const char *parts[5];
	sp_rec r;
	char *kbuf = NULL, *sbuf = NULL, *copy;
	size_t kcap = 0, scap = 0, n, i;

	(void)state;
	rec_of(&r, v, len, 5);
	n = sp_group_key(&r, slots, 5, &kbuf, &kcap);
	assert_true(n != (size_t)-1);
	/* the parts live in sbuf, not in the key: overwrite the key after */
	copy = malloc(n + 1);
	assert_non_null(copy);
	memcpy(copy, kbuf, n);
	assert_int_equal(sp_group_key_split(copy, n, 5, parts, &sbuf, &scap), 0);
	memset(copy, '#', n);
	for (i = 0; i < 5; i++)
		assert_string_equal(parts[i], want[i]);
	free(copy);
	free(kbuf);
	free(sbuf);
}

/* Keys made by sp_group_key are what sp_groups_get and sp_groups_sorted see. */
static void
test_keys_in_groups(void **state)
{
	const char *rows[][2] = {
		{ "west", "carol" }, { "east", "bob" }, { "east", NULL },
		{ "west", "carol" }, { "east", "bob" }, { "east", "alice" },
	};
	const char *v[2];
	uint32_t len[2];
	int slots[] = { 0, 1 };
	sp_rec r;
	sp_groups *g = sp_groups_new(sizeof(struct st), NULL);
	char *buf = NULL, *sbuf = NULL;
	size_t cap = 0, scap = 0, n, i;
	const char **keys;
	size_t *lens;
	void **states;
	const char *parts[2];

	(void)state;
	assert_non_null(g);
	for (i = 0; i < 6; i++) {
		v[0] = rows[i][0];
		v[1] = rows[i][1];
		rec_of(&r, v, len, 2);
		n = sp_group_key(&r, slots, 2, &buf, &cap);
		get(g, buf, n)->count++;
	}
	n = sp_groups_sorted(g, &keys, &lens, &states);
	/* east\0 < east\0alice < east\0bob < west\0carol */
	assert_int_equal(n, 4);
	assert_int_equal(sp_group_key_split(keys[0], lens[0], 2, parts, &sbuf,
	    &scap), 0);
	assert_string_equal(parts[0], "east");
	assert_string_equal(parts[1], "");
	assert_int_equal(((struct st *)states[0])->count, 1);
	assert_int_equal(sp_group_key_split(keys[1], lens[1], 2, parts, &sbuf,
	    &scap), 0);
	assert_string_equal(parts[1], "alice");
	assert_int_equal(((struct st *)states[1])->count, 1);
	assert_int_equal(sp_group_key_split(keys[2], lens[2], 2, parts, &sbuf,
	    &scap), 0);
	assert_string_equal(parts[1], "bob");
	assert_int_equal(((struct st *)states[2])->count, 2);
	assert_int_equal(sp_group_key_split(keys[3], lens[3], 2, parts, &sbuf,
	    &scap), 0);
	assert_string_equal(parts[0], "west");
	assert_string_equal(parts[1], "carol");
	assert_int_equal(((struct st *)states[3])->count, 2);
	free(keys);
	free(lens);
	free(states);
	free(buf);
	free(sbuf);
	sp_groups_free(g, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_find_count),
		cmocka_unit_test(test_null_init_zero_filled),
		cmocka_unit_test(test_binary_keys),
		cmocka_unit_test(test_sorted_bytewise),
		cmocka_unit_test(test_sorted_empty),
		cmocka_unit_test(test_million_keys),
		cmocka_unit_test(test_sorted_in_order),
		cmocka_unit_test(test_group_key),
		cmocka_unit_test(test_group_key_grows),
		cmocka_unit_test(test_group_key_split),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_keys_in_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
