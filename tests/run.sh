#!/bin/sh
# The whole suite against the build in $1 (default .): cmocka unit tests,
# the fuzz corpora replayed, end-to-end cases and man page EXAMPLES, the
# hostile inputs, the property, journal, convert (lead conversions
# killed), assign (lead assignment with concurrent processes), partial,
# threads, recipes, idmemory (SALESPIPE_ID_MEMORY) and progress
# (--progress, on a pipe and on a terminal) suites, mandoc
# lint and usage vs SYNOPSIS.  The
# suites are independent
# (each has its own temporary directory), so they run JOBS at a time
# (default: the processors; JOBS=1 one after another), longest first;
# their outputs are printed whole, in a fixed order, with the seconds each
# took.  Ends with the line "N passed, N failed, N skipped"; exits 1 if
# anything failed.  VALGRIND=1 runs the programs under memcheck.
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1

# the order they start in: the longest first (SUITES="threads ..." runs
# only those)
suites=${SUITES:-"cases bad partial property threads journal convert assign units fuzz recipes idmemory progress man"}
printf '%s\n' $suites | xargs -P "$JOBS" -I{} sh tests/suite.sh {} "$B" "$tmp"

pass=0 fail=0 skip=0
for s in $suites; do
	if [ ! -f "$tmp/$s.out" ]; then
		echo "FAIL suite $s: no output"
		fail=$((fail + 1))
		continue
	fi
	grep -v "^suite $s: " "$tmp/$s.out"
	set -- $(sed -n "s/^suite $s: \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)\$/\1 \2 \3 \4/p" "$tmp/$s.out")
	if [ -z "$1" ]; then
		echo "FAIL suite $s: no count"
		fail=$((fail + 1))
		continue
	fi
	echo "($s: $4 s)"
	pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
