/*
 * journal: lock, read and append history files.  One flock(2) per open
 * file serialises every salespipe writer; the contents are mapped once
 * under the lock; appends are checked write(2) loops followed by fsync,
 * undone with ftruncate when any of it fails, so the file never keeps half
 * of a batch that a program reported as failed.  The rows the write
 * programs append are written here too, so that every one lays them out
 * in a CSV journal's columns the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "salespipe/journal.h"
#include "salespipe/rec.h"

#define CHUNK (64 * 1024)

struct sp_journal {
	char *path;
	int fd;
	int fmt;
	int regular;		/* a regular file (else e.g. /dev/full) */
	int created;		/* made by this open: sync its directory */
	off_t size;		/* at lock time, then after each append */
	char *map;		/* the contents at lock time, or NULL */
	size_t maplen;
};

/* Line number (1-based) of byte offset off in text. */
static long
line_at(const char *text, size_t off)
{
	long line = 1;
	const char *p = text, *end = text + off;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

/* Offset where the torn last line starts, or -1 when the text is whole. */
static int64_t
torn_at(const char *text, size_t n)
{
	const char *nl;

	if (n == 0 || text[n - 1] == '\n')
		return -1;
	nl = memrchr(text, '\n', n);
	return nl == NULL ? 0 : (int64_t)(nl - text + 1);
}

/*
 * Lock j->fd.  A writer that waited may hold the lock of a file that was
 * replaced meanwhile (renamed over, or removed): it would append to a
 * file nobody reads.  So once locked, the path must still name the file
 * locked; if not, open the path again (once more at most a few times).
 * Returns 1 when the path is gone (with create 0), 0 when locked.
 */
static int
lock_same(sp_journal *j, int create, struct stat *st, sp_error *e)
{
	struct stat ps;
	int tries;

	for (tries = 0; ; tries++) {
		while (flock(j->fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return sp_err_sys(e, j->path, "cannot lock");
		if (fstat(j->fd, st) < 0)
			return sp_err_sys(e, j->path, "cannot stat");
		if (stat(j->path, &ps) == 0 && ps.st_dev == st->st_dev &&
		    ps.st_ino == st->st_ino)
			return 0;
		if (tries == 16) {
			errno = EAGAIN;
			return sp_err_sys(e, j->path, "cannot lock: the file "
			    "keeps being replaced");
		}
		close(j->fd);
		j->fd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC |
		    (create ? O_CREAT : 0), 0666);
		if (j->fd < 0)
			return errno == ENOENT && !create ? 1 :
			    sp_err_sys(e, j->path, "cannot open journal");
		if (create)
			j->created = 1;	/* it may be new: sync its directory */
	}
}

static int
lock_and_map(sp_journal *j, int create, sp_error *e)
{
	struct stat st;
	void *m;
	int k;

	if ((k = lock_same(j, create, &st, e)) != 0)
		return k;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return sp_err_sys(e, j->path, "cannot use as a journal");
	}
	j->regular = S_ISREG(st.st_mode);
	j->size = j->regular ? st.st_size : 0;
	if (j->size == 0)
		return 0;
	m = mmap(NULL, (size_t)j->size, PROT_READ, MAP_PRIVATE, j->fd, 0);
	if (m == MAP_FAILED)
		return sp_err_sys(e, j->path, "cannot read");
	j->map = m;
	j->maplen = (size_t)j->size;
	return 0;
}

sp_journal *
sp_journal_open(const char *path, int flags, sp_error *e)
{
	sp_journal *j = calloc(1, sizeof(*j));
	size_t n, i;
	int64_t torn;
	int creating = 0;

	sp_err_clear(e);
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	/*
	 * A write beyond RLIMIT_FSIZE must fail (EFBIG) so that the batch can
	 * be cut back, not kill the process with half of it written.
	 */
	signal(SIGXFSZ, SIG_IGN);
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT && !(flags & SP_JOURNAL_CREATE)) {
		sp_err_sys(e, path, "no such journal");
		sp_journal_close(j);
		return NULL;
	}
	if (j->fd < 0 && errno == ENOENT) {
		creating = 1;
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0666);
		j->created = j->fd >= 0;
		if (j->fd < 0 && errno == EEXIST)	/* lost a race: fine */
			j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	}
	if (j->fd < 0) {
		sp_err_sys(e, path, creating ? "cannot create journal" :
		    "cannot open journal");
		sp_journal_close(j);
		return NULL;
	}
	switch (lock_and_map(j, flags & SP_JOURNAL_CREATE, e)) {
	case 0:
		break;
	case 1:
		errno = ENOENT;
		sp_err_sys(e, path, "no such journal");
		/* FALLTHROUGH */
	default:
		sp_journal_close(j);
		return NULL;
	}
	n = j->maplen;
	if (sp_compression(j->map, n) != 0) {
		/* read programs decompress it; a journal is appended to */
		sp_err_where(e, path, 0);
		sp_err_set(e, NULL, "%s-compressed: a journal is appended to, so "
		    "it stays plain text (decompress it first: %s -d)",
		    sp_compression_name(sp_compression(j->map, n)),
		    sp_compression_name(sp_compression(j->map, n)));
		sp_journal_close(j);
		return NULL;
	}
	if ((torn = torn_at(j->map, n)) >= 0) {
		sp_err_where(e, path, line_at(j->map, (size_t)torn));
		sp_err_set(e, NULL, "torn record at byte %lld (%zu byte%s after "
		    "the last whole record, a write cut short): nothing was "
		    "written; see what it holds and cut it off with "
		    "'pipeline --repair %s'", (long long)torn,
		    n - (size_t)torn, n - (size_t)torn == 1 ? "" : "s", path);
		sp_journal_close(j);
		return NULL;
	}
	for (i = 0; i < n && strchr(" \t\r\n", j->map[i]) != NULL; i++)
		;
	if (i < n)
		j->fmt = j->map[i] == '{' ? SP_FMT_JSONL : SP_FMT_CSV;
	else {
		size_t l = strlen(path);
		j->fmt = l >= 4 && strcmp(path + l - 4, ".csv") == 0 ?
		    SP_FMT_CSV : SP_FMT_JSONL;
	}
	return j;
}

int
sp_journal_format(const sp_journal *j)
{
	return j->fmt;
}

const char *
sp_journal_path(const sp_journal *j)
{
	return j->path;
}

const char *
sp_journal_text(const sp_journal *j, size_t *n)
{
	*n = j->maplen;
	return j->map;
}

int
sp_journal_empty(const sp_journal *j)
{
	size_t i;

	for (i = 0; i < j->maplen; i++)
		if (strchr(" \t\r\n", j->map[i]) == NULL)
			return 0;
	return 1;
}

/* fsync, tolerating devices that cannot be synced (e.g. /dev/full). */
static int
sync_fd(const sp_journal *j, int fd)
{
	if (fsync(fd) == 0)
		return 0;
	if (!j->regular && (errno == EINVAL || errno == EROFS ||
	    errno == ENOTSUP))
		return 0;
	return -1;
}

static void
sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd;

	if (dir == NULL)
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
sp_journal_append(sp_journal *j, const char *buf, size_t n, sp_error *e)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		size_t want = n - done < CHUNK ? n - done : CHUNK;
		if ((k = write(j->fd, buf + done, want)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (k == 0) {
			errno = ENOSPC;
			goto fail;
		}
		done += (size_t)k;
	}
	if (sync_fd(j, j->fd) < 0)
		goto fail;
	if (j->created) {
		sync_dir(j->path);
		j->created = 0;
	}
	j->size += (off_t)n;
	return 0;
fail:
	sp_err_sys(e, j->path, "cannot append to journal");
	if (j->regular) {
		int saved = errno;
		/* take back what was written: the journal as it was */
		if (ftruncate(j->fd, j->size) < 0 || fsync(j->fd) < 0)
			sp_err_set(e, NULL, "%s; and cutting it back to %lld "
			    "bytes failed too: %s", e->msg,
			    (long long)j->size, strerror(errno));
		errno = saved;
	}
	return -1;
}

void
sp_journal_close(sp_journal *j)
{
	if (j == NULL)
		return;
	if (j->map != NULL)
		munmap(j->map, j->maplen);
	if (j->fd >= 0)
		close(j->fd);	/* releases the lock */
	free(j->path);
	free(j);
}

int64_t
sp_journal_repair(const char *path, int64_t *off, long *line, char **dropped,
    sp_error *e)
{
	sp_journal *j = calloc(1, sizeof(*j));
	int64_t torn, n = 0;

	sp_err_clear(e);
	*dropped = NULL;
	*off = 0;
	*line = 0;
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		return sp_err_set(e, NULL, "out of memory");
	}
	if ((j->fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		sp_err_sys(e, path, "cannot open journal");
		sp_journal_close(j);
		return -1;
	}
	if (lock_and_map(j, 0, e) != 0) {
		if (e->msg[0] == '\0') {
			errno = ENOENT;
			sp_err_sys(e, path, "cannot open journal");
		}
		goto fail;
	}
	if ((torn = torn_at(j->map, j->maplen)) < 0) {
		*off = (int64_t)j->maplen;
		sp_journal_close(j);
		return 0;
	}
	n = (int64_t)j->maplen - torn;
	*off = torn;
	*line = line_at(j->map, (size_t)torn);
	if ((*dropped = malloc((size_t)n + 1)) == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto fail;
	}
	memcpy(*dropped, j->map + torn, (size_t)n);
	(*dropped)[n] = '\0';
	if (ftruncate(j->fd, torn) < 0 || fsync(j->fd) < 0) {
		sp_err_sys(e, path, "cannot cut the torn record off");
		goto fail;
	}
	sp_journal_close(j);
	return n;
fail:
	free(*dropped);
	*dropped = NULL;
	sp_journal_close(j);
	return -1;
}

int
sp_journal_fd(const sp_journal *j)
{
	return j->regular ? j->fd : -1;
}

int64_t
sp_journal_size(const sp_journal *j)
{
	return j->regular ? (int64_t)j->size : 0;
}

/* The index in rows->cols of column name, or -1. */
static long
rows_col(const sp_rows *rows, const char *name)
{
	size_t c;

	for (c = 0; c < rows->ncol; c++)
		if (rows->cols[c] != NULL && strcmp(rows->cols[c], name) == 0)
			return (long)c;
	return -1;
}

int
sp_rows_write(FILE *fp, int fmt, const sp_rows *rows, char *const *header,
    int with_header)
{
	sp_writer *w;
	const char **vals;
	long *map;	/* the column of rows each written column takes */
	size_t ncol = 0, r, c, max = rows->ncol;
	int rc = -1;

	if (rows->nrow == 0)
		return 0;
	for (c = 0; header != NULL && header[c] != NULL; c++)
		max++;
	w = sp_writer_new(fp, fmt);
	vals = calloc(max + 1, sizeof(*vals));
	map = calloc(max + 1, sizeof(*map));
	if (w == NULL || vals == NULL || map == NULL)
		goto done;
	sp_writer_flags(w, (with_header ? 0 : SP_WRITER_NO_HEADER) |
	    SP_WRITER_OMIT_EMPTY);
	if (header != NULL)
		for (; header[ncol] != NULL; ncol++) {
			map[ncol] = rows_col(rows, header[ncol]);
			if (sp_writer_col(w, header[ncol], SP_COL_STR) < 0)
				goto done;
		}
	else
		for (c = 0; c < rows->ncol; c++) {
			if (rows->cols[c] == NULL)
				continue;
			map[ncol++] = (long)c;
			if (sp_writer_col(w, rows->cols[c], SP_COL_STR) < 0)
				goto done;
		}
	rc = 0;
	for (r = 0; r < rows->nrow && rc == 0; r++) {
		for (c = 0; c < ncol; c++)
			vals[c] = map[c] < 0 ? NULL :
			    rows->vals[r * rows->ncol + (size_t)map[c]];
		rc = sp_writer_row(w, vals);
	}
	if (sp_writer_finish(w) < 0)
		rc = -1;
done:
	sp_writer_free(w);
	free(vals);
	free(map);
	return rc;
}

const char *
sp_rows_missing(const sp_rows *rows, char *const *header)
{
	size_t r, c, h;

	for (c = 0; c < rows->ncol; c++) {
		if (rows->cols[c] == NULL)
			continue;
		for (h = 0; header[h] != NULL && strcmp(header[h],
		    rows->cols[c]) != 0; h++)
			;
		if (header[h] != NULL)
			continue;
		for (r = 0; r < rows->nrow; r++) {
			const char *v = rows->vals[r * rows->ncol + c];
			if (v != NULL && v[0] != '\0')
				return rows->cols[c];
		}
	}
	return NULL;
}

int
sp_journal_append_rows(sp_journal *j, const sp_rows *rows,
    char *const *header, sp_error *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	sp_err_clear(e);
	if (rows->nrow == 0)
		return 0;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	rc = sp_rows_write(fp, j->fmt, rows, header, j->fmt == SP_FMT_CSV &&
	    sp_journal_empty(j));
	if (fclose(fp) != 0 || rc < 0) {
		free(buf);
		return sp_err_set(e, NULL, "out of memory");
	}
	rc = sp_journal_append(j, buf, len, e);
	free(buf);
	return rc;
}
