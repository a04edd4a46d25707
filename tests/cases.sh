#!/bin/sh
# End-to-end cases: tests/cases/<program>/<case>/ holds
#   cmd       a sh script, run in the case directory
#   stdin     (optional) its standard input, else /dev/null
#   stdout    the expected standard output, byte for byte
#   stderr    (optional) the expected standard error, else it must be empty
#   status    (optional) the expected exit status, else 0
#   needs     (optional) "shared": runs only when ../shared/datasets exists;
#             "c++": runs only when a C++ compiler ($CXX, else c++ or g++)
#             is installed (the case finds it as $CXX)
# Environment of every case: the build's bin/ first on PATH, LC_ALL=C,
# TZ=UTC, SALESPIPE_NOW=2026-11-26T00:00:00Z, $DATA (../shared/datasets),
# $EXAMPLES (examples/), $T (a fresh temporary directory).
# Also runs every man page EXAMPLES line (tests/examples.sh).
# With VALGRIND=1 every program runs under valgrind memcheck (any error or
# definite leak makes it exit 99 and print, so the case fails), on every
# third case of each program (VALGRIND_EVERY=N, VALGRIND_ALL=1: every case).
# CASES=PATTERN runs only the cases whose program/case name matches the
# sh pattern (CASES='scorecard/*').
# Prints failures with diffs and a last line "cases: PASS FAIL SKIP".
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
DATA=$(cd "$top/../shared/datasets" 2>/dev/null && pwd)
pass=0 fail=0 skip=0 skipped_shared=0 skipped_cxx=0
CXX=${CXX:-$(command -v c++ || command -v g++)}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
BINPATH=$B/bin
if [ "${VALGRIND:-0}" = 1 ]; then
	mkdir -p "$tmp/vg"
	for p in "$B"/bin/*; do
		printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "%s" "$@"\n' \
		    "$p" > "$tmp/vg/${p##*/}"
		chmod +x "$tmp/vg/${p##*/}"
	done
	BINPATH=$tmp/vg:$B/bin
fi

# Under valgrind, every third case of each program, its first included
# (VALGRIND_EVERY=N: every Nth; VALGRIND_ALL=1: all of them): memcheck is
# slow, every case runs in the plain and the sanitizer passes
# (LeakSanitizer finds leaks there too), and a third of each program's
# cases still go through memcheck.  CASES_EVERY=N: every Nth case of each
# program, its first included, without valgrind (make check's sanitizer
# pass; make check-full runs them all).
every=${CASES_EVERY:-1}
[ "${VALGRIND:-0}" = 1 ] && [ "${VALGRIND_ALL:-0}" != 1 ] &&
    every=${VALGRIND_EVERY:-3}
[ "$every" -ge 1 ] 2>/dev/null || every=1
vg_left=0 prog= nth=0
for d in tests/cases/*/*/; do
	[ -f "$d/cmd" ] || continue
	name=${d#tests/cases/}
	name=${name%/}
	case $name in ${CASES:-*}) ;; *) continue;; esac
	[ "${name%%/*}" = "$prog" ] || { prog=${name%%/*}; nth=0; }
	nth=$((nth + 1))
	if [ $(((nth - 1) % every)) -ne 0 ]; then
		vg_left=$((vg_left + 1))
		continue
	fi
	if [ -f "$d/needs" ] && grep -q shared "$d/needs" && [ -z "$DATA" ]; then
		skip=$((skip + 1))
		skipped_shared=$((skipped_shared + 1))
		continue
	fi
	if [ -f "$d/needs" ] && grep -q 'c++' "$d/needs" && [ -z "$CXX" ]; then
		skip=$((skip + 1))
		skipped_cxx=$((skipped_cxx + 1))
		continue
	fi
	T="$tmp/t"
	rm -rf "$T"
	mkdir -p "$T"
	in=/dev/null
	[ -f "$d/stdin" ] && in="$top/$d/stdin"	# read after the cd below
	(
		cd "$d" || exit 99
		unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS \
		    SALESPIPE_JOURNAL_INDEX SALESPIPE_PROGRESS_AFTER
		PATH="$BINPATH:$PATH" LC_ALL=C TZ=UTC \
		SALESPIPE_NOW=2026-11-26T00:00:00Z DATA="$DATA" CXX="$CXX" \
		EXAMPLES="$top/examples" T="$T" \
		exec sh ./cmd <"$in" >"$tmp/out" 2>"$tmp/err"
	)
	st=$?
	want=0
	[ -f "$d/status" ] && want=$(cat "$d/status")
	ok=1
	if ! cmp -s "$tmp/out" "$d/stdout"; then
		ok=0
		echo "FAIL $name: stdout differs"
		diff -u "$d/stdout" "$tmp/out" | head -30
	fi
	if [ -f "$d/stderr" ]; then
		if ! cmp -s "$tmp/err" "$d/stderr"; then
			ok=0
			echo "FAIL $name: stderr differs"
			diff -u "$d/stderr" "$tmp/err" | head -20
		fi
	elif [ -s "$tmp/err" ]; then
		ok=0
		echo "FAIL $name: unexpected stderr"
		head -10 "$tmp/err"
	fi
	if [ "$st" != "$want" ]; then
		ok=0
		echo "FAIL $name: exit status $st, want $want"
	fi
	if [ $ok -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
if [ $vg_left -gt 0 ] && [ "${VALGRIND:-0}" = 1 ]; then
	echo "valgrind: $vg_left cases left to the plain and sanitizer passes (one case in $every of each program runs under valgrind, its first included; VALGRIND_ALL=1 for all)"
elif [ $vg_left -gt 0 ]; then
	echo "cases: $vg_left cases left out (one in $every of each program runs, its first included: CASES_EVERY=$every)"
fi
[ $skipped_shared -gt 0 ] &&
	echo "skip: $skipped_shared cases need ../shared/datasets, which is not here"
[ $skipped_cxx -gt 0 ] &&
	echo "skip: $skipped_cxx cases need a C++ compiler (c++ or g++; Debian: g++), which is not here"

out=$(BINPATH=$BINPATH sh tests/examples.sh "$B")
printf '%s\n' "$out" | grep -v '^examples: '
set -- $(printf '%s\n' "$out" | sed -n 's/^examples: \([0-9]*\) \([0-9]*\)$/\1 \2/p')
pass=$((pass + ${1:-0})); fail=$((fail + ${2:-0}))

echo "cases: $pass $fail $skip"
[ $fail -eq 0 ]
