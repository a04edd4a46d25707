/*
 * fuzz_tz: sp_tz_parse on any bytes (a TZif file) and sp_tz_posix on any
 * text (a footer rule).  A zone that loads gives offsets under 26 hours,
 * and every local time maps to an instant within 26 hours of it; where
 * the zone's changes are sane (unique or overlap) the instant reads back
 * as that local time.
 */
#include "fuzz.h"
#include "salespipe/tz.h"

static void
check(const sp_tz *z, const uint8_t *data, size_t size)
{
	static const int64_t fixed[] = { INT64_MIN, -(INT64_C(1) << 45) - 1,
	    -62167219200, -1, 0, 1, 1774747800, 1792888200, 253402300799,
	    INT64_C(1) << 45, INT64_MAX };
	int64_t t, u;
	size_t i;
	int how;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + size / 8; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			t = fixed[i];
		} else {
			uint64_t v = 0;
			size_t j, at = (i - sizeof(fixed) / sizeof(fixed[0])) * 8;
			for (j = 0; j < 8; j++)
				v = v << 8 | data[at + j];
			/* years 0000-9999, where parsed times live */
			t = (int64_t)(v % (INT64_C(253402300800) +
			    INT64_C(62167219200))) - INT64_C(62167219200);
		}
		FUZZ_CHECK(sp_tz_offset(z, t) > -26 * 3600 &&
		    sp_tz_offset(z, t) < 26 * 3600);
		u = sp_tz_from_local(z, t, &how);
		if (t < -(INT64_C(1) << 45) || t > (INT64_C(1) << 45))
			continue;
		FUZZ_CHECK(u > t - 26 * 3600 && u < t + 26 * 3600);
		FUZZ_CHECK(how == SP_TZ_UNIQUE || how == SP_TZ_GAP ||
		    how == SP_TZ_OVERLAP);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_error e;
	sp_tz *z;

	if (size > 65536)
		return 0;
	sp_err_clear(&e);
	if ((z = sp_tz_parse("fuzz", data, size, &e)) != NULL) {
		FUZZ_CHECK(strcmp(sp_tz_name(z), "fuzz") == 0);
		check(z, data, size);
		sp_tz_free(z);
	} else {
		FUZZ_CHECK(e.msg[0] != '\0');
	}
	if (size < 300) {
		char *s = fuzz_cstr(data, size);
		sp_err_clear(&e);
		if ((z = sp_tz_posix(s, &e)) != NULL) {
			check(z, data, size);
			sp_tz_free(z);
		} else {
			FUZZ_CHECK(e.msg[0] != '\0');
		}
		free(s);
	}
	return 0;
}
