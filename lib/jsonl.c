/*
 * jsonl: JSON lines records (jansson) from the physical lines input.c
 * reads.  Numbers keep their exact text; keys are interned as slots, with
 * --map re-resolved whenever a new key shows up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reader_impl.h"

int
sp_json_number_valid(const char *s, size_t n)
{
	const char *end = s + n;

	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0')
		s++;
	else if (s < end && *s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (s < end && *s == '.') {
		if (++s == end || *s < '0' || *s > '9')
			return 0;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s == end || *s < '0' || *s > '9')
			return 0;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	return s == end;
}

/* Append bytes + NUL to r->buf; returns the offset or (size_t)-1. */
static size_t
rec_append(sp_rec *r, const char *s, size_t n)
{
	size_t off = r->bufsize;

	if (sp_rd_grow(&r->buf, &r->bufcap, off + n + 1, 1) < 0)
		return (size_t)-1;
	if (n > 0)
		memcpy(r->buf + off, s, n);
	r->buf[off + n] = '\0';
	r->bufsize = off + n + 1;
	return off;
}

void
sp_rd_json_forget_keys(sp_reader *rd)
{
	size_t i;

	for (i = 0; i < rd->nprev; i++)
		free(rd->prev[i]);
	rd->nprev = 0;
}

void
sp_rd_json_close(sp_reader *rd)
{
	size_t i;

	sp_groups_free(rd->json_slot, NULL);
	rd->json_slot = NULL;
	for (i = 0; i < rd->njson_keys; i++)
		free(rd->json_keys[i]);
	rd->njson_keys = 0;
	sp_rd_json_forget_keys(rd);
}

/*
 * Copy the first `want` number tokens of a JSON text (outside strings)
 * into rd->numtext, NUL-separated, so that numbers keep their exact text.
 */
static int
json_numbers(sp_reader *rd, const char *s, size_t n, size_t want)
{
	size_t i = 0, o = 0, found = 0;

	while (i < n && found < want) {
		char c = s[i];
		if (c == '"') {
			/* skip the string: find a quote not escaped */
			size_t j = i + 1;
			for (;;) {
				const char *q = memchr(s + j, '"', n - j);
				size_t k, b;
				if (q == NULL) {
					i = n;
					break;
				}
				k = (size_t)(q - s);
				for (b = k; b > j && s[b - 1] == '\\'; b--)
					;
				if ((k - b) % 2 == 0) {
					i = k + 1;
					break;
				}
				j = k + 1;
			}
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t j = i;
			while (j < n && (s[j] == '-' || s[j] == '+' ||
			    s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
			    (s[j] >= '0' && s[j] <= '9')))
				j++;
			if (sp_rd_grow(&rd->numtext, &rd->numcap, o + j - i + 2, 1) < 0)
				return -1;
			memcpy(rd->numtext + o, s + i, j - i);
			o += j - i;
			rd->numtext[o++] = '\0';
			i = j;
			found++;
		} else
			i++;
	}
	if (sp_rd_grow(&rd->numtext, &rd->numcap, o + 1, 1) < 0)
		return -1;
	rd->numtext[o] = '\0';
	return 0;
}

/* jansson's complaint as ours: a duplicate key is named as the field. */
static int
json_error(const json_error_t *je, sp_error *e)
{
	const char *k = strstr(je->text, "near '\"");
	size_t n;
	char key[128];

	if (strstr(je->text, "duplicate object key") != NULL && k != NULL) {
		k += 7;
		n = strcspn(k, "\"");
		snprintf(key, sizeof(key), "%.*s", (int)(n < 100 ? n : 100), k);
		return sp_err_set(e, key, "appears twice in one object");
	}
	return sp_err_set(e, NULL, "invalid JSON at column %d: %s%s", je->column,
	    je->text, strstr(je->text, "unable to decode byte") != NULL ?
	    " (not UTF-8: if the file is in another encoding, say which with "
	    "--encoding)" : "");
}

/*
 * jansson refuses numbers beyond a double or an int64 (1e309,
 * 12345678901234567890), though their text is all we keep: parse a copy
 * with every number written as 0; json_numbers then takes the real text
 * from the original line.
 */
static json_t *
json_load_bignum(const char *s, size_t n, json_error_t *je)
{
	char *t = malloc(n + 1);
	size_t i = 0, o = 0;
	json_t *root;

	if (t == NULL)
		return NULL;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			/* copy the string through its closing quote */
			t[o++] = s[i++];
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					t[o++] = s[i++];
				t[o++] = s[i++];
			}
			if (i < n)
				t[o++] = s[i++];
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t j = i;
			while (i < n && (s[i] == '-' || s[i] == '+' ||
			    s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
			    (s[i] >= '0' && s[i] <= '9')))
				i++;
			if (sp_json_number_valid(s + j, i - j))
				t[o++] = '0';
			else	/* malformed: leave it for jansson to refuse */
				for (; j < i; j++)
					t[o++] = s[j];
		} else
			t[o++] = s[i++];
	}
	root = json_loadb(t, o, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, je);
	free(t);
	return root;
}

/* Index of canonical name c in sp_map_canonical, or -1. */
static int
canonical_index(const char *c)
{
	int i;

	for (i = 0; sp_map_canonical[i] != NULL && i < 64; i++)
		if (strcmp(c, sp_map_canonical[i]) == 0)
			return i;
	return -1;
}

/*
 * The name a new key k of object root is known by when --map does not
 * mention it: the canonical name it equals but for case, unless this
 * input (or this object) has the key spelled exactly (k is the last of
 * rd->json_keys).  When k is that exact key, an earlier key folded to it
 * goes back to its own name from now on.  -1: out of memory.
 */
static int
json_fold_key(sp_reader *rd, const char *k, json_t *root, const char **name)
{
	const char *c = sp_map_canonical_fold(k);
	size_t i, j, last = rd->njson_keys - 1;
	int *q, s, ci;

	*name = k;
	if (c != NULL) {
		/* this input's keys are in json_slot: is c one of them? */
		if (sp_groups_find(rd->json_slot, c, strlen(c)) != NULL ||
		    json_object_get(root, c) != NULL)
			return 0;
		*name = c;
		if ((ci = canonical_index(c)) >= 0)
			rd->folded |= (uint64_t)1 << ci;
		return 0;
	}
	/* k is exact: only when a key was folded to it is there work */
	if ((ci = canonical_index(k)) < 0 ||
	    !(rd->folded & ((uint64_t)1 << ci)))
		return 0;
	rd->folded &= ~((uint64_t)1 << ci);
	for (i = 0; i < last; i++) {
		if ((c = sp_map_canonical_fold(rd->json_keys[i])) == NULL ||
		    strcmp(c, k) != 0 || (q = sp_groups_find(rd->json_slot,
		    rd->json_keys[i], strlen(rd->json_keys[i]))) == NULL)
			continue;
		if ((s = sp_reader_slot(rd, rd->json_keys[i])) < 0 ||
		    sp_rd_grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0)
			return -1;
		if (*q == s + 1)
			continue;
		*q = s + 1;
		rd->refold = 1;
		for (j = 0; j < rd->nfields && rd->fields[j] != s; j++)
			;
		if (j == rd->nfields)
			rd->fields[rd->nfields++] = s;
		sp_rd_json_forget_keys(rd);
	}
	return 0;
}

/*
 * 1 when a key new to a part of a split reader can make the part read
 * otherwise than one reader would: the keys before it (in the earlier
 * parts) decide what --map and case folding make of it.  A key --map
 * mentions, a key that is a canonical name but for case, and a canonical
 * key some other key was folded to before the split.
 */
static int
json_key_inexact(const sp_reader *rd, const char *k)
{
	int ci;

	if (sp_map_mentions(rd->opts.map, k) ||
	    sp_map_canonical_fold(k) != NULL)
		return 1;
	ci = canonical_index(k);
	return ci >= 0 && (rd->split_folded & ((uint64_t)1 << ci)) != 0;
}

/* Slot of input key k, re-resolving --map when a new key shows up. */
static int
json_key_slot(sp_reader *rd, const char *k, json_t *root, sp_error *e)
{
	int *sp = sp_groups_get(rd->json_slot, k, strlen(k));
	const char **out;
	size_t i;

	if (sp == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	if (*sp != 0)
		return *sp > 0 ? *sp - 1 : -1;	/* -1: shadowed by --map */
	if (sp_rd_grow(&rd->json_keys, &rd->json_keycap, rd->njson_keys + 1,
	    sizeof(*rd->json_keys)) < 0 ||
	    (rd->json_keys[rd->njson_keys] = strdup(k)) == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	rd->njson_keys++;
	if (rd->split && json_key_inexact(rd, k))
		rd->inexact = 1;
	if (!sp_map_mentions(rd->opts.map, k)) {
		/* a key --map does not know: itself, or the canonical name it
		   is but for case; nothing else moves */
		const char *name;
		int canon, s = json_fold_key(rd, k, root, &name) < 0 ? -1 :
		    sp_reader_slot(rd, name);
		if (s < 0 || sp_rd_grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0)
			return sp_err_set(e, NULL, "out of memory"), -2;
		/* a canonical slot may be there already (a key folded to
		   it); any other is new */
		canon = name != k || canonical_index(k) >= 0;
		for (i = 0; canon && i < rd->nfields && rd->fields[i] != s;
		    i++)
			;
		if (!canon || i == rd->nfields)
			rd->fields[rd->nfields++] = s;
		*sp = s + 1;
		return s;
	}
	if ((out = calloc(rd->njson_keys, sizeof(*out))) == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	if (sp_map_resolve(rd->opts.map, (const char *const *)rd->json_keys,
	    rd->njson_keys, out, e) < 0) {
		free(out);
		return -2;
	}
	sp_map_fold_case((const char *const *)rd->json_keys, rd->njson_keys, out);
	rd->nfields = 0;
	for (i = 0; i < rd->njson_keys; i++) {
		int *q = sp_groups_get(rd->json_slot, rd->json_keys[i],
		    strlen(rd->json_keys[i]));
		int s = out[i] ? sp_reader_slot(rd, out[i]) : -1;
		if (q == NULL || (out[i] && s < 0) ||
		    sp_rd_grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0) {
			free(out);
			return sp_err_set(e, NULL, "out of memory"), -2;
		}
		*q = s >= 0 ? s + 1 : -1;
		if (s >= 0)
			rd->fields[rd->nfields++] = s;
	}
	free(out);
	sp = sp_groups_find(rd->json_slot, k, strlen(k));
	return *sp > 0 ? *sp - 1 : -1;
}

/*
 * The fast path.  Most JSON lines inputs are one flat object per line with
 * the same keys in the same order: such a line is scanned here, by hand,
 * into the record jansson's path would make of it (below, the reference),
 * at several times its speed.  It takes a line only when its keys are the
 * previous object's (rd->prev, vetted and resolved to slots by jansson's
 * path: no duplicates, --map and case folding done) spelled without
 * escapes, and every value is a string, a number, true, false or null that
 * jansson would accept.  Anything else -- a new key, nesting, a byte that
 * is not UTF-8, \u0000, a malformed number, trailing text -- is declined
 * and goes to jansson unchanged, so that every error stays jansson's.
 */

/* strlen(k), or (size_t)-1 when a raw key cannot spell k (escapes). */
static size_t
json_key_plain(const char *k)
{
	const unsigned char *p = (const unsigned char *)k;
	size_t i;

	for (i = 0; p[i] != '\0'; i++)
		if (p[i] == '"' || p[i] == '\\' || p[i] < 0x20)
			return (size_t)-1;
	return i;
}

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/* Nonzero when one of the 8 bytes in w ends a plain run of a string: a
 * quote, a backslash, a control byte or a non-ASCII byte. */
static inline uint64_t
json_stop8(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) |
	    ((w - ONES * 0x20) & ~w) | w) & HIGH;
}

static int
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of 4 hex digits at s, or -1. */
static long
json_hex4(const char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string's text (see reader_impl.h); d never needs more room than the
 * raw bytes: no escape is shorter than what it decodes to. */
int
sp_rd_json_string(const char *s, size_t n, size_t *p, char *d, size_t *o)
{
	size_t i = *p, j = *o, k;
	unsigned char c;
	uint64_t w;
	long u, lo;

	for (;;) {
		while (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (json_stop8(w) != 0)
				break;
			memcpy(d + j, &w, 8);
			i += 8;
			j += 8;
		}
		if (i >= n)
			return -1;
		c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c >= 0x80) {
			if ((k = sp_utf8_len((const unsigned char *)s + i,
			    n - i)) == 0)
				return -1;
			memcpy(d + j, s + i, k);
			i += k;
			j += k;
			continue;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			d[j++] = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i++]) {
		case '"':	d[j++] = '"'; continue;
		case '\\':	d[j++] = '\\'; continue;
		case '/':	d[j++] = '/'; continue;
		case 'b':	d[j++] = '\b'; continue;
		case 'f':	d[j++] = '\f'; continue;
		case 'n':	d[j++] = '\n'; continue;
		case 'r':	d[j++] = '\r'; continue;
		case 't':	d[j++] = '\t'; continue;
		case 'u':	break;
		default:	return -1;
		}
		if (n - i < 4 || (u = json_hex4(s + i)) <= 0 ||
		    (u >= 0xdc00 && u <= 0xdfff))
			return -1;	/* \u0000, bad hex, a lone low half */
		i += 4;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = json_hex4(s + i + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			i += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (u < 0x80)
			d[j++] = (char)u;
		else if (u < 0x800) {
			d[j++] = (char)(0xc0 | u >> 6);
			d[j++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			d[j++] = (char)(0xe0 | u >> 12);
			d[j++] = (char)(0x80 | (u >> 6 & 0x3f));
			d[j++] = (char)(0x80 | (u & 0x3f));
		} else {
			d[j++] = (char)(0xf0 | u >> 18);
			d[j++] = (char)(0x80 | (u >> 12 & 0x3f));
			d[j++] = (char)(0x80 | (u >> 6 & 0x3f));
			d[j++] = (char)(0x80 | (u & 0x3f));
		}
	}
	*p = i + 1;
	*o = j;
	return 0;
}

/*
 * Read the line s (n bytes, s[i] its first byte that is not a space, tab
 * or CR) into r as jansson's path would: 1, or 0 to decline, r untouched
 * (but when memory runs out: then r is emptied, and jansson's path
 * reports it).  The key cache is only read.
 */
static int
json_fast(sp_reader *rd, sp_rec *r, const char *s, size_t n, size_t i)
{
	size_t nk = rd->nprev, k, o = 0, at, kl, vo;
	size_t *offs;
	char *d;
	int slot;
	unsigned char kind;

	if (nk == 0 || s[i] != '{')
		return 0;
	if (sp_rd_grow(&rd->jfbuf, &rd->jfcap, n + nk + 16, 1) < 0)
		return 0;
	if (nk > rd->jfkcap) {
		size_t c = rd->jfkcap;
		if (sp_rd_grow(&rd->jfoff, &c, nk, sizeof(*rd->jfoff)) < 0 ||
		    (rd->jflen = realloc(rd->jflen, c *
		    sizeof(*rd->jflen))) == NULL ||
		    (rd->jfkind = realloc(rd->jfkind, c)) == NULL)
			return 0;
		rd->jfkcap = c;
	}
	d = rd->jfbuf;
	i++;
	for (k = 0; k < nk; k++) {
		/* "key" : the previous object's k-th key, spelled plainly */
		while (i < n && json_ws(s[i]))
			i++;
		kl = rd->prevlen[k];
		if (kl == (size_t)-1 || i >= n || s[i] != '"' ||
		    n - i - 1 <= kl || memcmp(s + i + 1, rd->prev[k], kl) != 0 ||
		    s[i + 1 + kl] != '"')
			return 0;
		for (i += kl + 2; i < n && json_ws(s[i]); i++)
			;
		if (i >= n || s[i] != ':')
			return 0;
		for (i++; i < n && json_ws(s[i]); i++)
			;
		if (i >= n)
			return 0;
		/* the value: kept (text at d + vo) when it has a slot */
		slot = rd->prevslot[k];
		kind = 1;
		at = i;
		vo = o;
		switch (s[i]) {
		case '"':
			i++;
			if (sp_rd_json_string(s, n, &i, d, &o) < 0)
				return 0;
			break;
		case 't':
		case 'f':
		case 'n':
			if (n - i >= 4 && memcmp(s + i, "true", 4) == 0)
				i += 4;
			else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
				i += 5;
			else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0) {
				i += 4;
				kind = 0;	/* null: absent */
			} else
				return 0;
			memcpy(d + o, s + at, i - at);
			o += i - at;
			break;
		default:
			while (i < n && ((s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '-' || s[i] == '+' || s[i] == '.' ||
			    s[i] == 'e' || s[i] == 'E'))
				i++;
			if (!sp_json_number_valid(s + at, i - at))
				return 0;
			memcpy(d + o, s + at, i - at);
			o += i - at;
			kind = 2;
			break;
		}
		if (slot < 0)
			kind = 0;
		rd->jfkind[k] = kind;
		if (kind == 0)
			o = vo;		/* checked, not kept */
		else {
			rd->jfoff[k] = vo;
			rd->jflen[k] = (uint32_t)(o - vo);
			d[o++] = '\0';
		}
		/* , or } */
		while (i < n && json_ws(s[i]))
			i++;
		if (i >= n || s[i] != (k + 1 < nk ? ',' : '}'))
			return 0;
		i++;
	}
	while (i < n && json_ws(s[i]))
		i++;
	if (i < n)
		return 0;

	/* the record, laid out as jansson's path lays it out */
	if (sp_rd_rec_reset(r, rd->nnames) < 0 || sp_rd_grow(&rd->offs,
	    &rd->offcap, rd->nnames + 1, sizeof(*rd->offs)) < 0 ||
	    sp_rd_grow(&r->buf, &r->bufcap, o + 1, 1) < 0)
		return 0;
	if (o > 0)
		memcpy(r->buf, d, o);
	r->bufsize = o;
	offs = rd->offs;
	if (rd->nnames > 0)
		memset(offs, 0, rd->nnames * sizeof(*offs));
	for (k = 0; k < nk; k++) {
		if (rd->jfkind[k] == 0)
			continue;
		slot = rd->prevslot[k];
		offs[slot] = rd->jfoff[k] + 1;
		r->len[slot] = rd->jflen[k];
		r->num[slot] = rd->jfkind[k] == 2;
	}
	for (k = 0; k < rd->nnames; k++)
		if (offs[k] != 0)
			r->val[k] = r->buf + offs[k] - 1;
	return 1;
}

unsigned long
sp_rd_json_fast(sp_reader *rd, int on)
{
	rd->json_nofast = !on;
	return rd->json_fast;
}

void
sp_rd_json_free(sp_reader *rd)
{
	free(rd->prevlen);
	free(rd->jfbuf);
	free(rd->jfoff);
	free(rd->jflen);
	free(rd->jfkind);
}

/*
 * Keep this object's nk keys and their slots: the next object most often
 * has the same keys in the same order, and a strcmp is cheaper than a
 * lookup.
 */
static int
json_remember_keys(sp_reader *rd, json_t *root, size_t nk)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	sp_rd_json_forget_keys(rd);
	if (sp_rd_grow(&rd->prev, &rd->prevcap, nk + 1, sizeof(*rd->prev)) < 0)
		return -1;
	if ((rd->prevslot = realloc(rd->prevslot, (rd->prevcap + 1) *
	    sizeof(*rd->prevslot))) == NULL ||
	    (rd->prevlen = realloc(rd->prevlen, (rd->prevcap + 1) *
	    sizeof(*rd->prevlen))) == NULL)
		return -1;
	json_object_foreach(root, key, v) {
		if ((rd->prev[i] = strdup(key)) == NULL)
			return -1;
		rd->prevslot[i] = rd->kslot[i];
		rd->prevlen[i] = json_key_plain(key);
		rd->nprev = ++i;
	}
	return 0;
}

int
sp_rd_json_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	const char *s, *key, *num;
	size_t n, i, off;
	json_t *root, *v;
	json_error_t je;
	int k, slot, rc = 1, hasnum = 0, same = 1;
	size_t *offs = NULL, nk;

	for (;;) {
		k = sp_rd_next_line(rd, &s, &n, e);
		if (k <= 0)
			return k < 0 ? -2 : 0;
		for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\r'); i++)
			;
		if (i < n)
			break;
	}
	/* s stays valid until the next line is read: no copy needed */
	r->file = rd->file;
	r->line = rd->lineno;
	r->raw = s;
	r->rawlen = n;
	if (memchr(s, '\0', n) != NULL)
		return sp_err_set(e, NULL, "contains a NUL byte");
	if (!rd->json_nofast && json_fast(rd, r, s, n, i)) {
		rd->json_fast++;
		return 1;
	}
	root = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, &je);
	if (root == NULL && (strstr(je.text, "overflow") != NULL ||
	    strstr(je.text, "too big") != NULL))
		root = json_load_bignum(s, n, &je);
	if (root == NULL && s[i] == '[')
		return sp_err_set(e, NULL, "invalid JSON at column %d: %s (a JSON "
		    "array of records? jq -c '.[]' turns it into JSON lines)",
		    je.column, je.text);
	if (root == NULL)
		return json_error(&je, e);
	if (!json_is_object(root)) {
		int t = json_typeof(root);
		json_decref(root);
		return sp_err_set(e, NULL, "a JSON lines record must be an object, "
		    "not %s", t == JSON_ARRAY ? "an array (a JSON array of "
		    "records? jq -c '.[]' turns it into JSON lines)" :
		    t == JSON_STRING ? "a string" : t == JSON_INTEGER ||
		    t == JSON_REAL ? "a number" : t == JSON_NULL ? "null" :
		    "true or false");
	}
	/* slots first (a new key may add a slot), then the values */
again:
	nk = 0;
	hasnum = 0;
	json_object_foreach(root, key, v) {
		if (sp_rd_grow(&rd->kslot, &rd->kslotcap, nk + 1,
		    sizeof(*rd->kslot)) < 0)
			goto nomem;
		if (nk < rd->nprev && strcmp(key, rd->prev[nk]) == 0)
			slot = rd->prevslot[nk];
		else if ((same = 0, slot = json_key_slot(rd, key, root, e)) == -2) {
			json_decref(root);
			return -2;
		}
		rd->kslot[nk++] = slot;
		if (json_is_number(v))
			hasnum++;
	}
	if (rd->refold) {
		/* a key of this object changed slots: take them again */
		rd->refold = 0;
		same = 0;
		sp_rd_json_forget_keys(rd);
		goto again;
	}
	if (hasnum > 0 && json_numbers(rd, s, n, (size_t)hasnum) < 0)
		goto nomem;
	if (sp_rd_rec_reset(r, rd->nnames) < 0 || sp_rd_grow(&rd->offs, &rd->offcap,
	    rd->nnames + 1, sizeof(*rd->offs)) < 0)
		goto nomem;
	offs = rd->offs;
	if (rd->nnames > 0)
		memset(offs, 0, rd->nnames * sizeof(*offs));
	num = rd->numtext;
	i = 0;
	json_object_foreach(root, key, v) {
		const char *t = NULL;
		size_t tl = 0;
		int isnum = 0;

		slot = rd->kslot[i++];
		switch (json_typeof(v)) {
		case JSON_STRING:
			t = json_string_value(v);
			tl = json_string_length(v);
			if (memchr(t, '\0', tl) == NULL)
				break;
			if (sp_rd_checked(rd, slot)) {
				rc = sp_err_set(e, slot >= 0 ? rd->names[slot] : key,
				    "contains a NUL byte");
				goto out;
			}
			if (slot < 0)
				continue;
			/* \u0000 in a field the program does not read */
			if (sp_rd_grow(&rd->fix, &rd->fixcap, 3 * tl + 1, 1) < 0)
				goto nomem;
			tl = sp_rd_text_fix(rd->fix, t, tl, 1);
			t = rd->fix;
			sp_rd_note_fix(rd, slot, rd->lineno);
			break;
		case JSON_INTEGER:
		case JSON_REAL:
			t = num;
			tl = strlen(num);
			num += tl + 1;
			isnum = 1;
			break;
		case JSON_TRUE:
			t = "true";
			tl = 4;
			break;
		case JSON_FALSE:
			t = "false";
			tl = 5;
			break;
		case JSON_NULL:
			continue;
		default:
			rc = sp_err_set(e, slot >= 0 ? rd->names[slot] : key,
			    "nested objects and arrays are not supported");
			goto out;
		}
		if (slot < 0)
			continue;
		if ((off = rec_append(r, t, tl)) == (size_t)-1)
			goto nomem;
		offs[slot] = off + 1;
		r->len[slot] = (uint32_t)tl;
		r->num[slot] = (unsigned char)isnum;
	}
	if ((!same || nk != rd->nprev) && json_remember_keys(rd, root, nk) < 0)
		goto nomem;
	for (i = 0; i < rd->nnames; i++)
		if (offs[i] != 0)
			r->val[i] = r->buf + offs[i] - 1;
out:
	json_decref(root);
	return rc;
nomem:
	json_decref(root);
	return sp_err_set(e, NULL, "out of memory"), -2;
}
