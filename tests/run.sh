#!/bin/sh
# The whole suite against the build in $1 (default .): cmocka unit tests,
# end-to-end cases, man page EXAMPLES, mandoc lint, usage vs SYNOPSIS.  Ends with the line
# "N passed, N failed, N skipped"; exits 1 if anything failed.
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
pass=0 fail=0 skip=0

VG=
[ "${VALGRIND:-0}" = 1 ] && VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"

# cmocka: each executable reports its own tests
for t in "$B"/obj/tests/test_*; do
	[ -x "$t" ] || continue
	out=$($VG "$t" 2>&1)
	st=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$st" -ne 0 ]; then
		printf '%s\n' "$out" | grep -E 'FAILED|ERROR|Sanitizer|runtime error' | head -20
		[ -z "$f" ] && fail=$((fail + 1))
		echo "FAIL unit $(basename "$t")"
	fi
done

# every fuzz corpus and every past crash, replayed
for t in "$B"/obj/replay/fuzz_*; do
	[ -x "$t" ] || continue
	n=${t##*/fuzz_}
	if out=$($VG "$t" "tests/fuzz/corpus/$n" "tests/fuzz/crashes/$n" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL fuzz replay $n"
		printf '%s\n' "$out" | tail -20
	fi
done

# end-to-end cases and man page examples
t0=$(date +%s)
out=$(sh tests/cases.sh "$B")
st=$?
echo "(cases: $(($(date +%s) - t0)) s)"
printf '%s\n' "$out" | grep -v '^cases: '
set -- $(printf '%s\n' "$out" | sed -n 's/^cases: \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3/p')
pass=$((pass + ${1:-0})); fail=$((fail + ${2:-0})); skip=$((skip + ${3:-0}))
[ "$st" -ne 0 ] && [ -z "$1" ] && fail=$((fail + 1))

# the hostile-input corpus and the property tests
for s in bad property journal partial threads recipes; do
	[ -f "tests/$s.sh" ] || continue
	# a deadlock must fail the run, not hang it
	t0=$(date +%s)
	out=$(timeout 1800 sh "tests/$s.sh" "$B")
	st=$?
	echo "($s: $(($(date +%s) - t0)) s)"
	printf '%s\n' "$out" | grep -v "^$s: "
	set -- $(printf '%s\n' "$out" | sed -n "s/^$s: \([0-9]*\) \([0-9]*\)\$/\1 \2/p")
	pass=$((pass + ${1:-0})); fail=$((fail + ${2:-0}))
	[ "$st" -ne 0 ] && [ -z "$1" ] && fail=$((fail + 1))
done

# man pages: lint
if command -v mandoc >/dev/null 2>&1; then
	for m in man/*.[1357]; do
		[ -f "$m" ] || continue
		lint=$(mandoc -Tlint -Wwarning "$m" 2>&1)
		if [ -n "$lint" ]; then
			echo "FAIL mandoc -Tlint $m"
			printf '%s\n' "$lint" | head -5
			fail=$((fail + 1))
		else
			pass=$((pass + 1))
		fi
	done
	# usage() mirrors the SYNOPSIS
	out=$(sh tests/synopsis.sh "$B")
	printf '%s\n' "$out" | grep -v '^synopsis: '
	set -- $(printf '%s\n' "$out" | sed -n 's/^synopsis: \([0-9]*\) \([0-9]*\)$/\1 \2/p')
	pass=$((pass + ${1:-0})); fail=$((fail + ${2:-0}))
else
	echo "skip: mandoc not installed (lint, synopsis)"
	skip=$((skip + 2))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
