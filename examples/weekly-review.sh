#!/bin/sh
# weekly-review: the Monday pipeline review from a history (a journal, or
# a CRM's history export), as one Markdown report: the reps' scorecard for
# the quarter so far, what the pipeline closing this quarter did in the
# last seven days, the sales velocity month by month, and the data to fix
# before the meeting.  salespipe(7), "The weekly pipeline review".
#
# usage: weekly-review.sh [history]      (default journal.jsonl)
#   NOW=time   the review as of then (default: now); the programs take it
#              as their now through SALESPIPE_NOW
#   QUOTA=file the quota file for the scorecard (scorecard(1))
# Exit status: 0, or 1 when lint found an error in the data (the report is
# whole either way), or the status of the program that failed.
set -eu
h=${1:-journal.jsonl}
now=${NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
SALESPIPE_NOW=$now
export SALESPIPE_NOW
# seven days before now, in seconds since the epoch (GNU or BSD date)
t=$(date -u -d "$now" +%s 2>/dev/null ||
    date -u -j -f %Y-%m-%dT%H:%M:%SZ "$now" +%s)
week_ago=$(date -u -d "@$((t - 604800))" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    date -u -r "$((t - 604800))" +%Y-%m-%dT%H:%M:%SZ)

echo "# Pipeline review, $week_ago to $now"
echo
echo "## Reps, this quarter"
echo
scorecard --as-of "$now" --period this-quarter --rank-by won_amount,win_rate \
    ${QUOTA:+--quota "$QUOTA"} -o md "$h"
echo
echo "## The pipeline closing this quarter, last seven days"
echo
deal-diff --from "$week_ago" --period this-quarter -g owner -o md "$h"
echo
echo "## Sales velocity by month, this year"
echo
velocity --every month --period this-year -o md "$h"
echo
echo "## Data to fix"
echo
st=0
lint --as-of "$now" --summary -o md "$h" || st=$?
exit "$st"
