/*
 * replay: runs a fuzz target's entry point over files and directories of
 * inputs, so that make check replays every corpus and every past crash
 * with the ordinary compiler (and under the sanitizers) without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long ninputs;

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, k;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *b = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (b == NULL) {
				fclose(fp);
				free(buf);
				return -1;
			}
			buf = b;
		}
		if ((k = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += k;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	ninputs++;
	return 0;
}

static int
run_path(const char *path)
{
	struct stat sb;
	struct dirent **names;
	char sub[4096];
	int i, n, rc = 0;

	if (stat(path, &sb) < 0)
		return 0;	/* an absent directory is an empty corpus */
	if (!S_ISDIR(sb.st_mode))
		return run_file(path);
	/* sorted, so that a failing replay is repeatable */
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			if (run_path(sub) < 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		if (run_path(argv[i]) < 0)
			rc = 1;
	printf("%s: %ld inputs replayed\n", argv[0], ninputs);
	return rc;
}
