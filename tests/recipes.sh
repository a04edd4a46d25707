#!/bin/sh
# The scaling-out recipes of salespipe(7) SCALING OUT, run as written:
# each answer must equal, byte for byte, one run over all the data.
#   1. GNU parallel on one machine: --pipe --header : --block, every read
#      program (a generated 100k-deal snapshot cut in ~1 MB blocks);
#   2. GNU parallel across hosts: --sshlogin with two logins, through an
#      --ssh command that runs the remote command here (what matters is
#      parallel's quoting through a remote shell); RECIPES_SSH=1 uses the
#      real ssh to localhost when it answers;
#   3. a history sharded with {}/4 over the whole file;
#   4. Hadoop Streaming's shape: mappers on line splits of JSON lines, the
#      shuffle (sort), one reducer;
# and "The weekly pipeline review" of salespipe(7): examples/weekly-review.sh
# on examples/history.csv as of 2026-11-26, a time with records after it,
# its numbers checked against a fold of the history in awk.
# Programs whose records are activities (tests/programs.sh) get generated
# activities in 1, and a map-reduce of their own after 4.
# usage: sh tests/recipes.sh [build-root]  (RECIPES_PROGS="p ...": only
# those programs in 1 and in the activities' map-reduce; RECIPES_N=N: N
# generated deals and activities, N/5 in JSON lines, default 100000)
B=$(cd "${1:-.}" && pwd)
cd "$(dirname "$0")/.." || exit 2
. tests/programs.sh
pass=0 fail=0
if [ "${VALGRIND:-0}" = 1 ]; then
	# the recipes time GNU parallel and pipes, not memory: the programs'
	# partials and merges are under memcheck in tests/partial.sh
	echo "recipes: skipped under valgrind (the plain and sanitizer passes run them)"
	echo "0 passed, 0 failed"
	echo "recipes: 0 0"
	exit 0
fi
if ! command -v parallel >/dev/null 2>&1; then
	echo "recipes: GNU parallel is not installed (make check installs it)"
	echo "0 passed, 1 failed"
	echo "recipes: 0 1"
	exit 1
fi
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-12-01 PATH="$B/bin:$PATH"
unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
# parallel's citation notice, once per user, would go to stderr
P="parallel --will-cite"

same() {
	# same NAME WANT GOT
	if cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		diff "$2" "$3" | head -5
	fi
}

N=${RECIPES_N:-100000}
deal-gen -n "$N" -s 4 --history "$T/history.csv" >"$T/deals.csv" ||
    exit 2
deal-gen -n $((N / 5)) -s 5 -o jsonl >"$T/deals.jsonl" || exit 2
# activities, for the programs that read them (tests/programs.sh)
activities_gen "$N" 4 csv >"$T/activities.csv"
activities_gen $((N / 5)) 5 jsonl >"$T/activities.jsonl"

# each program with the options it requires (tests/programs.sh)
programs_bin "$B/bin" "$T/bin" || exit 2
PATH="$T/bin:$PATH"

# 1. one machine
for p in ${RECIPES_PROGS:-$(programs_read)}; do
	o="-g owner"
	[ "$p" = pipeline ] && o=
	# lint's findings name the file and line, which a pipe changes: its
	# counts are what a split must keep (tests/property.sh does the same)
	[ "$p" = lint ] && o="-g owner --summary"
	in=$T/deals.csv
	program_reads_activities "$p" && in=$T/activities.csv
	# shellcheck disable=SC2086
	"$p" $o --threads 1 "$in" >"$T/want" 2>/dev/null || continue
	# shellcheck disable=SC2086
	$P --pipe --header : --block 1M "$p" $o --partial <"$in" |
	    "$p" $o --merge >"$T/got" 2>"$T/err"
	same "$p: parallel --pipe --header : | --merge" "$T/want" "$T/got"
done

# 2. across hosts. By default through the stand-in: a machine's own sshd
# (host keys for 127.0.0.1, a login shell, an sshd in another namespace)
# is not the project's to test, and a CI machine once answered the probe
# but not parallel. RECIPES_SSH=1 asks for the real ssh to localhost.
if [ "${RECIPES_SSH:-0}" = 1 ] &&
    ssh -o BatchMode=yes -o ConnectTimeout=3 localhost \
	"test -x '$B/bin/win-rate' && test -d '$T'" 2>/dev/null &&
    ssh -o BatchMode=yes -o ConnectTimeout=3 127.0.0.1 true 2>/dev/null; then
	SSH=ssh
else
	cat >"$T/ssh" <<'EOF'
#!/bin/sh
# stands in for ssh: drop the options, the host and "--", then run the
# words joined by spaces in a shell, as sshd does. sshd also sets SHELL,
# which parallel's remote wrapper execs: a CI job without it ran nothing.
SHELL=${SHELL:-/bin/sh}
export SHELL
while [ $# -gt 0 ]; do
	case $1 in
	-*) shift;;
	*) shift; break;;
	esac
done
[ "$1" = -- ] && shift
exec sh -c "$*"
EOF
	chmod +x "$T/ssh"
	SSH="$T/ssh"
	echo "recipes: --sshlogin goes through a stand-in for ssh that runs the remote command locally (RECIPES_SSH=1 for the real one)"
fi
win-rate -g owner --every quarter "$T/deals.csv" >"$T/want"
$P --ssh "$SSH" --pipe --header : --block 1M \
    --sshlogin 1/localhost,1/127.0.0.1 \
    "cd '$T' && PATH='$PATH' win-rate -g owner --every quarter --partial" \
    <"$T/deals.csv" | win-rate -g owner --every quarter --merge >"$T/got"
same "win-rate: parallel --sshlogin (ssh: ${SSH##*/})" "$T/want" "$T/got"

# 3. a history, sharded: every machine reads all of it
for p in win-rate funnel cycle-time; do
	"$p" "$T/history.csv" >"$T/want" 2>/dev/null || continue
	$P "$p" --partial --shard {}/4 "$T/history.csv" ::: 1 2 3 4 |
	    "$p" --merge >"$T/got"
	same "$p: parallel --shard {}/4 over a history" "$T/want" "$T/got"
done

# 4. map-reduce: mappers on line splits, the shuffle sorts lines
split -l 3000 "$T/deals.jsonl" "$T/split."
for p in win-rate funnel cycle-time forecast; do
	"$p" -g territory "$T/deals.jsonl" >"$T/want" 2>/dev/null || continue
	for f in "$T"/split.*; do
		"$p" -g territory --partial <"$f"
	done | sort | "$p" -g territory --merge >"$T/got"
	same "$p: map-reduce (mappers, sort, reducer)" "$T/want" "$T/got"
done
split -l 3000 "$T/activities.jsonl" "$T/asplit."
for p in ${RECIPES_PROGS:-$(programs_read)}; do
	program_reads_activities "$p" || continue
	"$p" -g owner --every month "$T/activities.jsonl" >"$T/want" || continue
	for f in "$T"/asplit.*; do
		"$p" -g owner --every month --partial <"$f"
	done | sort | "$p" -g owner --every month --merge >"$T/got"
	same "$p: map-reduce of activities (mappers, sort, reducer)" \
	    "$T/want" "$T/got"
done

# 5. the weekly pipeline review, as of a time with records after it; the
# script is the one salespipe(7) prints
sed -n '/^\.Sh THE WEEKLY PIPELINE REVIEW/,/^\.Sh /p' man/salespipe.7 |
    awk '/^\.Bd -literal/ { if (!n++) on = 1; next } /^\.Ed/ { on = 0 } on' |
    sed 's/^\\&//; s/\\e/\\/g' >"$T/script"
same "weekly review: salespipe(7) prints examples/weekly-review.sh" \
    examples/weekly-review.sh "$T/script"
W=2026-11-26T00:00:00Z WEEK=2026-11-19T00:00:00Z
if NOW=$W sh examples/weekly-review.sh examples/history.csv >"$T/review" \
    2>"$T/review.err" && [ ! -s "$T/review.err" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL weekly review: status or messages"
	head -5 "$T/review.err"
fi
# fold T: the history as of T, one deal a line: id|owner|stage|cents|
# close_date|time of its last record (amounts as integer cents: exact)
fold() {
	awk -F, -v T="$1" 'NR > 1 && $2 <= T {
		if (!($1 in st)) n[++k] = $1
		st[$1] = $3; last[$1] = $2
		if ($4 != "") { a = $4; sub(/\./, "", a); amt[$1] = a + 0 }
		if ($5 != "") cd[$1] = $5
		if ($6 != "") ow[$1] = $6
	} END { for (i = 1; i <= k; i++) { d = n[i]
		print d "|" ow[d] "|" st[d] "|" amt[d] "|" cd[d] "|" last[d] } }' \
	    examples/history.csv
}
fold "$W" >"$T/now"
fold "$WEEK" >"$T/week"
# cols SECTION NAME...: the named columns of the Markdown table under
# the "## SECTION" heading, "|"-separated, amounts as cents
cols() {
	_s=$1
	shift
	awk -v s="## $_s" -v want="$*" 'BEGIN { FS = " *\\| *" }
	/^## / { on = index($0, s) == 1; h = 0; next }
	!on || !/^\|/ { next }
	!h { h = 1; nw = split(want, w, " ")
		for (i = 1; i <= nw; i++) for (j = 2; j < NF; j++)
			if ($j == w[i]) c[i] = j
		next }
	/^\|---/ { next }
	{ o = ""; for (i = 1; i <= nw; i++) { v = $(c[i]); if (v ~ /^-?[0-9]+\.[0-9][0-9]$/) { sub(/\./, "", v); v += 0 }
		o = o (i > 1 ? "|" : "") v }; print o }' "$T/review"
}
# open deals closing in 2026-Q4 as of now, per owner (every owner that
# has a row: the others print 0)
awk -F'|' '$3 != "won" && $3 != "lost" && $5 >= "2026-10-01" &&
    $5 <= "2026-12-31" { n[$2]++; a[$2] += $4 }
    END { for (o in n) print o "|" n[o] "|" a[o] }' "$T/now" | sort >"$T/want"
cols "Reps, this quarter" owner open open_pipeline | grep -v '|0|0$' | sort >"$T/got"
same "weekly review: scorecard open pipeline vs the fold" "$T/want" "$T/got"
cols "The pipeline closing" owner end end_amount | grep -v '|0|0$' | sort >"$T/got"
same "weekly review: deal-diff end vs the fold" "$T/want" "$T/got"
# open a week ago, closing in 2026-Q4 then: deal-diff's start
awk -F'|' '$3 != "won" && $3 != "lost" && $5 >= "2026-10-01" &&
    $5 <= "2026-12-31" { n[$2]++; a[$2] += $4 }
    END { for (o in n) print o "|" n[o] "|" a[o] }' "$T/week" | sort >"$T/want"
cols "The pipeline closing" owner start start_amount | grep -v '|0|0$' | sort >"$T/got"
same "weekly review: deal-diff start vs the fold a week before" "$T/want" "$T/got"
# won and lost in 2026-Q4 up to now (the won or lost move is the deal's
# last record): the scorecard's won, won_amount, lost
awk -F'|' '($3 == "won" || $3 == "lost") && $6 >= "2026-10-01" {
    if ($3 == "won") { w[$2]++; a[$2] += $4 } else l[$2]++; o[$2] = 1 }
    END { for (x in o) print x "|" w[x] + 0 "|" a[x] + 0 "|" l[x] + 0 }' \
    "$T/now" | sort >"$T/want"
cols "Reps, this quarter" owner won won_amount lost | sort >"$T/got"
same "weekly review: scorecard won and lost vs the fold" "$T/want" "$T/got"
# open deals whose close date is before the day of now: lint's
# close-date-past, per owner
awk -F'|' '$3 != "won" && $3 != "lost" && $5 != "" && $5 < "2026-11-26" {
    n[$2]++ } END { for (o in n) print o "|" n[o] }' "$T/now" | sort >"$T/want"
cols "Data to fix" rule owner findings | sed -n 's/^close-date-past|//p' |
    sort >"$T/got"
same "weekly review: lint close-date-past vs the fold" "$T/want" "$T/got"
# velocity's last month is as of now: the deals open then
awk -F'|' '$3 != "won" && $3 != "lost"' "$T/now" | wc -l | tr -d ' ' >"$T/want"
cols "Sales velocity" period open | sed -n 's/^2026-11|//p' >"$T/got"
same "weekly review: velocity open now vs the fold" "$T/want" "$T/got"

echo "$pass passed, $fail failed"
echo "recipes: $pass $fail"
[ "$fail" -eq 0 ]
