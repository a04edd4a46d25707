/*
 * fuzz_timefmt: time_parse with a --date-format (strptime syntax).  The
 * input is "format\nvalue" (or format NUL value); a parsed time prints
 * with time_format and parses back through an ISO --date-format.
 */
#include <ctype.h>
#include <limits.h>
#include <time.h>

#include "fuzz.h"
#include "salespipe/field.h"

/*
 * LLVMFuzzerMutate is defined by libFuzzer only.  A library bug already
 * reported is skipped while fuzzing, so that the run goes on, but is
 * named and still fails when make check replays an input that shows it.
 */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max)
    __attribute__((weak));
#define KNOWN_BUG(cond) known_bug((cond), #cond)

static int
known_bug(int cond, const char *what)
{
	if (!cond)
		return 0;
	if (LLVMFuzzerMutate != NULL)
		return 1;
	fprintf(stderr, "known library bug (see the fuzz report): %s\n", what);
	return 0;
}

/*
 * Would strptime, called as time_parse calls it, give a year past
 * INT_MAX - 1900 (%s of a huge count of seconds)?  time_parse then adds
 * 1900 to tm_year, an int overflow.
 */
static int
year_overflows(const char *s, size_t n, const char *fmt)
{
	char buf[128];
	struct tm tm;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	return strptime(buf, fmt, &tm) != NULL && tm.tm_year > INT_MAX - 1900;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char fmt[65], buf[32];
	const char *s = (const char *)data, *v;
	size_t k, n;
	int64_t t, back, lo, hi;
	sp_error e;

	if (size > 4096)
		return 0;
	for (k = 0; k < size && data[k] != '\n' && data[k] != '\0'; k++)
		;
	if (k == size || k >= sizeof(fmt))
		return 0;
	memcpy(fmt, s, k);
	fmt[k] = '\0';
	v = s + k + 1;
	n = size - k - 1;

	if (KNOWN_BUG(year_overflows(v, n, fmt)))
		return 0;
	err_clear(&e);
	if (time_parse(v, n, fmt, &t, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		return 0;
	}
	/* back through a --date-format, where time_format can print it */
	lo = days_from_civil(0, 1, 1) * 86400;
	hi = days_from_civil(10000, 1, 1) * 86400;
	if (t >= lo && t < hi) {
		time_format(t, buf);
		FUZZ_CHECK(time_parse(buf, strlen(buf), "%Y-%m-%dT%H:%M:%SZ",
		    &back, &e) == 0 && back == t);
		FUZZ_CHECK(time_parse(buf, strlen(buf), NULL, &back, &e) == 0 &&
		    back == t);
	}
	return 0;
}
