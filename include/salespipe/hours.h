/*
 * hours: a business-hours calendar, the clock that runs only inside
 * working hours (lead-response --hours, selling-time's working hours):
 * ranges of the day (09:00-17:00, or several: 09:00-12:00,13:00-17:00)
 * on some days of the week (mon-fri), in a time zone (the local wall
 * clock, daylight saving included, by tz), less whole-day holidays.
 *
 * sp_hours_between counts the seconds of [t0, t1) inside the calendar,
 * exactly: a lead that arrives on a Friday at 17:30 and is answered on
 * the Monday at 09:30 waited 1800 seconds.
 */
#ifndef SALESPIPE_HOURS_H
#define SALESPIPE_HOURS_H
#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"
#include "salespipe/rec.h"
#include "salespipe/tz.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct sp_hours sp_hours;
/*
 * A calendar of the ranges in hours ("HH:MM-HH:MM[,HH:MM-HH:MM...]",
 * each start before its end, the ranges in order and apart, 24:00 the
 * end of the day; NULL: 09:00-17:00) on the days in days (three-letter
 * English names, lists and ranges, "mon-fri", "mon,wed,fri", "sun-thu"
 * (a range may wrap round the week); NULL: mon-fri), read on the wall
 * clock of tz (borrowed, NULL: UTC).  NULL with e->msg (e->field left
 * alone) when a spec is not one, or out of memory.
 */
sp_hours *sp_hours_new(const char *hours, const char *days, const sp_tz *tz,
    sp_error *e);
void sp_hours_free(sp_hours *h);
/*
 * The holidays file at path (CSV or JSON lines, read with the record
 * reader: ro, max_bytes SP_MAX_OPTFILE; datefmt as for record times):
 * one record per holiday with a `date` (a date; a date-time counts for
 * its date on tz's clock) and any other fields (a name), which are not
 * read.  A holiday is a whole day off.  Returns 0, or -1 with e naming
 * file, line and field.
 */
int sp_hours_read_holidays(sp_hours *h, const char *path,
    const sp_read_opts *ro, const char *datefmt, sp_error *e);
/* The local day (days since 1970-01-01, sp_days_from_civil) off. */
int sp_hours_add_holiday(sp_hours *h, int64_t day, sp_error *e);
/* Seconds of [t0, t1) inside the calendar; 0 when t1 <= t0. */
int64_t sp_hours_between(const sp_hours *h, int64_t t0, int64_t t1);
/* Seconds of a whole working day (the ranges' total). */
int64_t sp_hours_per_day(const sp_hours *h);
#ifdef __cplusplus
}
#endif
#endif
