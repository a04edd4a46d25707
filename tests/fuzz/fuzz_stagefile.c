/*
 * fuzz_stagefile: sp_stages_parse on a stage file (CSV with a header naming
 * stage,kind,probability,forecast_category).  The input is written to one
 * temporary file, made once; the checks are those of fuzz_stages.
 */
#include <ctype.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "salespipe/stage.h"

static char path[64], proc[64];
static int fd = -1;

static void
cleanup(void)
{
	unlink(path);
}

/* The checks fuzz_stages makes (a copy: one file per target). */
#include "stages_check.h"
	}
}

/* Lines that can hold a stage: not blank, not a # comment. */
static size_t
stage_lines(const uint8_t *d, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - d) : n;

		if (d[i] != '\r' && d[i] != '\n' && d[i] != '\0' &&
		    d[i] != '#')
			k++;
		i = end + 1;
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_stages *st;
	sp_error e;

	if (size > 1 << 16)
		return 0;
	if (fd < 0) {
		/* tmpfs when there is one: a write per input */
		snprintf(path, sizeof(path), "%s/fuzz_stagefile.XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		FUZZ_CHECK((fd = mkstemp(path)) >= 0);
		/* nothing left behind, even by an abort: read it by its fd */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (access(proc, R_OK) == 0) {
			unlink(path);
			memcpy(path, proc, sizeof(proc));
		} else
			atexit(cleanup);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	sp_err_clear(&e);
	if ((st = sp_stages_parse(path, &e)) != NULL) {
		/* the first line of the file as a probe */
		const char *nl = memchr(data, '\n', size);
		char *probe = fuzz_cstr(data, nl ? (size_t)(nl -
		    (const char *)data) : size);
		check_stages(st, probe, strlen(probe));
		/* one stage a line at most, after the header */
		FUZZ_CHECK(st->n < stage_lines(data, size));
		free(probe);
		sp_stages_free(st);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	return 0;
}
