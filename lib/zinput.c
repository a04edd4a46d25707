/*
 * zinput: compressed input read as it is.  An input whose first bytes are
 * gzip's (1f 8b) or zstd's (28 b5 2f fd) magic number is decompressed on
 * the way into the reader (zlib, libzstd), from a file or from the
 * standard input alike; the name does not matter.  Several gzip members
 * or zstd frames one after the other are one text, as gzip -d and zstd -d
 * read them.  Anything the decompressor refuses -- a corrupt block, a
 * stream that stops before its end, bytes after it that are not another
 * member -- ends the input with an error naming the file: a record is
 * never read from half a stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "reader_impl.h"

#define ZBUFSIZE (1 << 17)	/* compressed bytes read at a time */

struct sp_zin {
	int kind;		/* SP_Z_GZIP or SP_Z_ZSTD */
	z_stream zs;
	ZSTD_DStream *ds;
	unsigned char *in;	/* compressed bytes: [pos, len) not yet used */
	size_t pos, len;
	int ineof;		/* the file has no more */
	int member_end;		/* gzip: at the end of a member; zstd: of a
				   frame (the stream may end here) */
	int done;		/* the text ended where the stream may */
	unsigned long long used;	/* compressed bytes used before in */
};

const char *
sp_compression_name(int kind)
{
	return kind == SP_Z_GZIP ? "gzip" : kind == SP_Z_ZSTD ? "zstd" : "";
}

int
sp_compression(const void *buf, size_t n)
{
	const unsigned char *p = buf;

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return SP_Z_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
	    p[3] == 0xfd)
		return SP_Z_ZSTD;
	return 0;
}

void
sp_rd_z_free(sp_reader *rd)
{
	struct sp_zin *z = rd->z;

	if (z == NULL)
		return;
	if (z->kind == SP_Z_GZIP)
		inflateEnd(&z->zs);
	else
		ZSTD_freeDStream(z->ds);
	free(z->in);
	free(z);
	rd->z = NULL;
}

/*
 * The error of a compressed input: the file's, at a byte of the
 * compressed data (the line depends on how far decompression ran ahead of
 * the lines read, so none is named).
 */
static int
z_fail(sp_reader *rd, sp_error *e, const char *fmt, const char *what)
{
	struct sp_zin *z = rd->z;

	sp_err_where(e, rd->file, 0);
	sp_err_set(e, NULL, fmt, sp_compression_name(z->kind),
	    z->used + z->pos, what);
	return -1;
}

int
sp_rd_z_open(sp_reader *rd, int kind, const char *head, size_t n,
    sp_error *e)
{
	struct sp_zin *z = calloc(1, sizeof(*z));

	if (z == NULL || (z->in = malloc(n > ZBUFSIZE ? n : ZBUFSIZE)) ==
	    NULL) {
		free(z);
		return sp_err_set(e, NULL, "out of memory");
	}
	z->kind = kind;
	if (kind == SP_Z_GZIP) {
		/* 15 + 16: a gzip header and trailer (its CRC checked) */
		if (inflateInit2(&z->zs, 15 + 16) != Z_OK) {
			free(z->in);
			free(z);
			return sp_err_set(e, NULL, "out of memory");
		}
	} else if ((z->ds = ZSTD_createDStream()) == NULL ||
	    ZSTD_isError(ZSTD_initDStream(z->ds))) {
		ZSTD_freeDStream(z->ds);
		free(z->in);
		free(z);
		return sp_err_set(e, NULL, "out of memory");
	}
	memcpy(z->in, head, n);
	z->len = n;
	rd->z = z;
	return 0;
}

/* More compressed bytes into z->in when it is used up.  0 or -1. */
static int
z_more(sp_reader *rd, sp_error *e)
{
	struct sp_zin *z = rd->z;
	size_t k;

	if (z->pos < z->len || z->ineof)
		return 0;
	z->used += z->len;
	z->pos = z->len = 0;
	k = fread(z->in, 1, ZBUFSIZE, rd->fp);
	sp_rd_progress(rd, k);
	if (k == 0) {
		if (ferror(rd->fp)) {
			sp_err_where(e, rd->file, rd->lineno > 0 ?
			    rd->lineno + 1 : 0);
			return sp_err_set(e, NULL, "read error: %s",
			    strerror(errno));
		}
		z->ineof = 1;
	}
	z->len = k;
	return 0;
}

int
sp_rd_z_read(sp_reader *rd, char *dst, size_t room, size_t *got, int *eof,
    sp_error *e)
{
	struct sp_zin *z = rd->z;
	size_t out = 0;
	int r;

	*got = 0;
	while (out == 0 && !z->done) {
		if (z_more(rd, e) < 0)
			return -1;
		if (z->pos == z->len) {	/* no more compressed bytes */
			if (!z->member_end)
				return z_fail(rd, e, "%s input ends at byte "
				    "%llu inside the compressed data%s (a file "
				    "cut short?)", "");
			z->done = 1;
			break;
		}
		if (z->member_end && z->kind == SP_Z_GZIP) {
			/* another member, or bytes that are none */
			if (sp_compression(z->in + z->pos, z->len - z->pos) !=
			    SP_Z_GZIP && (z->len - z->pos >= 2 ||
			    z->in[z->pos] != 0x1f))
				return z_fail(rd, e, "%s input: byte %llu "
				    "follows the end of the compressed data%s "
				    "and starts no other member", "");
			if (inflateReset(&z->zs) != Z_OK)
				return z_fail(rd, e, "%s input at byte %llu: "
				    "%s", "cannot restart");
			z->member_end = 0;
		}
		if (z->kind == SP_Z_GZIP) {
			z->zs.next_in = z->in + z->pos;
			z->zs.avail_in = (uInt)(z->len - z->pos);
			z->zs.next_out = (unsigned char *)dst + out;
			z->zs.avail_out = (uInt)(room - out);
			r = inflate(&z->zs, Z_NO_FLUSH);
			z->pos = z->len - z->zs.avail_in;
			out = room - z->zs.avail_out;
			if (r == Z_STREAM_END)
				z->member_end = 1;
			else if (r != Z_OK && r != Z_BUF_ERROR)
				return z_fail(rd, e, "%s input at byte %llu: "
				    "corrupt data (zlib: %s)", z->zs.msg ?
				    z->zs.msg : zError(r));
		} else {
			ZSTD_inBuffer ib = { z->in, z->len, z->pos };
			ZSTD_outBuffer ob = { dst, room, out };
			size_t k = ZSTD_decompressStream(z->ds, &ob, &ib);

			if (ZSTD_isError(k))
				return z_fail(rd, e, "%s input at byte %llu: "
				    "corrupt data (zstd: %s)",
				    ZSTD_getErrorName(k));
			z->pos = ib.pos;
			out = ob.pos;
			/* 0: a frame ended, and nothing is left of it */
			z->member_end = k == 0;
		}
	}
	*got = out;
	if (out == 0)
		*eof = 1;
	return 0;
}
