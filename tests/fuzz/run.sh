#!/bin/sh
# make fuzz: run each libFuzzer target for SECONDS, JOBS at a time, over a
# working corpus seeded from tests/fuzz/corpus/<target>; crashing inputs are
# kept in tests/fuzz/crashes/<target>/ (make check replays them).  At the
# end each target's new corpus is merged back (minimised) into
# tests/fuzz/corpus/<target>.  Prints one line per target with its exec
# count, and exits 1 if any target found a crash.
#   usage: run.sh BUILD SECONDS JOBS [target ...]
B=${1:-build/fuzz}
secs=${2:-60}
jobs=${3:-2}
shift 3 2>/dev/null
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
mkdir -p "$B/work" "$B/logs"
run_one() {
	t=$1
	mkdir -p "$B/work/$t" "tests/fuzz/crashes/$t" "tests/fuzz/corpus/$t"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	"$B/obj/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $dict \
	    -artifact_prefix="tests/fuzz/crashes/$t/" \
	    "$B/work/$t" "tests/fuzz/corpus/$t" > "$B/logs/$t.log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/logs/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$B/logs/$t.log" | tail -1)
	echo "fuzz_$t: ${secs}s, ${execs:-?} execs, $cov, exit $st"
	# keep the corpus small: merge what was found back, minimised
	mkdir -p "$B/merged/$t"
	"$B/obj/fuzz/fuzz_$t" -merge=1 "$B/merged/$t" "tests/fuzz/corpus/$t" "$B/work/$t" \
	    > "$B/logs/$t.merge.log" 2>&1 &&
	    rm -rf "tests/fuzz/corpus/$t" && mv "$B/merged/$t" "tests/fuzz/corpus/$t"
	return $st
}
fail=0
set -- $targets
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
		run_one "$1" > "$B/logs/$1.summary" 2>&1 &
		pids="$pids $!:$1"
		shift
		i=$((i + 1))
	done
	for p in $pids; do
		wait "${p%%:*}" || fail=1
		cat "$B/logs/${p#*:}.summary"
	done
done
exit $fail
