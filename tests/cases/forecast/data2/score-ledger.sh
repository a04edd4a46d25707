# Builds the ledgers of the score-* cases in directory $1 from
# score-history.jsonl (next to this script): calls recorded at four times,
# with the weighted and category methods, without -g ($1/all.jsonl) and
# with -g owner ($1/owner.jsonl); the forecast rows are not shown.
d=$1
h=$(dirname "$0")/score-history.jsonl
for g in all owner; do
	set --
	[ $g = owner ] && set -- -g owner
	for call in "2026-Q1 2025-12-15" "2026-Q2 2026-03-15" \
	    "2026-Q2 2026-04-20" "2026-Q2 2026-05-25T12:00:00Z" \
	    "2026-Q3 2026-05-25T12:00:00Z"; do
		forecast "$@" --method weighted,category --record "$d/$g.jsonl" \
		    --period ${call% *} --now ${call#* } "$h" >/dev/null || exit
	done
done
