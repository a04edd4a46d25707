/*
 * util: the display escape shared by error messages and table/Markdown
 * output (so that data can never move a terminal's cursor, change its
 * title or reorder the text around it), and the edit distance behind
 * "did you mean" suggestions.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/rec.h"
#include "salespipe/util.h"

void
sp_trim_blanks(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Code points shown escaped although they are valid UTF-8: controls and
 * the invisible ones (zero-width, bidi controls, byte order mark, soft
 * hyphen), so that two names that print alike are the same bytes. */
static int
invisible(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x061c ||
	    cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	    cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

size_t
sp_escape_char(const char *s, size_t n, char esc[SP_ESCAPE_MAX])
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t k, i;

	esc[0] = '\0';
	if (p[0] < 0x20 || p[0] == 0x7f) {
		snprintf(esc, SP_ESCAPE_MAX, "\\x%02x", p[0]);
		return 1;
	}
	if (p[0] < 0x80)
		return 1;
	if ((k = sp_utf8_len(p, n)) == 0) {
		snprintf(esc, SP_ESCAPE_MAX, "\\x%02x", p[0]);
		return 1;
	}
	cp = p[0] & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
	for (i = 1; i < k; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	if (invisible(cp))
		snprintf(esc, SP_ESCAPE_MAX, "\\u%04lx", cp);
	return k;
}

char *
sp_escape(const char *s)
{
	size_t n = strlen(s), i, o = 0, k;
	char esc[SP_ESCAPE_MAX], *out;

	/* an escape is at most 6 bytes for at least 1 */
	if ((out = malloc(n * 6 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i += k) {
		k = sp_escape_char(s + i, n - i, esc);
		if (esc[0] != '\0') {
			size_t l = strlen(esc);
			memcpy(out + o, esc, l);
			o += l;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
	}
	out[o] = '\0';
	return out;
}

static int
same(char x, char y, int fold)
{
	return fold ? tolower((unsigned char)x) == tolower((unsigned char)y) :
	    x == y;
}

/* The optimal string alignment distance, bytes compared as they are or,
 * with fold, ASCII letters case-insensitively. */
static size_t
osa(const char *a, const char *b, int fold)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *base, *prev2, *prev, *cur, *t;

	if ((base = calloc(3 * (lb + 1), sizeof(size_t))) == NULL)
		return (size_t)-1;
	prev2 = base;
	prev = prev2 + lb + 1;
	cur = prev + lb + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			d = prev[j - 1] + !same(a[i - 1], b[j - 1], fold);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2], fold) &&
			    same(a[i - 2], b[j - 1], fold) && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
	free(base);
	return d;
}

size_t
sp_edit_distance(const char *a, const char *b)
{
	return osa(a, b, 0);
}

size_t
sp_edit_distance_nocase(const char *a, const char *b)
{
	return osa(a, b, 1);
}

int
sp_tmp_open(const char *what)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/salespipe-%s.XXXXXX",
	    dir, what) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	unlink(path);
	return fd;
}
