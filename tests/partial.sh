#!/bin/sh
# partial/merge = whole, byte for byte, for every read program: the
# answer of `P --merge OPTS` over the partials of `P --partial OPTS` run on
# chunks of a snapshot (split 1, 2, 7 and 64 ways, merged in reverse
# or shuffled order), or on the whole of a history with --shard K/N, must equal the
# answer of one `P OPTS` run over all of it, in CSV and JSON lines, on
# examples/ and on generated 50k-deal data.  A read program (see
# tests/programs.sh) that has no --partial fails.  A combination whose
# whole run fails (an option that does not apply to that input) is
# skipped and counted as such; each program must have some that pass.
#
# usage: sh tests/partial.sh [build-root]     (PARTIAL_PROGS="p ..." to
# filter, PARTIAL_QUICK=1 to leave out the generated data, PARTIAL_N=K
# for K generated deals, default 50000; make check's sanitizer pass,
# where every run is some seven times slower, uses 10000).  Under
# VALGRIND=1 every run is under memcheck, on examples/ CSV only, split 2
# and 3 ways, with the first two option sets (valgrind is slow; the
# sanitizer pass runs every option set).  PARTIAL_SPLITS="2 7" and
# PARTIAL_SHARDS=3 choose the cuts (make check's sanitizer pass: 7 and 3;
# the plain pass runs every cut: 1, 2, 7 and 64 chunks, 1, 3 and 7 shards).
B=$(cd "${1:-.}" && pwd)
cd "$(dirname "$0")/.." || exit 2
. tests/programs.sh
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-12-01
unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
pass=0 fail=0 skip=0
VG=
SPLITS=${PARTIAL_SPLITS:-"1 2 7 64"} SHARDS=${PARTIAL_SHARDS:-"1 3 7"}
NOPTS=99 FORMATS="csv jsonl"
if [ "${VALGRIND:-0}" = 1 ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
	PARTIAL_QUICK=1 SPLITS=2 SHARDS=3 NOPTS=2 FORMATS=csv
fi
# each program with the options it requires (tests/programs.sh)
# shellcheck disable=SC2086
programs_bin "$B/bin" "$T/bin" $VG || exit 2
run() { _p=$1; shift; "$T/bin/$_p" "$@"; }

# the options tried, one set a line, per program ("" is the defaults)
opts_for() {
	case $1 in
	lint)	# a finding names its file and line, which a chunk renames:
		# what chunks and the whole share are the counts (--summary);
		# the findings merge exactly over --shard partials of one file
		# (tests/cases/lint/merge-shards)
		printf '%s\n' "--summary" "--summary -g owner" \
		    "--summary -g owner,territory --period 2025-Q3" \
		    "--summary --every month" \
		    "--summary -g territory --every quarter" \
		    "--summary --stale-days 30 --outlier-iqr 1.5"
		return;;
	esac
	printf '%s\n' "" "-g owner" "-g owner,territory --period 2025-Q3" \
	    "--every month" "-g territory --every quarter"
	case $1 in
	funnel) printf '%s\n' "--mode ordered -g owner" "--mode any" \
	    "--cohort month";;
	cycle-time) printf '%s\n' "--lost -g owner" "--closed --every month" \
	    "--open -g owner" "--in-stage" "--in-stage -g owner" \
	    "--from qualification --to won" \
	    "--start created_at --end closed_at -g owner" "--unit hours";;
	forecast) printf '%s\n' "--every quarter -g owner";;
	loss-reasons) printf '%s\n' "--by-stage -g owner" \
	    "--by-stage --every quarter";;
	deal-size) printf '%s\n' "--lost -g owner" "--open -g owner" \
	    "--bands 0,1000,10000,100000 -g owner --every quarter";;
	pipeline) printf '%s\n' "--as-of 2026-06-01";;
	deal-diff) printf '%s\n' "--deals -g owner" \
	    "--to 2026-03-01 --period 2025-Q4 -g owner";;
	velocity) printf '%s\n' "--lookback 90 --every week -g owner" \
	    "--as-of 2026-06-01 --lookback 120 -g territory";;
	selling-time) printf '%s\n' "--every month -g type" "--period 2026-11" \
	    "--every day --selling call,demo --hours-per-week 37.5" \
	    "--hours 09:00-12:00,13:00-17:00 --tz America/New_York --every month" \
	    "--deals $T/deals.csv -g owner --every quarter";;
	lead-response) printf '%s\n' "--sla 1h,2d,30d -g owner --every month" \
	    "--hours 09:00-17:00 --days mon-fri --tz America/New_York -g owner" \
	    "--touch-field closed_at --unit hours";;
	scorecard) printf '%s\n' \
	    "-g territory --every quarter --rank-by won_amount,median_cycle" \
	    "--period 2025 --unit hours --rank-by win_rate";;
	esac
}

# split_snapshot FILE K DIR: K chunks of FILE's records (CSV: the header
# on each), DIR/1 .. DIR/K; the examples and deal-gen's output have no
# quoted newlines, so lines are records
split_snapshot() {
	rm -rf "$3"
	mkdir -p "$3"
	case $1 in
	*.csv) awk -v k="$2" -v d="$3" 'NR == 1 { h = $0; next }
		{ r[++n] = $0 }
		END { for (i = 1; i <= k; i++) print h > (d "/" i)
		      for (i = 1; i <= n; i++)
			print r[i] >> (d "/" (int((i - 1) * k / n) + 1)) }' "$1";;
	*) awk -v k="$2" -v d="$3" '{ r[++n] = $0 }
		END { for (i = 1; i <= k; i++) printf "" > (d "/" i)
		      for (i = 1; i <= n; i++)
			print r[i] >> (d "/" (int((i - 1) * k / n) + 1)) }' "$1";;
	esac
}

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# check P OPTS FILE KIND K: one combination
check() {
	cp_=$1 co_=$2 cf_=$3 ck_=$4 kk_=$5
	# shellcheck disable=SC2086
	if ! run "$cp_" $co_ "$cf_" >"$T/whole" 2>"$T/whole.err"; then
		skip=$((skip + 1))
		[ -n "$PARTIAL_VERBOSE" ] && echo "skip $cp_ $co_ ${cf_##*/}: $(head -1 "$T/whole.err")"
		return
	fi
	rm -f "$T"/part.*
	if [ "$ck_" = snapshot ]; then
		split_snapshot "$cf_" "$kk_" "$T/chunks"
		i=1
		while [ "$i" -le "$kk_" ]; do
			# shellcheck disable=SC2086
			run "$cp_" $co_ --partial "$T/chunks/$i" \
			    >"$T/part.$i" 2>"$T/part.err" ||
			    { bad "$cp_ $co_ --partial ${cf_##*/} chunk $i/$kk_:" \
			    "$(cat "$T/part.err")"; return; }
			i=$((i + 1))
		done
	else
		i=1
		while [ "$i" -le "$kk_" ]; do
			# shellcheck disable=SC2086
			run "$cp_" $co_ --partial --shard "$i/$kk_" "$cf_" \
			    >"$T/part.$i" 2>"$T/part.err" ||
			    { bad "$cp_ $co_ --partial --shard $i/$kk_ ${cf_##*/}:" \
			    "$(cat "$T/part.err")"; return; }
			i=$((i + 1))
		done
	fi
	# merge in another order: reversed, or (7 parts and more) shuffled
	# with a fixed seed; the order must not matter
	list=$(awk -v k="$kk_" -v t="$T" 'BEGIN {
		for (i = 1; i <= k; i++) o[i] = k + 1 - i
		if (k >= 7) { srand(k); for (i = k; i > 1; i--) {
			j = int(rand() * i) + 1; x = o[i]; o[i] = o[j]; o[j] = x } }
		for (i = 1; i <= k; i++) printf " %s/part.%d", t, o[i] }')
	# shellcheck disable=SC2086
	if ! run "$cp_" $co_ --merge $list >"$T/merged" 2>"$T/merge.err"; then
		bad "$cp_ $co_ --merge (${cf_##*/}, $ck_, $kk_): $(cat "$T/merge.err")"
		return
	fi
	if cmp -s "$T/whole" "$T/merged"; then
		ok
	else
		bad "$cp_ $co_: ${cf_##*/} $ck_ split $kk_: merged output differs"
		diff "$T/whole" "$T/merged" | head -5
	fi
}

cp examples/deals.csv examples/deals.jsonl examples/history.csv \
    examples/history.jsonl examples/activities.csv examples/activities.jsonl \
    "$T/"
if [ -z "$PARTIAL_QUICK" ]; then
	"$B/bin/deal-gen" -n "${PARTIAL_N:-50000}" -s 10 --history "$T/gen-history.csv" \
	    >"$T/gen.csv" || exit 2
	"$B/bin/deal-gen" -n "${PARTIAL_N:-50000}" -s 10 -o jsonl >"$T/gen.jsonl" || exit 2
	activities_gen "${PARTIAL_N:-50000}" 10 csv >"$T/gen-act.csv"
	activities_gen "${PARTIAL_N:-50000}" 10 jsonl >"$T/gen-act.jsonl"
fi

progs=${PARTIAL_PROGS:-$(programs_read)}
for p in $progs; do
	if ! "$B/bin/$p" --help 2>&1 | sed '/^$/,$d' | grep -q -- '--partial'; then
		bad "$p: a read program without --partial (not on the engine)"
		continue
	fi
	before=$pass
	opts_for "$p" | head -n "$NOPTS" >"$T/opts"
	# activities (tests/programs.sh) are split as a snapshot's rows, and
	# sharded by id (none: all in one shard) as a history is
	snap=deals hist=history gen="gen.csv gen.jsonl" genh=gen-history.csv
	if program_reads_activities "$p"; then
		snap=activities hist=activities
		gen="gen-act.csv gen-act.jsonl" genh=gen-act.csv
	fi
	while IFS= read -r o; do
		for x in $FORMATS; do
			f=$snap.$x
			for k in $SPLITS; do
				check "$p" "$o" "$T/$f" snapshot "$k"
			done
		done
		for x in $FORMATS; do
			f=$hist.$x
			for k in $SHARDS; do
				check "$p" "$o" "$T/$f" history "$k"
			done
		done
		[ -n "$PARTIAL_QUICK" ] && continue
		for f in $gen; do
			check "$p" "$o" "$T/$f" snapshot 7
		done
		check "$p" "$o" "$T/$genh" history 2
	done <"$T/opts"
	[ "$pass" -gt "$before" ] || bad "$p: no combination could be checked"
done

# refusals: other options, a history's partials without --shard, a
# missing shard, a partial of another program
p=win-rate
"$B/bin/$p" -g owner --partial "$T/deals.csv" >"$T/a" 2>/dev/null
"$B/bin/$p" --every month --merge "$T/a" >/dev/null 2>"$T/err"
st=$?
if [ "$st" = 1 ] && grep -q -- "--by=owner" "$T/err"; then ok; else
	bad "merge with other options: status $st: $(cat "$T/err")"; fi
split_snapshot "$T/history.csv" 2 "$T/hc"
"$B/bin/$p" --partial "$T/hc/1" >"$T/h1" 2>/dev/null
"$B/bin/$p" --partial "$T/hc/2" >"$T/h2" 2>/dev/null
"$B/bin/$p" --merge "$T/h1" "$T/h2" >/dev/null 2>"$T/err"
st=$?
if [ "$st" = 1 ] && grep -q -- "--shard" "$T/err"; then ok; else
	bad "unsharded history partials: status $st: $(cat "$T/err")"; fi
"$B/bin/$p" --partial --shard 1/3 "$T/history.csv" >"$T/s1" 2>/dev/null
"$B/bin/$p" --partial --shard 3/3 "$T/history.csv" >"$T/s3" 2>/dev/null
"$B/bin/$p" --merge "$T/s1" "$T/s3" >/dev/null 2>"$T/err"
st=$?
if [ "$st" = 1 ] && grep -q "shard 2/3 is missing" "$T/err"; then ok; else
	bad "missing shard: status $st: $(cat "$T/err")"; fi
"$B/bin/funnel" --merge "$T/s1" >/dev/null 2>"$T/err"
st=$?
if [ "$st" = 1 ] && grep -q "a partial of win-rate" "$T/err"; then ok; else
	bad "another program's partial: status $st: $(cat "$T/err")"; fi

echo "$pass passed, $fail failed, $skip skipped"
echo "partial: $pass $fail"
[ "$fail" -eq 0 ]
