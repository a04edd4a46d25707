/*
 * err: filling and formatting the caller-owned error record.  Library
 * code sets the reason and the field; readers add the place.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "salespipe/err.h"
#include "salespipe/rec.h"

void
err_clear(sp_error *e)
{
	if (e == NULL)
		return;
	e->file[0] = '\0';
	e->line = 0;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

int
err_set(sp_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(e->msg)], f[sizeof(e->field)];

	if (e == NULL)
		return -1;
	/* via copies, so that err_set(e, f, "%s", e->msg) is allowed */
	snprintf(f, sizeof(f), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(e->field, f, sizeof(f));
	memcpy(e->msg, msg, sizeof(msg));
	return -1;
}

void
err_where(sp_error *e, const char *file, long line)
{
	if (e == NULL)
		return;
	if (file != NULL)
		snprintf(e->file, sizeof(e->file), "%s", file);
	e->line = line;
}

/*
 * Length of the character at s (n > 0 bytes left) when it may be shown as
 * it is: printable ASCII, or valid UTF-8 that is neither a control (C1)
 * nor invisible (zero-width, bidi controls, byte order mark, soft hyphen):
 * two names that print alike must be the same bytes.  0: escape it.
 */
size_t
err_printable_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t k, i;

	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	if (p[0] < 0x80 || (k = utf8_len(p, n)) == 0)
		return 0;
	c = p[0] & (0x7f >> k);
	for (i = 1; i < k; i++)
		c = c << 6 | (p[i] & 0x3f);
	if (c < 0xa0 || c == 0xad || c == 0x61c || c == 0x180e ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	    (c >= 0xfff9 && c <= 0xfffb))
		return 0;
	return k;
}

char *
err_quote(char *buf, size_t size, const char *s, size_t n)
{
	size_t i = 0, o = 0, k, j;
	size_t max = n > 60 ? 60 : n;

	if (size == 0)
		return buf;
	while (i < max) {
		if ((k = err_printable_len(s + i, n - i)) > 0) {
			if (i + k > max || o + k + 4 >= size)
				break;	/* never half a character */
			for (j = 0; j < k; j++)
				buf[o++] = s[i++];
		} else {
			if (o + 8 >= size)
				break;
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			    (unsigned char)s[i++]);
		}
	}
	if (i < n && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Append s to buf at *o, every byte err_printable_len refuses as \xNN:
 * a message never moves the cursor or clears a terminal, whatever an
 * input was named, and never shows two different names alike. */
static void
put_escaped(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n && *o + 1 < size) {
		if ((k = err_printable_len(s + i, n - i)) > 0) {
			if (*o + k + 1 > size)
				break;
			memcpy(buf + *o, s + i, k);
			*o += k;
			i += k;
		} else if (*o + 4 < size)
			*o += (size_t)snprintf(buf + *o, size - *o, "\\x%02x",
			    (unsigned char)s[i++]);
		else
			break;
	}
	buf[*o] = '\0';
}

char *
err_format(const sp_error *e, const char *prog, char *buf, size_t size)
{
	size_t o = 0;
	char line[32];

	if (size < 8)
		return size ? (buf[0] = '\0', buf) : buf;
	buf[0] = '\0';
	if (prog != NULL && prog[0] != '\0') {
		put_escaped(buf, size, &o, prog);
		put_escaped(buf, size, &o, ": ");
	}
	if (e->file[0] != '\0') {
		put_escaped(buf, size, &o, e->file);
		if (e->line > 0) {
			snprintf(line, sizeof(line), ":%ld", e->line);
			put_escaped(buf, size, &o, line);
		}
		put_escaped(buf, size, &o, ": ");
	}
	if (e->field[0] != '\0') {
		put_escaped(buf, size, &o, "field '");
		put_escaped(buf, size, &o, e->field);
		put_escaped(buf, size, &o, "': ");
	}
	put_escaped(buf, size, &o, e->msg);
	return buf;
}
