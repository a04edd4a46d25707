/*
 * util: small text helpers shared by programs and the library: the one
 * display escape (error messages and table/Markdown cells show data the
 * same way) and an edit distance for "did you mean" suggestions.
 */
#ifndef SALESPIPE_UTIL_H
#define SALESPIPE_UTIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The display form of the character at s (n > 0 bytes left).  Returns the
 * number of bytes it takes (at least 1) and fills esc (SP_ESCAPE_MAX
 * bytes) with the text to show instead, or makes esc "" when the
 * character is shown as it is.  Escaped:
 *	C0 controls (0x00-0x1f, tab and newline included) and DEL: \xNN
 *	a byte that does not start valid UTF-8:                     \xNN
 *	C1 controls U+0080-U+009F, the soft hyphen U+00AD, U+180E,
 *	zero-width and bidi marks U+200B-U+200F, U+061C, the line and
 *	paragraph separators U+2028, U+2029, bidi controls
 *	U+202A-U+202E, U+2060-U+206F, the byte order mark U+FEFF and
 *	U+FFF9-U+FFFB (so two names that print alike are the same
 *	bytes):                                                      \uNNNN
 * (hex digits in lower case).  A backslash is shown as it is.
 */
#define SP_ESCAPE_MAX 8
size_t sp_escape_char(const char *s, size_t n, char esc[SP_ESCAPE_MAX]);

/*
 * s (a NUL-terminated string) with every character sp_escape_char
 * escapes replaced by its escape; a new string the caller frees, or NULL
 * when out of memory.
 */
char *sp_escape(const char *s);

/* Move *s past leading and *n before trailing blanks (isspace in the C
 * sense: spaces, tabs, CR, LF, VT, FF) of the *n bytes at *s. */
void sp_trim_blanks(const char **s, size_t *n);

/*
 * The edit distance between a and b: the fewest insertions, deletions,
 * substitutions of one byte, or swaps of two adjacent bytes that turn one
 * into the other (optimal string alignment), case-sensitive.  (size_t)-1
 * when out of memory.
 */
size_t sp_edit_distance(const char *a, const char *b);

/* The same with ASCII letters compared case-insensitively. */
size_t sp_edit_distance_nocase(const char *a, const char *b);

/*
 * A temporary file in $TMPDIR (else /tmp), named salespipe-WHAT.XXXXXX
 * and unlinked at once, so that nothing is left behind even after kill
 * -9: its descriptor, or -1 with errno set.
 */
int sp_tmp_open(const char *what);

#ifdef __cplusplus
}
#endif

#endif
