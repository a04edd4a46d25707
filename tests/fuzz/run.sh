#!/bin/sh
# make fuzz: run each libFuzzer target for SECONDS, JOBS at a time, over a
# working corpus seeded from tests/fuzz/corpus/<target>; crashing inputs are
# kept in tests/fuzz/crashes/<target>/ (make check replays them).  At the
# end each target's new corpus is merged back (minimised) into
# tests/fuzz/corpus/<target>; the named seeds (files whose names are not
# the 40-hex SHA-1 names libFuzzer gives what it writes) are kept whatever
# the merge says, and a merged copy of one of them is left out.  Prints one
# line per target with its exec count, and exits 1 if any target found a
# crash.  FUZZ_DIR (default tests/fuzz) holds the corpus/ and crashes/
# directories (tests/cases/make-fuzz uses it with a stand-in fuzzer).
#   usage: run.sh BUILD SECONDS JOBS [target ...]
B=${1:-build/fuzz}
secs=${2:-60}
jobs=${3:-2}
shift 3 2>/dev/null
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
fz=${FUZZ_DIR:-tests/fuzz}
targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
mkdir -p "$B/work" "$B/logs"
# keep_named OLD MERGED: the named seeds of corpus OLD into the merged
# corpus MERGED (a SHA-1-named copy of one in MERGED is removed: the seed
# stands for it)
keep_named() {
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		# a SHA-1 name: 40 lowercase hex digits
		case $n in
		*[!0-9a-f]*) ;;
		*) [ ${#n} -eq 40 ] && continue ;;
		esac
		cp "$f" "$2/$n" || return 1
		h=$(sha1sum < "$f") || return 1
		h=${h%% *}
		rm -f "$2/$h"
	done
}
run_one() {
	t=$1
	mkdir -p "$B/work/$t" "$fz/crashes/$t" "$fz/corpus/$t"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	"$B/obj/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $dict \
	    -artifact_prefix="$fz/crashes/$t/" \
	    "$B/work/$t" "$fz/corpus/$t" > "$B/logs/$t.log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/logs/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$B/logs/$t.log" | tail -1)
	echo "fuzz_$t: ${secs}s, ${execs:-?} execs, $cov, exit $st"
	# keep the corpus small: merge what was found back, minimised, and
	# keep the named seeds whatever the merge says
	rm -rf "$B/merged/$t"
	mkdir -p "$B/merged/$t"
	if "$B/obj/fuzz/fuzz_$t" -merge=1 "$B/merged/$t" "$fz/corpus/$t" "$B/work/$t" \
	    > "$B/logs/$t.merge.log" 2>&1 &&
	    keep_named "$fz/corpus/$t" "$B/merged/$t"; then
		rm -rf "$fz/corpus/$t" && mv "$B/merged/$t" "$fz/corpus/$t"
	else
		echo "fuzz_$t: the merge failed, the corpus is left as it was (see $B/logs/$t.merge.log)"
	fi
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
