/*
 * fuzz_timefmt: sp_time_parse with a --date-format (strptime syntax).  The
 * input is "format\nvalue" (or format NUL value); a parsed time prints
 * with sp_time_format and parses back through an ISO --date-format.
 */
#include "fuzz.h"
#include "salespipe/field.h"

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

	sp_err_clear(&e);
	if (sp_time_parse(v, n, fmt, &t, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		return 0;
	}
	/* years 0000-9999 only: back through an ISO --date-format */
	lo = sp_days_from_civil(0, 1, 1) * 86400;
	hi = sp_days_from_civil(10000, 1, 1) * 86400;
	FUZZ_CHECK(t >= lo && t < hi);
	sp_time_format(t, buf);
	FUZZ_CHECK(sp_time_parse(buf, strlen(buf), "%Y-%m-%dT%H:%M:%SZ", &back,
	    &e) == 0 && back == t);
	FUZZ_CHECK(sp_time_parse(buf, strlen(buf), NULL, &back, &e) == 0 &&
	    back == t);
	return 0;
}
