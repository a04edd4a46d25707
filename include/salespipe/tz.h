/*
 * tz: IANA time zones, read from the compiled TZif files of tzdata
 * (RFC 8536: the 64-bit section of version 2+ files and the POSIX TZ
 * footer for times past the last transition), so that a naive local time
 * of an export becomes a UTC instant by the zone's real daylight-saving
 * rules.  Nothing here reads TZ, calls tzset(3), localtime(3) or mktime(3):
 * a zone is a value the caller owns, the same whatever the environment.
 *
 * Times are seconds since 1970-01-01T00:00:00Z; a "local" time is the
 * same count of a wall clock read as if it were UTC (sp_days_from_civil *
 * 86400 + seconds of the day).
 */
#ifndef SALESPIPE_TZ_H
#define SALESPIPE_TZ_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where sp_tz_load looks for NAME (Debian package tzdata). */
#define SP_TZ_DIR "/usr/share/zoneinfo"

typedef struct sp_tz sp_tz;

/*
 * The zone NAME ("Europe/Paris"): "UTC" is built in, every other name is
 * the file SP_TZ_DIR/NAME.  A name must be 1-255 bytes of letters,
 * digits and "/_-+.", not begin with '/' and not contain ".." (it names
 * a file below SP_TZ_DIR, nothing else); "localtime" is refused (it is
 * the machine's setting, not a zone).  Returns a zone the caller frees
 * with sp_tz_free, or NULL with e->msg ("'Mars/Base' is not a time zone
 * (no file /usr/share/zoneinfo/Mars/Base)", or what is wrong with the
 * file); e->field is left alone.
 */
sp_tz *sp_tz_load(const char *name, sp_error *e);

/*
 * A zone from the bytes of a TZif file (buf, len; name is copied for
 * sp_tz_name).  Versions 1 to 4; files with leap-second records (the
 * "right/" zones) are refused.  NULL with e->msg on a malformed file.
 */
sp_tz *sp_tz_parse(const char *name, const unsigned char *buf, size_t len,
    sp_error *e);

/*
 * A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3"), the
 * way a TZif footer is read: RFC 8536 section 3.3 (hours of a rule time
 * -167..167, <+03>-style names).  NULL with e->msg when it is not one.
 */
sp_tz *sp_tz_posix(const char *rule, sp_error *e);

/* Free z (NULL is fine). */
void sp_tz_free(sp_tz *z);

/* The name z was loaded under ("UTC" for NULL). */
const char *sp_tz_name(const sp_tz *z);

/* Seconds east of UTC in effect at UTC instant t (0 for NULL z). */
int32_t sp_tz_offset(const sp_tz *z, int64_t t);

/* How a local time maps to instants (sp_tz_from_local's *how). */
enum {
	SP_TZ_UNIQUE = 0,	/* one instant */
	SP_TZ_GAP,		/* none: skipped by a forward change */
	SP_TZ_OVERLAP		/* two: repeated by a backward change */
};

/*
 * The UTC instant of local wall time `local` in z (z NULL: UTC).  The
 * rule, the one of RFC 9557 and java.time (and Python's fold=0), is "the
 * offset in effect before the change" in both odd cases:
 *   - a gap (02:30 on a spring-forward night, America/New_York) is read
 *     with the earlier offset, i.e. shifted forward by the length of the
 *     gap: 2026-03-08T02:30 is 07:30Z (03:30 EDT);
 *   - an overlap (01:30 on a fall-back night) takes the earlier offset,
 *     the first of the two instants: 2026-11-01T01:30 is 05:30Z (EDT).
 * Sets *how (may be NULL) to SP_TZ_UNIQUE, SP_TZ_GAP or SP_TZ_OVERLAP.
 * Times more than 2^45 s (a million years) from 1970 are returned as they
 * are; sp_tz_offset takes them at that bound.
 */
int64_t sp_tz_from_local(const sp_tz *z, int64_t local, int *how);

#ifdef __cplusplus
}
#endif

#endif
