/*
 * progress: --progress and --no-progress.  The bytes read of the inputs'
 * total, the rate and the time left, on the standard error, drawn by a
 * thread of its own a few times a second: the reader only adds each
 * block's bytes to a counter (sp_read_opts.progress), nothing per record,
 * and nothing at all when the display is off.  On a terminal the line is
 * redrawn in place; every other write to the standard error goes through
 * a stream that erases it first, so messages are never garbled.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "salespipe/cli.h"

#define PROGRESS_AFTER 2.0	/* seconds before the first line */
#define PROGRESS_TTY_EVERY 0.25	/* seconds between redraws on a terminal */
#define PROGRESS_LOG_EVERY 10.0	/* between lines elsewhere (--progress) */

static struct {
	pthread_mutex_t mu;	/* everything below but bytes */
	pthread_cond_t cv;	/* wakes the thread to stop */
	pthread_t th;
	int started;		/* the first pass began: on is decided */
	int on;			/* the display is wanted */
	int running;		/* the thread runs */
	int stop;
	int tty;		/* redraw one line (else a line each time) */
	const char *prog;
	unsigned long long bytes;	/* read in this pass (atomic) */
	unsigned long long total;	/* of this pass, when known */
	int known;
	struct timespec t0;	/* this pass began */
	struct timespec first;	/* the first line is due */
	size_t shown;		/* columns of the line on the terminal */
	int now;		/* draw the first line at the first pass */
	int drawn;		/* a line was written (not on a terminal: the
				   last one is written at the end too) */
	int midline;		/* the standard error's last byte written
				   was not a newline: no line now */
} pg = { .mu = PTHREAD_MUTEX_INITIALIZER };

static double
secs_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static struct timespec
secs_after(const struct timespec *t, double s)
{
	struct timespec r = *t;
	double whole = floor(s);

	r.tv_sec += (time_t)whole;
	r.tv_nsec += (long)((s - whole) * 1e9);
	if (r.tv_nsec >= 1000000000L) {
		r.tv_sec++;
		r.tv_nsec -= 1000000000L;
	}
	return r;
}

/* All n bytes at s to the standard error's descriptor. */
static void
write_all(const char *s, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(STDERR_FILENO, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += k;
		n -= (size_t)k;
	}
}

/* "12.3 MB" (decimal units) into buf. */
static const char *
size_text(unsigned long long n, char *buf, size_t size)
{
	if (n < 1000)
		snprintf(buf, size, "%llu B", n);
	else if (n < 999950ULL)
		snprintf(buf, size, "%.1f kB", (double)n / 1e3);
	else if (n < 999950000ULL)
		snprintf(buf, size, "%.1f MB", (double)n / 1e6);
	else
		snprintf(buf, size, "%.1f GB", (double)n / 1e9);
	return buf;
}

/* The line, without an end: "prog: 12.3 MB of 45.6 MB (27%), 8.1 MB/s,
 * ETA 0:04"; the total and the ETA only when the total is known, the
 * rate once a byte was read. */
static size_t
line_text(char *buf, size_t size)
{
	unsigned long long b = __atomic_load_n(&pg.bytes, __ATOMIC_RELAXED);
	double secs = secs_since(&pg.t0), rate = secs > 0 ? b / secs : 0;
	char s[32], t[32];
	int n;

	n = snprintf(buf, size, "%s: %s", pg.prog, size_text(b, s, sizeof(s)));
	if (pg.known)
		n += snprintf(buf + n, size - (size_t)n, " of %s (%llu%%)",
		    size_text(pg.total, t, sizeof(t)), pg.total == 0 ||
		    b >= pg.total ? 100 : b * 100 / pg.total);
	if (b > 0 && rate > 0)
		n += snprintf(buf + n, size - (size_t)n, ", %.1f MB/s",
		    rate / 1e6);
	if (pg.known && b > 0 && rate > 0 && b < pg.total) {
		double left = (double)(pg.total - b) / rate;
		long l = left > 359999 ? 359999 : (long)ceil(left);

		if (l >= 3600)
			n += snprintf(buf + n, size - (size_t)n,
			    ", ETA %ld:%02ld:%02ld", l / 3600, l / 60 % 60, l % 60);
		else
			n += snprintf(buf + n, size - (size_t)n, ", ETA %ld:%02ld",
			    l / 60, l % 60);
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* Erase the line on the terminal (pg.mu held). */
static void
erase_locked(void)
{
	char sp[256];
	size_t n;

	if (pg.shown == 0)
		return;
	memset(sp, ' ', sizeof(sp));
	write_all("\r", 1);
	for (n = pg.shown; n > 0; n -= n < sizeof(sp) ? n : sizeof(sp))
		write_all(sp, n < sizeof(sp) ? n : sizeof(sp));
	write_all("\r", 1);
	pg.shown = 0;
}

/* Draw the line (pg.mu held): on a terminal over the last one (cut to
 * the width: a wrapped line cannot be erased; spaces over the rest of a
 * longer one), else as a line of its own.  None while a message is half
 * written. */
static void
draw_locked(void)
{
	char buf[256 + 2], sp[256];
	struct winsize ws;
	size_t n;

	if (pg.midline)
		return;
	n = line_text(buf + 1, sizeof(buf) - 2);
	pg.drawn = 1;
	if (!pg.tty) {
		buf[1 + n] = '\n';
		write_all(buf + 1, n + 1);
		return;
	}
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    n >= ws.ws_col)
		n = ws.ws_col - 1;
	buf[0] = '\r';
	write_all(buf, n + 1);
	if (pg.shown > n) {
		memset(sp, ' ', sizeof(sp));
		write_all(sp, pg.shown - n < sizeof(sp) ? pg.shown - n :
		    sizeof(sp));
	} else
		pg.shown = n;
}

static void *
progress_run(void *arg)
{
	struct timespec next = pg.first, now;

	(void)arg;
	pthread_mutex_lock(&pg.mu);
	while (!pg.stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec &&
		    now.tv_nsec >= next.tv_nsec)) {
			draw_locked();
			next = secs_after(&now, pg.tty ? PROGRESS_TTY_EVERY :
			    PROGRESS_LOG_EVERY);
			continue;
		}
		pthread_cond_timedwait(&pg.cv, &pg.mu, &next);
	}
	pthread_mutex_unlock(&pg.mu);
	return NULL;
}

/* The standard error, once progress is on: each write erases the line
 * first and notes whether a message is left half written. */
static ssize_t
err_write(void *cookie, const char *s, size_t n)
{
	(void)cookie;
	pthread_mutex_lock(&pg.mu);
	erase_locked();
	write_all(s, n);
	if (n > 0)
		pg.midline = s[n - 1] != '\n';
	pthread_mutex_unlock(&pg.mu);
	return (ssize_t)n;
}

/* $SALESPIPE_PROGRESS_AFTER, else PROGRESS_AFTER. */
static double
after_env(sp_cli *c)
{
	const char *v = getenv("SALESPIPE_PROGRESS_AFTER");
	char *end;
	double s;

	if (v == NULL || *v == '\0')
		return PROGRESS_AFTER;
	errno = 0;
	s = strtod(v, &end);
	if (*end != '\0' || errno != 0 || !(s >= 0) || s > 1e6)
		cli_usage_error(c, "SALESPIPE_PROGRESS_AFTER: '%s' is not a "
		    "number of seconds (such as 2 or 0.5)", v);
	return s;
}

/* The sum of the sizes of c's inputs when all are regular files (the
 * standard input too), else -1. */
static long long
inputs_size(const sp_cli *c)
{
	struct stat st;
	long long sum = 0;
	size_t i;

	for (i = 0; i < c->ninputs || (i == 0 && c->ninputs == 0); i++) {
		const char *p = c->ninputs > 0 ? c->inputs[i] : "-";
		if ((strcmp(p, "-") == 0 ? fstat(STDIN_FILENO, &st) :
		    stat(p, &st)) != 0 || !S_ISREG(st.st_mode))
			return -1;
		sum += (long long)st.st_size;
	}
	return sum;
}

/* The first pass: is progress on, and if so its stream. */
static void
progress_start(sp_cli *c)
{
	static const cookie_io_functions_t io = { NULL, err_write, NULL, NULL };
	double after = after_env(c);
	pthread_condattr_t ca;
	FILE *fp;

	pg.started = 1;
	pg.tty = isatty(STDERR_FILENO);
	pg.on = c->progress == 1 || (c->progress == 0 && pg.tty);
	if (!pg.on)
		return;
	pg.prog = c->prog;
	if ((fp = fopencookie(NULL, "w", io)) == NULL)
		cli_oom(c);
	setvbuf(fp, NULL, _IONBF, 0);
	fflush(stderr);
	stderr = fp;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&pg.cv, &ca) != 0)
		cli_oom(c);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &pg.t0);
	pg.first = secs_after(&pg.t0, after);
	pg.now = after == 0;
	atexit(cli_progress_end);
}

void
cli_progress_pass(sp_cli *c, sp_read_opts *ro, size_t spooln)
{
	long long total;

	if (!pg.started)
		progress_start(c);
	if (!pg.on)
		return;
	total = spooln > 0 ? (long long)spooln : inputs_size(c);
	ro->progress = &pg.bytes;
	pthread_mutex_lock(&pg.mu);
	__atomic_store_n(&pg.bytes, 0, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &pg.t0);
	pg.known = total >= 0;
	pg.total = total >= 0 ? (unsigned long long)total : 0;
	if (pg.now) {
		/* SALESPIPE_PROGRESS_AFTER=0: the first line at once, before
		   a byte is read (the tests see one line whatever the run's
		   speed) */
		pg.now = 0;
		draw_locked();
		pg.first = secs_after(&pg.t0, pg.tty ? PROGRESS_TTY_EVERY :
		    PROGRESS_LOG_EVERY);
	}
	if (!pg.running) {
		pg.stop = 0;
		if (pthread_create(&pg.th, NULL, progress_run, NULL) != 0) {
			pthread_mutex_unlock(&pg.mu);
			cli_oom(c);
		}
		pg.running = 1;
	}
	pthread_mutex_unlock(&pg.mu);
}

void
cli_progress_end(void)
{
	pthread_mutex_lock(&pg.mu);
	if (!pg.running) {
		pthread_mutex_unlock(&pg.mu);
		return;
	}
	pg.running = 0;
	pg.stop = 1;
	pthread_cond_signal(&pg.cv);
	pthread_mutex_unlock(&pg.mu);
	pthread_join(pg.th, NULL);
	pthread_mutex_lock(&pg.mu);
	if (pg.tty)
		erase_locked();
	else if (pg.drawn)
		draw_locked();	/* where the pass ended, for the log */
	pthread_mutex_unlock(&pg.mu);
}
