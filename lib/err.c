/*
 * err: filling and formatting the caller-owned error record.  Library
 * code sets the reason and the field; readers add the place.
 */
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "salespipe/err.h"
#include "salespipe/util.h"

void
sp_err_clear(sp_error *e)
{
	if (e == NULL)
		return;
	e->file[0] = '\0';
	e->line = 0;
	e->field[0] = '\0';
	e->msg[0] = '\0';
	e->code = SP_ERR_NONE;
}

int
sp_err_set(sp_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(e->msg)], f[sizeof(e->field)];

	if (e == NULL)
		return -1;
	/* via copies, so that sp_err_set(e, f, "%s", e->msg) is allowed */
	snprintf(f, sizeof(f), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(e->field, f, sizeof(f));
	memcpy(e->msg, msg, sizeof(msg));
	e->code = SP_ERR_NONE;
	return -1;
}

void
sp_err_where(sp_error *e, const char *file, long line)
{
	if (e == NULL)
		return;
	/* as snprintf "%s" would, without its cost: a fold sets the place
	   of every deal */
	if (file != NULL) {
		size_t n = strnlen(file, sizeof(e->file) - 1);
		memcpy(e->file, file, n);
		e->file[n] = '\0';
	}
	e->line = line;
}

char *
sp_err_quote(char *buf, size_t size, const char *s, size_t n)
{
	size_t i, o = 0, k;
	size_t max = n > 60 ? 60 : n;
	char esc[SP_ESCAPE_MAX];

	if (size == 0)
		return buf;
	for (i = 0; i < max; i += k) {
		k = sp_escape_char(s + i, n - i, esc);
		if (i + k > max)
			break;	/* never half a character */
		if (esc[0] == '\0' && o + k + 4 < size) {
			memcpy(buf + o, s + i, k);
			o += k;
		} else if (esc[0] != '\0' && o + strlen(esc) + 4 < size) {
			memcpy(buf + o, esc, strlen(esc));
			o += strlen(esc);
		} else
			break;
	}
	if (i < n && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Append s to buf at *o, escaped as sp_escape_char says: a message never
 * moves the cursor or clears a terminal, whatever an input was named. */
static void
put_escaped(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s), i, k, l;
	char esc[SP_ESCAPE_MAX];

	for (i = 0; i < n; i += k) {
		k = sp_escape_char(s + i, n - i, esc);
		l = esc[0] != '\0' ? strlen(esc) : k;
		if (*o + l >= size)
			break;
		memcpy(buf + *o, esc[0] != '\0' ? esc : s + i, l);
		*o += l;
	}
	buf[*o] = '\0';
}

char *
sp_err_format(const sp_error *e, const char *prog, char *buf, size_t size)
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

int
sp_err_sys(sp_error *e, const char *path, const char *what)
{
	int saved = errno;

	sp_err_clear(e);
	sp_err_where(e, path, 0);
	return sp_err_set(e, NULL, "%s: %s", what, strerror(saved));
}
