#!/bin/sh
# The test runs of make check, check-valgrind and check-full (and of
# tests/run.sh): the suites of every pass in ONE queue, JOBS at a time
# (default: the processors), the longest first, so that no processor idles
# while another pass's suites wait.  The builds are the Makefile's (every
# pass's build must exist).
#
#   sh tests/check.sh check      plain, ASan+UBSan and TSan at smaller sizes
#   sh tests/check.sh valgrind   the valgrind memcheck pass alone
#   sh tests/check.sh full       all four passes at their full sizes, and
#                                the suites only check-full runs
#   sh tests/check.sh here [B]   one pass on the build in B (default .),
#                                in the environment as given (tests/run.sh)
#
# A line per suite as it ends:
#   suite NAME [PASS]: P passed, F failed, S s (cpu C s)
# (S: wall seconds; C: the CPU seconds, user + system, of the suite and
# every process it waited for), then what the suites printed (failures
# with their diffs, skips), in a fixed order, the load average at the
# start and the end, and the last line "N passed, N failed, N skipped";
# exits 1 if anything failed.  SUITES="threads man" runs only those (in
# every pass that has them); JOBS=1 one at a time.  Every suite runs
# through tests/suite.sh.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

# The suites: a new suite (tests/NAME.sh, run through tests/suite.sh) is
# one word in one of these lists.
#   ALL_SUITES        every pass runs them (the TSan pass: threads alone;
#                     the valgrind pass: not those of VALGRIND_NATIVE)
#   FULL_ONLY_SUITES  only check-full runs them, in its plain pass: a
#                     suite that needs what not every machine has (a
#                     browser, ...) and says "skip" without it
ALL_SUITES="cases bad partial property threads journal convert assign units fuzz recipes idmemory progress man"
FULL_ONLY_SUITES="browser"
# the suites that run no program under memcheck with VALGRIND=1 (they
# would run the plain pass's tests again, natively)
VALGRIND_NATIVE="assign convert man progress recipes"

# weight PASS SUITE: its CPU seconds in make check-full (2026-12-05, user
# + system: a suite on one processor takes about that long on a quiet
# machine), only to start the longest first; a suite not here starts last.
weight() {
	case $1:$2 in
	plain:partial) echo 106;; plain:threads) echo 51;;
	plain:journal) echo 39;; plain:cases) echo 26;; plain:bad) echo 26;;
	plain:convert) echo 23;; plain:recipes) echo 15;;
	plain:property) echo 12;; plain:units) echo 6;; plain:man) echo 6;;
	valgrind:cases) echo 508;; valgrind:property) echo 239;;
	valgrind:partial) echo 229;; valgrind:journal) echo 228;;
	valgrind:bad) echo 200;; valgrind:threads) echo 124;;
	valgrind:fuzz) echo 18;; valgrind:units) echo 335;;
	valgrind:idmemory) echo 134;;
	san:partial) echo 134;; san:journal) echo 103;; san:threads) echo 98;;
	san:bad) echo 80;; san:cases) echo 67;; san:recipes) echo 46;;
	san:property) echo 44;; san:units) echo 29;; san:convert) echo 21;;
	san:assign) echo 18;; san:idmemory) echo 12;; san:man) echo 10;;
	tsan:threads) echo 237;;
	*) echo 0;;
	esac
}

# pass_env MODE PASS: set b (the build) and export the pass's sizes (each
# suite's knobs are described at the top of tests/NAME.sh).  make check
# (MODE check) runs every program through every suite, on less.
pass_env() {
	b=.
	case $2 in
	plain)
		# make check: 20k generated deals and splits in 1, 2 and 7 (not
		# 64) in partial.sh, 150 leads a writer and a crash batch of
		# 20k records in journal.sh
		[ "$1" = check ] && export PARTIAL_N=20000 \
		    PARTIAL_SPLITS="1 2 7" JOURNAL_NL=150 JOURNAL_CRASH=20000
		;;
	valgrind)
		# memcheck on every fourth case and hostile input of each
		# program (its first included), the suites' own VALGRIND=1
		# sizes elsewhere; no inlined frames in its reports (0.7 ->
		# 0.5 s of CPU to start each program: the checks are the same)
		export VALGRIND=1 VALGRIND_EVERY=4 \
		    VALGRIND_OPTS="--read-inline-info=no${VALGRIND_OPTS:+ $VALGRIND_OPTS}"
		;;
	san)
		# LeakSanitizer off in the suites of thousands of processes
		# (some 45 ms a process at exit; the other suites and valgrind
		# check those paths for leaks)
		b=build/san
		export PARTIAL_N=10000 PARTIAL_SPLITS=7 PARTIAL_SHARDS=3 \
		    INDEX_ROUNDS=4 JOURNAL_NL=150 THREADS_QUICK=1 \
		    CONVERT_ROUNDS=3 LSAN_SKIP="journal partial property"
		# make check: every other case of each program (its first
		# included) and every other program for each hostile input (in
		# turn: every input and every program still run), no generated
		# data in partial.sh, 60 leads a writer and a crash batch of
		# 4000 in journal.sh, two seeds in property.sh, 20k deals in
		# recipes.sh, threads.sh's --threads 1 on the plain build
		[ "$1" = check ] && export CASES_EVERY=2 BAD_EVERY=2 \
		    PARTIAL_QUICK=1 JOURNAL_NL=60 JOURNAL_CRASH=4000 \
		    SEEDS="1 2" RECIPES_N=20000 THREADS_REF=.
		;;
	tsan)
		# --threads 2 against --threads 1 of the plain build; the
		# compressed files (read on one thread) are left out
		b=build/tsan
		export THREADS_QUICK=1 THREADS_REF=. \
		    TSAN_OPTIONS="halt_on_error=1 exitcode=66"
		;;
	here)
		b=$CHECK_HERE_BUILD
		;;
	esac
}

# pass_suites MODE PASS: the suites of the pass
pass_suites() {
	case $2 in
	tsan) set -- threads;;
	plain) if [ "$1" = full ]; then set -- $ALL_SUITES $FULL_ONLY_SUITES
		else set -- $ALL_SUITES; fi;;
	valgrind)
		set --
		for s in $ALL_SUITES; do
			case " $VALGRIND_NATIVE " in *" $s "*) ;; *) set -- "$@" "$s";; esac
		done;;
	*) set -- $ALL_SUITES;;
	esac
	if [ -n "${SUITES:-}" ]; then
		for s; do
			case " $SUITES " in *" $s "*) echo "$s";; esac
		done
	else
		printf '%s\n' "$@"
	fi
}

# here_name: the name of the pass "here" in what is printed
here_name() {
	if [ "${VALGRIND:-0}" = 1 ]; then echo valgrind
	elif [ "$CHECK_HERE_BUILD" = . ]; then echo plain
	else echo "$CHECK_HERE_BUILD"; fi
}

# the seconds of one "times" figure (0m1.230000s)
secs() {
	echo "$1" | awk '{ split($1, a, "m"); sub("s", "", a[2]); printf "%d", a[1] * 60 + a[2] + 0.5 }'
}

# sh tests/check.sh task MODE DIR PASS SUITE: one suite of the queue
if [ "$1" = task ]; then
	mode=$2 dir=$3 pass=$4 s=$5
	pass_env "$mode" "$pass"
	mkdir -p "$dir/$pass"
	sh tests/suite.sh "$s" "$b" "$dir/$pass"
	# the CPU time of the processes this shell waited for (in this
	# shell: a command substitution's would be its own)
	times >"$dir/$pass/$s.times"
	set -- $(sed -n 2p "$dir/$pass/$s.times")
	cpu=$(($(secs "$1") + $(secs "$2")))
	set -- $(sed -n "s/^suite $s: \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)\$/\1 \2 \3 \4/p" "$dir/$pass/$s.out" 2>/dev/null)
	[ "$pass" = here ] && pass=$(here_name)
	if [ -z "$1" ]; then
		echo "suite $s [$pass]: FAIL, no count (cpu $cpu s)"
	else
		sk=
		[ "$3" -gt 0 ] && sk=", $3 skipped"
		echo "suite $s [$pass]: $1 passed, $2 failed, $4 s (cpu $cpu s$sk)"
	fi
	exit 0
fi

mode=${1:-here}
case $mode in
check) passes="plain san tsan";;
valgrind) passes=valgrind;;
full) passes="plain valgrind san tsan";;
here) passes=here CHECK_HERE_BUILD=${2:-.}; export CHECK_HERE_BUILD;;
*) echo "usage: sh tests/check.sh check | valgrind | full | here [build]" >&2; exit 2;;
esac
[ "$mode" = here ] || unset VALGRIND

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1

load() {
	[ -r /proc/loadavg ] && echo "load average $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}
[ "$mode" = here ] || load "at the start"
t0=$(date +%s)
for p in $passes; do
	for s in $(pass_suites "$mode" "$p"); do
		echo "$(weight "$p" "$s") $p $s"
	done
done | sort -k1,1nr -s | while read -r w p s; do
	echo "$mode $tmp $p $s"
done | xargs -P "$JOBS" -L 1 sh tests/check.sh task

pass=0 fail=0 skip=0 cpu=0
for p in $passes; do
	n=$p
	[ "$p" = here ] && n=$(here_name)
	for s in $(pass_suites "$mode" "$p"); do
		o=$tmp/$p/$s.out
		if [ ! -f "$o" ]; then
			echo "FAIL suite $s [$n]: no output"
			fail=$((fail + 1))
			continue
		fi
		if grep -qv "^suite $s: " "$o"; then
			echo "== $s [$n]"
			grep -v "^suite $s: " "$o"
		fi
		set -- $(sed -n "s/^suite $s: \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)\$/\1 \2 \3 \4/p" "$o")
		if [ -z "$1" ]; then
			echo "FAIL suite $s [$n]: no count"
			fail=$((fail + 1))
			continue
		fi
		pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3))
		set -- $(sed -n 2p "$tmp/$p/$s.times")
		cpu=$((cpu + $(secs "$1") + $(secs "$2")))
	done
done
if [ "$mode" != here ]; then
	load "at the end"
	echo "$(($(date +%s) - t0)) s, cpu $cpu s"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
