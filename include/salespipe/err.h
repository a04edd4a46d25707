/*
 * err: the caller-owned error record every library function fills on
 * failure, and the one formatter that turns it into the house error line
 *	program: file:line: field 'amount': 'abc' is not an amount
 */
#ifndef SALESPIPE_ERR_H
#define SALESPIPE_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses, named once (DESIGN.md section 6). */
enum { SP_EXIT_OK = 0, SP_EXIT_DATA = 1, SP_EXIT_USAGE = 2 };

typedef struct sp_error {
	char file[256];		/* input name, "" when the error has no place */
	long line;		/* 1-based line, 0 when unknown */
	char field[128];	/* canonical field name, "" when none */
	char msg[1024];		/* the reason, without place or field */
	int code;		/* SP_ERR_*: the kind, for a program that acts
				   on it; 0 when none (sp_err_set clears it) */
} sp_error;

/* sp_error.code */
enum {
	SP_ERR_NONE = 0,
	SP_ERR_REPEATED_ID	/* a snapshot lists an id again: field "id",
				   the id in sp_error.msg between the first
				   two quotes, as sp_err_quote shows it */
};

/* Empty every member.  Accepts NULL. */
void sp_err_clear(sp_error *e);

/*
 * Set the field (may be NULL) and the printf-style message; keeps file and
 * line.  The arguments may point into e itself.  Accepts e == NULL (then does nothing).  Always returns -1 so that
 * library code can write `return sp_err_set(e, ...)`.
 */
int sp_err_set(sp_error *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the place (file may be NULL: keep the old one).  Accepts NULL e. */
void sp_err_where(sp_error *e, const char *file, long line);

/*
 * A system call's failure on path: e cleared, then "what: strerror(errno)"
 * at path (line 0), errno as it was.  Returns -1.
 */
int sp_err_sys(sp_error *e, const char *path, const char *what);

/*
 * Write `s` (n bytes) into buf as a short, printable quotation for a
 * message: at most 60 bytes of it, escaped as sp_escape_char (util.h)
 * says, "..." when cut.
 * Always NUL-terminates; returns buf.
 */
char *sp_err_quote(char *buf, size_t size, const char *s, size_t n);

/*
 * Format the whole error line (no trailing newline) into buf:
 *	prog: file:line: field 'f': msg
 * leaving out the parts that are empty.  Returns buf.
 */
char *sp_err_format(const sp_error *e, const char *prog, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
