#!/bin/sh
# One suite of tests/run.sh: sh tests/suite.sh NAME BUILD OUTDIR writes
# what the suite printed to OUTDIR/NAME.out, ending with the line
# "suite NAME: PASS FAIL SKIP SECONDS".  NAME is units (the cmocka
# tests), fuzz (every fuzz corpus and past crash replayed), man (mandoc
# lint, groff's warnings, usage vs SYNOPSIS, --help, options and
# completions against the pages, write errors: tests/options.sh), cases,
# browser (report -o html in chromium, tests/browser.sh: check-full only,
# not in tests/run.sh's list), or one of the tests/NAME.sh suites.
# VALGRIND=1 runs the programs (and the unit and replay binaries) under
# memcheck.
s=$1 B=$2 out=$3/$1.out
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
t0=$(date +%s)
VG=
[ "${VALGRIND:-0}" = 1 ] && VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"

# count SUITE OUTPUT STATUS: add the suite's closing "SUITE: P F [S]"
count() {
	printf '%s\n' "$2" | grep -v "^$1: "
	set -- "$1" "$3" $(printf '%s\n' "$2" | sed -n "s/^$1: \([0-9]*\) \([0-9]*\) *\([0-9]*\)\$/\1 \2 \3/p")
	pass=$((pass + ${3:-0})); fail=$((fail + ${4:-0})); skip=$((skip + ${5:-0}))
	if [ "$2" -ne 0 ] && [ -z "$3" ]; then
		# no count: it died (a status over 128 is a signal's, 124 the
		# timeout's)
		echo "FAIL $1: ended with status $2 before its count"
		fail=$((fail + 1))
	fi
}

# LSAN_SKIP="journal ...": those suites run with LeakSanitizer off (an
# AddressSanitizer build's leak scan costs some 45 ms a process at exit
# here; make check's sanitizer pass skips it in the suites that start
# thousands of processes on paths the other suites and valgrind check
# for leaks)
case " ${LSAN_SKIP:-} " in
*" $s "*) ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export ASAN_OPTIONS;;
esac

{
case $s in
units)
	for t in "$B"/obj/tests/test_*; do
		[ -x "$t" ] || continue
		o=$($VG "$t" 2>&1)
		st=$?
		p=$(printf '%s\n' "$o" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
		f=$(printf '%s\n' "$o" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${f:-0}))
		if [ "$st" -ne 0 ]; then
			printf '%s\n' "$o" | grep -E 'FAILED|ERROR|Sanitizer|runtime error' | head -20
			[ -z "$f" ] && fail=$((fail + 1))
			echo "FAIL unit $(basename "$t")"
		fi
	done
	;;
fuzz)
	for t in "$B"/obj/replay/fuzz_*; do
		[ -x "$t" ] || continue
		n=${t##*/fuzz_}
		if o=$($VG "$t" "tests/fuzz/corpus/$n" "tests/fuzz/crashes/$n" 2>&1); then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL fuzz replay $n"
			printf '%s\n' "$o" | tail -20
		fi
	done
	;;
man)
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
		o=$(sh tests/synopsis.sh "$B")
		count synopsis "$o" $?
		o=$(sh tests/options.sh "$B")
		count options "$o" $?
	else
		echo "skip: mandoc not installed (lint, synopsis, options)"
		skip=$((skip + 3))
	fi
	# what Debian's man(1) says while it renders (groff): no warning
	if command -v groff >/dev/null 2>&1; then
		for m in man/*.[1357]; do
			[ -f "$m" ] || continue
			if command -v man >/dev/null 2>&1; then
				w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
			else
				w=$(groff -mandoc -ww -z "$m" 2>&1)
			fi
			if [ -n "$w" ]; then
				echo "FAIL groff warnings $m"
				printf '%s\n' "$w" | head -5
				fail=$((fail + 1))
			else
				pass=$((pass + 1))
			fi
		done
	else
		echo "skip: groff not installed (man --warnings)"
		skip=$((skip + 1))
	fi
	;;
browser)
	# report -o html in headless chromium (make check-full; a skip
	# without chromium): screenshots kept in B/artifacts
	o=$(timeout "${SUITE_TIMEOUT:-600}" sh tests/browser.sh "$B")
	count browser "$o" $?
	;;
*)
	if [ ! -f "tests/$s.sh" ]; then
		echo "FAIL no suite $s"
		fail=$((fail + 1))
	else
		# a deadlock must fail the run, not hang it; the limit is far
		# above a suite's time under valgrind on a loaded machine (cases
		# took 742 s alone, over 1800 s while other jobs shared the two
		# cores, and failed on the old limit of 1800)
		o=$(timeout "${SUITE_TIMEOUT:-4000}" sh "tests/$s.sh" "$B")
		count "$s" "$o" $?
	fi
	;;
esac
echo "suite $s: $pass $fail $skip $(($(date +%s) - t0))"
} >"$out" 2>&1
