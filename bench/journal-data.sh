#!/usr/bin/env bash
# Build the journal benchmark data in DIR from the generated DIR/events.csv
# and DIR/deals.csv (../shared/bench/gen.py), once; run.sh calls it.
#
# usage: bench/journal-data.sh DIR N
#
#   DIR/journal.jsonl, DIR/journal.csv   a deals journal of exactly N records,
#       the same records in both forms, as deal-add and deal-move write them
#       (ids D-<n>; JSON lines carry only non-empty fields, all as strings;
#       the CSV header is id,at,stage and the deal columns).  It holds the
#       histories of the most recently created deals (youngest first, until
#       N records; the last one taken may be cut short), in time order: a
#       journal started some months before the generator's "now", so about
#       40% of its deals are still open.  A deal's first record (creation,
#       stage lead) carries its fields from deals.csv; the others are moves
#       (id, at, stage).
#   DIR/journal-batch.csv   N/10 moves (id,stage) of distinct deals open at
#       the end of the journal, each to its next stage (negotiation -> won),
#       so deal-move accepts every one.
#   DIR/journal.env         J_RECORDS, J_DEALS, J_OPEN, J_BATCH, J_AT (a
#       time after every record: the moves' --at), J1_ID and J1_STAGE (the
#       single move: the open deal with the most records, to its next stage).
#
# The first records of both journals are checked against what deal-add and
# deal-move write for the same fields (without a journal, to stdout).
set -euo pipefail
dir=${1:?usage: journal-data.sh DIR N}
n=${2:?usage: journal-data.sh DIR N}
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../bin
STAGES=lead,qualified,proposal,negotiation,won,lost
J_AT=2027-12-31T00:00:00Z	# gen.py's times end at 2027-03-11 (MAX_DAY)
[ -f "$dir/journal.env" ] && exit 0
[ -f "$dir/events.csv" ] && [ -f "$dir/deals.csv" ] ||
	{ echo "journal-data: $dir/events.csv or deals.csv missing" >&2; exit 1; }
echo "journal-data: building a $n-record journal in $dir" >&2
tmp=$(mktemp -d "$dir/.journal.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

# per deal: created_at (its first event), id, number of events
awk -F, 'NR > 1 {
	if ($1 != p) { if (p != "") print c "\t" p "\t" k; p = $1; c = $4; k = 0 }
	k++
} END { if (p != "") print c "\t" p "\t" k }' "$dir/events.csv" |
    sort -t "$(printf '\t')" -k1,1r -k2,2r |
    awk -F'\t' -v n="$n" '
	tot < n { take = $3 < n - tot ? $3 : n - tot; tot += take; print $2 "\t" take }
	END { if (tot < n) { print "journal-data: only " tot " events" > "/dev/stderr"; exit 1 } }
' > "$tmp/take"

# records: at, input order, then id, stage and the creation fields (TSV),
# sorted by time (input order breaks ties: a deal's own order is kept)
gawk -v take="$tmp/take" -v dealsf="$dir/deals.csv" '
BEGIN {
	OFS = "\t"
	while ((getline l < take) > 0) { split(l, a, "\t"); want[a[1]] = a[2] }
	FPAT = "([^,]*)|(\"[^\"]*\")"
	while ((getline l < dealsf) > 0) {
		$0 = l
		if (!($1 in want))
			continue
		for (i = 2; i <= 3; i++)
			if (substr($i, 1, 1) == "\"")
				$i = substr($i, 2, length($i) - 2)
		# name account owner amount currency close_date
		f[$1] = $2 OFS $3 OFS $4 OFS $6 OFS $7 OFS $9
	}
	FPAT = ""
	FS = ","
}
FNR > 1 && ($1 in want) && seen[$1]++ < want[$1] {
	id = "D-" (substr($1, 2) + 0)	# D00000017 -> D-17
	if ($2 == "")	# creation: the deal'"'"'s fields
		print $4, NR, id, $3, f[$1], $4
	else
		print $4, NR, id, $3
}' "$dir/events.csv" | sort -t "$(printf '\t')" -s -k1,1 -k2,2n > "$tmp/recs"
[ "$(wc -l < "$tmp/recs")" -eq "$n" ] ||
	{ echo "journal-data: expected $n records" >&2; exit 1; }
last=$(tail -1 "$tmp/recs" | cut -f1)
[[ $last < $J_AT ]] || { echo "journal-data: a record at $last is not before $J_AT" >&2; exit 1; }

# the two journals
awk -F'\t' -v jf="$tmp/journal.jsonl" -v cf="$tmp/journal.csv" '
function csv(s) { return s ~ /[,"]/ ? "\"" s "\"" : s }
BEGIN {
	print "id,at,stage,name,account,owner,amount,currency,probability," \
	    "close_date,created_at,closed_at,forecast_category,lost_reason," \
	    "source,product,territory" > cf
}
{
	j = "{\"id\":\"" $3 "\",\"at\":\"" $1 "\",\"stage\":\"" $4 "\""
	if (NF > 4) {
		j = j ",\"name\":\"" $5 "\",\"account\":\"" $6 "\",\"owner\":\"" \
		    $7 "\",\"amount\":\"" $8 "\",\"currency\":\"" $9 \
		    "\",\"close_date\":\"" $10 "\",\"created_at\":\"" $11 "\""
		c = $3 "," $1 "," $4 "," csv($5) "," csv($6) "," $7 "," $8 "," \
		    $9 ",," $10 "," $11 ",,,,,,"
	} else
		c = $3 "," $1 "," $4 ",,,,,,,,,,,,,,"
	print j "}" > jf
	print c > cf
}' "$tmp/recs"

# the records are what the write programs would have written
head -301 "$tmp/journal.csv" > "$tmp/head.csv"
awk -F, 'NR == 1 || $4 != ""' "$tmp/head.csv" |
    "$bin/deal-add" -i csv -o jsonl --allow-duplicate --stages "$STAGES" > "$tmp/adds"
awk -F, 'NR == 1 || $4 == ""' "$tmp/head.csv" |
    "$bin/deal-move" -i csv -o jsonl --stages "$STAGES" > "$tmp/moves"
head -300 "$tmp/journal.jsonl" | grep '"name"' | cmp - "$tmp/adds" >/dev/null &&
    head -300 "$tmp/journal.jsonl" | grep -v '"name"' | cmp - "$tmp/moves" >/dev/null ||
	{ echo "journal-data: the journal's records differ from deal-add's and deal-move's (see $tmp)" >&2
	  trap - EXIT; exit 1; }
awk -F, 'NR == 1 || $4 != ""' "$tmp/head.csv" |
    "$bin/deal-add" -i csv -o csv --allow-duplicate --stages "$STAGES" |
    cmp - <(awk -F, 'NR == 1 || $4 != ""' "$tmp/head.csv") >/dev/null ||
	{ echo "journal-data: the CSV journal differs from deal-add's CSV (see $tmp)" >&2
	  trap - EXIT; exit 1; }

# where each deal ends: the single move and the batch
awk -F'\t' '{ st[$3] = $4; k[$3]++ } END {
	for (id in st) print id "\t" st[id] "\t" k[id]
}' "$tmp/recs" | awk -F'\t' '
BEGIN { next_of["lead"] = "qualified"; next_of["qualified"] = "proposal"
	next_of["proposal"] = "negotiation"; next_of["negotiation"] = "won" }
{ d++ }
$2 in next_of { print substr($1, 3) "\t" $1 "\t" next_of[$2] "\t" $3 }
END { print d > "/dev/stderr" }' 2> "$tmp/ndeals" | sort -n > "$tmp/open"
nopen=$(wc -l < "$tmp/open")
batch=$((n / 10))
[ "$nopen" -ge "$batch" ] ||
	{ echo "journal-data: $nopen open deals, fewer than the batch's $batch" >&2; exit 1; }
{ echo id,stage; head -n "$batch" "$tmp/open" | cut -f2,3 | tr '\t' ,; } > "$tmp/journal-batch.csv"
one=$(sort -t "$(printf '\t')" -k4,4nr -k1,1n "$tmp/open" | sed -n 1p)
{
	echo "J_RECORDS=$n"
	echo "J_DEALS=$(cat "$tmp/ndeals")"
	echo "J_OPEN=$nopen"
	echo "J_BATCH=$batch"
	echo "J_AT=$J_AT"
	echo "J1_ID=$(echo "$one" | cut -f2)"
	echo "J1_STAGE=$(echo "$one" | cut -f3)"
} > "$tmp/journal.env"
mv "$tmp/journal.jsonl" "$tmp/journal.csv" "$tmp/journal-batch.csv" "$dir/"
mv "$tmp/journal.env" "$dir/"	# last: it marks the data complete
