#!/bin/sh
# make demo: the nightly questions, answered on the bundled sample data
# (examples/deals.csv, a snapshot of 1000 deals, and examples/history.csv,
# their stage history, both made by `deal-gen -n 1000 -s 42`; the leads
# and activities of the first 30 of them: examples/leads.csv,
# examples/activities.csv).
bin=$(cd "${1:-bin}" && pwd)
cd "$(dirname "$0")" || exit 1
PATH=$bin:$PATH
# now: the day after the sample's last recorded change (its last close is
# on 2026-11-29), so that the answers do not move with the clock
export SALESPIPE_NOW=2026-11-30T00:00:00Z
set -e
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; sh -c "$2"; }
step "Where do deals drop off? (the stage history, each deal's real path)" \
    "funnel -o table history.csv"
step "Win rate per owner (won / (won + lost), by count and by value)" \
    "win-rate -g owner -o table deals.csv"
step "How long do won deals take to close, per quarter they closed in?" \
    "cycle-time --every quarter -o table deals.csv"
step "Why is Alice Chen's win rate what it is? (the deals behind the number)" \
    "win-rate --explain -g owner deals.csv | grep '^Alice Chen' | head -5"
step "What will this quarter bring in? (three methods side by side)" \
    "forecast -o table -g territory --method weighted,category,history deals.csv"
step "Which method would have been most precise this year? (a backtest)" \
    "forecast -o table --backtest --method weighted,history,trend --period 2026 history.csv"
step "The weekly pipeline review (scorecard, deal-diff, velocity, lint as of one moment)" \
    "NOW=2026-11-30T00:00:00Z sh weekly-review.sh history.csv | head -40"
step "How fast are new leads answered? (SLAs on a business-hours clock, by source)" \
    "lead-response -o table --sla 15m,4h,1d --hours 09:00-17:00 --days mon-fri -g source leads.csv"
step "How much of their time do reps spend selling? (hours per activity type, share of a 40-hour week, per quarter)" \
    "selling-time -o table --every quarter --period 2026 activities.csv"
# the write side: a journal in a temporary directory, removed at the end
j=$(mktemp -d)
trap 'rm -rf "$j"' EXIT
export SALESPIPE_DEALS="$j/deals.jsonl"
step "Record deals and their moves in a journal (locked, whole records, synced)" \
    "deal-add --at 2026-10-01 name='Acme renewal' account=Acme owner=ana amount=12000 currency=USD close_date=2026-12-15 &&
deal-add --at 2026-10-03 name='Globex pilot' account=Globex owner=bo amount=4500 currency=USD close_date=2026-11-30 &&
deal-move --at 2026-10-20 D-1 proposal && deal-move --at 2026-11-02 D-2 lost lost_reason=price &&
deal-move --at 2026-11-10 D-1 negotiation close_date=2027-01-15 && cat \"\$SALESPIPE_DEALS\""
step "The pipeline as it stood on 1 November, and now" \
    "pipeline -o table --as-of 2026-11-01 \"\$SALESPIPE_DEALS\" && pipeline -o table \"\$SALESPIPE_DEALS\""
export SALESPIPE_LEADS="$j/leads.jsonl"
cp new-leads.jsonl "$SALESPIPE_LEADS"
step "Who takes the new leads? (territory rules, first match wins; team turns; owners away skipped)" \
    "lead-assign --rules territories.csv --teams assign-teams.csv --away away.csv --now 2026-11-26T00:00:00Z --why -o csv"
step "The nightly report: every answer above on one page (Markdown here; HTML with SVG charts in examples/report.html)" \
    "report --quota quota.csv --leads leads.csv --activities activities.csv history.csv | head -30 &&
report -o html --quota quota.csv --leads leads.csv --activities activities.csv history.csv > report.html &&
echo \"wrote examples/report.html (\$(wc -c < report.html) bytes): open it in a browser\""
