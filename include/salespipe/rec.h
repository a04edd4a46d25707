/*
 * rec: the one format-neutral record, and the readers that fill it from
 * CSV (libcsv) or JSON lines (jansson).  Programs ask for a field by slot
 * number and never see quotes, CRLF or json_t.  A slot is a field name
 * interned per reader: the same name has the same slot in every file read.
 */
#ifndef SALESPIPE_REC_H
#define SALESPIPE_REC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "salespipe/err.h"
#include "salespipe/map.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input and output formats. */
enum {
	SP_FMT_AUTO = 0, SP_FMT_CSV, SP_FMT_JSONL, SP_FMT_TABLE, SP_FMT_MD
};
/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), 0 if it
 * is not one (overlong forms and surrogates included). */
size_t sp_utf8_len(const unsigned char *s, size_t n);

/* 1 when the n bytes at s are a number in JSON's syntax. */
int sp_json_number_valid(const char *s, size_t n);

/* "csv", "jsonl" (also "json"), "table", "md" -> format, or -1. */
int sp_format_parse(const char *s);

/*
 * A record: values by slot.  Owned by whoever called sp_rec_new() (the loop
 * that reads); readers fill it, writers only borrow it.  Values stay valid
 * until the next sp_reader_next() into the same record.
 */
typedef struct sp_rec {
	size_t nslot;		/* slots this record has room for */
	const char **val;	/* val[slot]: NUL-terminated, NULL if absent */
	uint32_t *len;		/* byte length of val[slot] */
	unsigned char *num;	/* 1 when the value was a JSON number */
	const char *file;	/* input name ("-" is shown as "<stdin>") */
	long line;		/* first line of the record, 1-based */
	const char *raw;	/* the record's input text, without newline */
	size_t rawlen;
	/* private: storage */
	char *buf;
	size_t bufsize, bufcap, valcap;
} sp_rec;

/*
 * Compressed input: the compression buf (n bytes, the start of a file)
 * is in, by its magic number: SP_Z_GZIP, SP_Z_ZSTD, or 0 for none.  The
 * reader decompresses such an input as it reads it (one thread: a
 * compressed file cannot be cut into byte ranges).
 */
enum { SP_Z_GZIP = 1, SP_Z_ZSTD };
int sp_compression(const void *buf, size_t n);
const char *sp_compression_name(int kind);	/* "gzip", "zstd" */

/* A new empty record, or NULL when out of memory. */
sp_rec *sp_rec_new(void);
void sp_rec_free(sp_rec *r);

/* The value in slot, or NULL when absent (slot < 0 included). */
static inline const char *
sp_rec_get(const sp_rec *r, int slot)
{
	if (slot < 0 || (size_t)slot >= r->nslot)
		return NULL;
	return r->val[slot];
}

/* Length of the value in slot (0 when absent). */
static inline size_t
sp_rec_len(const sp_rec *r, int slot)
{
	if (slot < 0 || (size_t)slot >= r->nslot || r->val[slot] == NULL)
		return 0;
	return r->len[slot];
}

/* 1 when slot holds a non-empty value. */
static inline int
sp_rec_has(const sp_rec *r, int slot)
{
	return sp_rec_len(r, slot) > 0;
}

typedef struct sp_reader sp_reader;

/*
 * Input encodings (--encoding).  Every encoding is read into UTF-8 before
 * anything else looks at it, so fields, names and messages are UTF-8
 * whatever the input was.  SP_ENC_AUTO is UTF-8, or UTF-16 when the input
 * starts with a UTF-16 byte order mark; SP_ENC_UTF16 follows the byte order
 * mark and is little-endian without one.  A UTF-8 byte order mark is
 * skipped under SP_ENC_AUTO and SP_ENC_UTF8.
 */
enum {
	SP_ENC_AUTO = 0, SP_ENC_UTF8, SP_ENC_LATIN1, SP_ENC_CP1252,
	SP_ENC_UTF16, SP_ENC_UTF16LE, SP_ENC_UTF16BE
};

/* "utf-8", "latin1", "cp1252", "utf-16", "utf-16le", "utf-16be" (and
 * their usual aliases, any case) -> SP_ENC_*, or -1. */
int sp_encoding_parse(const char *s);

/* "," ";" "|" "tab" (or a tab) -> the CSV separator byte, or -1. */
int sp_delimiter_parse(const char *s);

/*
 * A byte count: digits with an optional K, M or G (binary: 1K = 1024),
 * at least 1.  Returns 0 and sets *n, or -1.
 */
int sp_size_parse(const char *s, size_t *n);

/* The default cap of one record, and of an option file, in bytes. */
#define SP_MAX_RECORD ((size_t)64 << 20)
#define SP_MAX_OPTFILE ((size_t)16 << 20)

typedef struct sp_read_opts {
	int format;		/* SP_FMT_AUTO, SP_FMT_CSV or SP_FMT_JSONL */
	const sp_map *map;	/* may be NULL */
	size_t bufsize;		/* read size; 0: 1 MiB (tests use tiny ones) */
	int encoding;		/* SP_ENC_* */
	int delim;		/* CSV separator; 0: ',' (tab for a name ending
				   in .tsv) */
	size_t max_record;	/* bytes of one record (of one line for JSON
				   lines); 0: SP_MAX_RECORD */
	size_t max_bytes;	/* bytes of one input file (before decoding);
				   0: no limit.  Option files read as records
				   (quotas, rates) set SP_MAX_OPTFILE */
	/* May be NULL.  The bytes read from the inputs (a compressed
	   input's compressed bytes, before decoding) are added to
	   *progress, atomically (__atomic_fetch_add), once per block read,
	   by every part of a split reader: a progress display reads it
	   (__atomic_load_n) from another thread.  Never reset here. */
	unsigned long long *progress;
} sp_read_opts;

/*
 * Open a reader over paths[0..n-1] read one after another ("-" is stdin;
 * n == 0 means stdin).  Files are opened lazily, so an unreadable file is
 * reported by sp_reader_next when its turn comes.  Returns NULL (e set) only
 * when out of memory or on a bad option.  Free with sp_reader_close().
 */
sp_reader *sp_reader_open(char *const *paths, size_t n, const sp_read_opts *o,
    sp_error *e);

/*
 * A reader over the n bytes at buf (borrowed: they must outlive the
 * reader), named `name` in messages; for tests and fuzzing.  NULL (e set)
 * when out of memory.
 */
sp_reader *sp_reader_open_mem(const void *buf, size_t n, const char *name,
    const sp_read_opts *o, sp_error *e);

/*
 * The slot of field `name` (a canonical name after --map), creating it if
 * no input has shown it yet.  -1 only when out of memory.
 */
int sp_reader_slot(sp_reader *rd, const char *name);

/* Number of slots and the name of one. */
size_t sp_reader_nslots(const sp_reader *rd);
const char *sp_reader_slot_name(const sp_reader *rd, int slot);

/*
 * Slots of the current input's fields in input order (CSV: header order;
 * JSON lines: order of first appearance).  Valid until the next call of
 * sp_reader_next; after the end of all input, the last input's fields.
 * Sets *n.
 */
const int *sp_reader_fields(const sp_reader *rd, size_t *n);

/*
 * Read the next record into r.  Returns
 *	 1  a record (r->file, r->line, r->raw set)
 *	 0  end of all input
 *	-1  a bad record (e names file, line, reason; r->raw holds its text):
 *	    the reader is positioned after it and may be called again
 *	-2  a fatal error (unreadable input, bad header, read error): the
 *	    current file is abandoned; calling again goes on with the next file
 *	SP_READ_INEXACT (-3), only on a part of a split reader: see
 *	    sp_reader_split
 */
int sp_reader_next(sp_reader *rd, sp_rec *r, sp_error *e);

/*
 * sp_reader_next's result on a part of a split reader (sp_reader_split)
 * that cannot read exactly as one reader would: a JSON key whose meaning
 * depends on the keys of the parts before it (a key --map mentions, a key
 * that is a canonical name but for case such as `Amount`, or a canonical
 * key another key was folded to), or a CSV range that ends inside a
 * record (the file changed after the split).  Throw away what every part
 * read and read the file again on one reader.  e says so; once returned,
 * it is returned by every later call on that part.  A reader never split
 * never returns it.
 */
#define SP_READ_INEXACT (-3)

/*
 * Split the rest of rd's input into up to n consecutive byte ranges that
 * start at record boundaries, to be read concurrently (--threads).
 * Returns the number of parts made, with parts[0] = rd itself, now
 * limited to the first range, and parts[1..k-1] new readers (close each
 * with sp_reader_close) over the next ranges, in order; -1 (e set) only
 * when out of memory or the file cannot be read or opened again (rd is
 * then unchanged).  Each part holds its own read buffer (opts.bufsize).
 * The split reads the file once up to the last cut (with pread; rd's
 * position is not moved): 0.03 s of CPU for 2 parts of a 200 MB CSV.
 *
 * 1 means "no split: keep reading rd alone" (parts[0] = rd, rd unchanged),
 * and is returned whenever splitting is not possible: n < 2; rd reads more
 * than one operand, stdin, or anything but a regular file (or the buffer
 * of sp_reader_open_mem); a decoded input (--encoding other than UTF-8, a
 * UTF-16 byte order mark); CR-only line ends; opts.max_bytes set; rd
 * split already, or not in the middle of its input; no record read yet
 * (call it after the first sp_reader_next that returned 1 or -1, so that
 * the CSV header is interned); a CSV row queued or half-parsed; or a rest
 * too small to cut (every range must hold at least one line, and the
 * first at least the bytes rd has buffered already: up to
 * opts.bufsize, 1 MiB by default).
 *
 * Records: reading parts[0], parts[1], ... each to its end gives exactly
 * the records, bad records and errors one reader would give, in the same
 * order: same values, r->file, r->line, r->raw, and same sp_error (file,
 * line, field, message).  A range starts at a line start where one reader
 * starts a record: never inside a CSV quoted field (quoted newlines,
 * doubled quotes, CRLF and bad rows are followed as the reader follows
 * them); for JSON lines after any newline.  Line numbers need no fixing:
 * every part numbers its lines as the one reader does (the lines before
 * its range are counted by the split); sp_reader_lines gives a part's own
 * count.  Differences the caller merges:
 *	- a -2 (fatal) result in part i ends the input for one reader: the
 *	  records of parts after i must be dropped;
 *	- sp_reader_replaced counts per part: add them, the first place
 *	  being that of the first part (in order) with a non-zero count
 *	  (sp_reader_add_replaced, part by part in order);
 *	- SP_READ_INEXACT from any part (see above): read the file again on
 *	  one reader.
 * Slots: every slot rd had at the split has the same number in every
 * part, so a program's fields (sp_reader_slot before the split) and the
 * CSV header's columns are numbered alike everywhere; sp_reader_use and
 * sp_reader_require carry over.  A JSON key first met after the split
 * gets a slot of its own part (compare its name, sp_reader_slot_name),
 * and sp_reader_fields lists each part's own order of first appearance.
 * Parts share nothing mutable: each may be read on its own thread (rd's
 * --map must not change meanwhile).  An n above 1024 is taken as 1024.
 */
int sp_reader_split(sp_reader *rd, int n, sp_reader **parts, sp_error *e);

/*
 * Physical lines rd consumed so far from the start of its input (of its
 * range, for a part of sp_reader_split), blank lines and a CSV header
 * included.  After the end of a part it is the number of lines of the
 * range, and the counts of the parts add up to the lines of the file.
 */
long sp_reader_lines(const sp_reader *rd);

/* The format of the first input read (SP_FMT_CSV or SP_FMT_JSONL), or
 * SP_FMT_AUTO before any byte was read. */
int sp_reader_format(const sp_reader *rd);
/* 1 when that format is the input's own (given, named, or seen in its
 * first non-blank byte); 0 when the first input was blank (CSV then is a
 * default, not what the input says) or nothing was read yet. */
int sp_reader_format_known(const sp_reader *rd);

void sp_reader_close(sp_reader *rd);

/*
 * The fields a program reads.  A slot declared with sp_reader_use is checked
 * in every record: a NUL byte, or bytes that are not UTF-8 (possible only
 * under SP_ENC_AUTO and SP_ENC_UTF8), make the record bad, naming the
 * field.  The other fields never make a record bad: their NUL bytes and
 * invalid UTF-8 bytes are read as U+FFFD each (counted, see
 * sp_reader_replaced), so that a free-text column a program does not read
 * cannot stop it, and pass-through output never carries bytes that are not
 * UTF-8 text.  A reader on which sp_reader_use was never called checks every
 * field.  Returns 0, or -1 when out of memory.
 */
int sp_reader_use(sp_reader *rd, int slot);

/*
 * A field the program cannot do without: a CSV header that has no column
 * for it (after --map) is a fatal error (sp_reader_next returns -2) that lists
 * the header's columns and suggests --map, even when no record follows.
 * JSON lines have no header: there each record answers for itself.  Also
 * declares the slot used.  Returns 0, or -1 when out of memory.
 */
int sp_reader_require(sp_reader *rd, int slot);

/*
 * How many values of fields not declared used had bytes replaced by
 * U+FFFD so far; when any, *file, *line and *field (may be NULL) name the
 * first (valid until sp_reader_close).
 */
unsigned long sp_reader_replaced(const sp_reader *rd, const char **file,
    long *line, const char **field);

/*
 * Add the values with bytes replaced in part (a reader of sp_reader_split,
 * read after rd's own records) to rd's count; part's first place becomes
 * rd's when rd had none.  -1: out of memory.
 */
int sp_reader_add_replaced(sp_reader *rd, const sp_reader *part);

/*
 * Open an option file (a stage list, a --map file) for reading as text:
 * its whole content, at most SP_MAX_OPTFILE bytes, with a UTF-8 byte order
 * mark skipped.  Option files are UTF-8 whatever --encoding says.  Returns
 * a stream to fclose, or NULL with e set (its file the path): cannot open,
 * read error, or too large (`what` names the file in that message, such as
 * "stage file").
 */
FILE *sp_optfile_open(const char *path, const char *what, sp_error *e);

/*
 * The records of an option file of records (quotas, teams, holidays,
 * territory rules, away dates): path read with ro and a cap of
 * SP_MAX_OPTFILE bytes; slots[i] is set to the slot of names[i] (n of
 * them, the first nrequired of which a CSV header must have, see
 * sp_reader_require) before the first record, and fn(ctx, rd, r, slots,
 * e) is called on each record, e's place already the record's file and
 * line.  The
 * first error, a record that does not read or fn returning -1, ends the
 * reading: -1 with e.  Else 0.
 */
typedef int (*sp_optfile_fn)(void *ctx, sp_reader *rd, const sp_rec *r,
    const int *slots, sp_error *e);
int sp_optfile_each(const char *path, const sp_read_opts *ro,
    const char *const *names, size_t n, size_t nrequired, int *slots,
    sp_optfile_fn fn, void *ctx, sp_error *e);

/*
 * Writers.  Columns are declared first, then rows of values (borrowed).
 * csv: RFC 4180, quoting only where needed, LF line ends; jsonl: one
 * object a line, SP_COL_NUM and SP_COL_RATIO values bare (null when
 * empty), strings escaped; table: aligned, numbers right-aligned, ratios as
 * percentages with two decimals; md: a Markdown table, ratios as
 * percentages.  table and md buffer all rows until sp_writer_finish(), and
 * show every value (and column name) escaped by sp_escape (util.h).  A
 * ratio value with more than six decimals (sp_ratio_text) is rounded once,
 * half away from zero, to six in csv and jsonl and to a percentage with
 * two in table and md.
 */
enum { SP_COL_STR = 0, SP_COL_NUM, SP_COL_RATIO };

typedef struct sp_writer sp_writer;

/*
 * A ratio's text ("0.631501") as table and md show it: a percentage with
 * two decimals ("63.15%"), rounded once, half away from zero, in decimal;
 * a sign is kept ("-0.012" is "-1.20%").  Text that is not a plain decimal
 * is returned as it is (v); else buf (size 32 is enough for a ratio).
 */
const char *sp_percent_text(const char *v, char *buf, size_t size);

/* A writer on fp (borrowed) in format fmt (not AUTO).  NULL when out of
 * memory. */
sp_writer *sp_writer_new(FILE *fp, int fmt);
/*
 * Writer flags (before the first row): SP_WRITER_NO_HEADER leaves out the
 * CSV header (rows appended to a file that has one); SP_WRITER_OMIT_EMPTY
 * leaves empty values out of JSON lines objects (a history record carries
 * only the fields it sets); SP_WRITER_SPREADSHEET_SAFE (--spreadsheet-safe)
 * puts a "'" before csv, table and md text that starts with =, +, -, @,
 * tab or CR (a value of a numeric column that is a number excepted).
 */
enum { SP_WRITER_NO_HEADER = 1, SP_WRITER_OMIT_EMPTY = 2,
	SP_WRITER_SPREADSHEET_SAFE = 4 };
void sp_writer_flags(sp_writer *w, int flags);
/* Add a column (before the first row).  Returns 0 or -1 (memory). */
int sp_writer_col(sp_writer *w, const char *name, int type);
/* Write one row: vals[i] for column i, NULL or "" for empty.  Returns 0,
 * or -1 on a write error or invalid UTF-8 bound for JSON (then the value
 * is written with U+FFFD for each bad byte and -1 is still returned only
 * for write errors). */
int sp_writer_row(sp_writer *w, const char *const *vals);
/* The CSV header now, if not written yet (a stream whose first rows come
 * from elsewhere); -1 on a write error. */
int sp_writer_begin(sp_writer *w);
/* Emit buffered output and flush.  Returns 0, or -1 if any write failed
 * (errno then holds the first failed write's reason, when it had one). */
int sp_writer_finish(sp_writer *w);
void sp_writer_free(sp_writer *w);

#ifdef __cplusplus
}
#endif

#endif
