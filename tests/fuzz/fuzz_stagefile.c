/*
 * fuzz_stagefile: stages_parse on a stage file (CSV with a header naming
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
static void
check_stages(sp_stages *st, const char *probe, size_t probelen)
{
	char *known, *name;
	size_t i, j, len = 1, n;
	int first_open = -1, first_won = -1, k;

	FUZZ_CHECK(st->n > 0);
	for (i = 0; i < st->n; i++)
		len += strlen(st->v[i].name) + 2;
	known = calloc(1, len);
	FUZZ_CHECK(known != NULL);
	for (i = 0; i < st->n; i++) {
		const sp_stage *s = &st->v[i];

		n = strlen(s->name);
		FUZZ_CHECK(n > 0 && !isspace((unsigned char)s->name[0]) &&
		    !isspace((unsigned char)s->name[n - 1]));
		FUZZ_CHECK(s->kind >= SP_OPEN && s->kind <= SP_LOST);
		FUZZ_CHECK(s->prob_bp >= 0 && s->prob_bp <= 10000);
		FUZZ_CHECK(s->category >= SP_FC_PIPELINE &&
		    s->category <= SP_FC_OMITTED);
		FUZZ_CHECK(stage_kind_parse(stage_kind_name(s->kind)) ==
		    s->kind);
		FUZZ_CHECK(stage_category_parse(stage_category_name(
		    s->category)) == s->category);
		if (s->kind == SP_OPEN && first_open < 0)
			first_open = (int)i;
		if (s->kind == SP_WON && first_won < 0)
			first_won = (int)i;
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcasecmp(s->name, st->v[j].name) != 0);

		/* found by name, in upper case, and with blanks around */
		FUZZ_CHECK(stages_find(st, s->name, n) == (int)i);
		name = malloc(n + 3);
		FUZZ_CHECK(name != NULL);
		name[0] = ' ';
		for (j = 0; j < n; j++)
			name[j + 1] = (char)toupper((unsigned char)s->name[j]);
		name[n + 1] = '\t';
		name[n + 2] = '\0';
		FUZZ_CHECK(stages_find(st, name, n + 2) == (int)i);
		FUZZ_CHECK(stages_find(st, name + 1, n) == (int)i);
		free(name);

		if (i > 0)
			strcat(known, ", ");
		strcat(known, s->name);
	}
	FUZZ_CHECK(strcmp(stages_known(st), known) == 0);
	FUZZ_CHECK(first_open >= 0 && stages_first_open(st) == first_open);
	FUZZ_CHECK(stages_first_won(st) == first_won);
	free(known);

	/* any other text: found only when it is a stage's name */
	k = stages_find(st, probe, probelen);
	if (k >= 0) {
		FUZZ_CHECK((size_t)k < st->n);
		while (probelen > 0 && isspace((unsigned char)*probe)) {
			probe++;
			probelen--;
		}
		while (probelen > 0 && isspace((unsigned char)probe[probelen -
		    1]))
			probelen--;
		FUZZ_CHECK(strlen(st->v[k].name) == probelen &&
		    strncasecmp(st->v[k].name, probe, probelen) == 0);
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
	err_clear(&e);
	if ((st = stages_parse(path, &e)) != NULL) {
		/* the first line of the file as a probe */
		const char *nl = memchr(data, '\n', size);
		char *probe = fuzz_cstr(data, nl ? (size_t)(nl -
		    (const char *)data) : size);
		check_stages(st, probe, strlen(probe));
		/* one stage a line at most, after the header */
		FUZZ_CHECK(st->n < stage_lines(data, size));
		free(probe);
		stages_free(st);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	return 0;
}
