#!/bin/sh
# --threads 1 = --threads 2 = --threads 8, byte for byte (stdout, stderr
# and exit status), for every read program, on generated snapshots large
# enough to be split (files under 4 MiB stay on one thread): CSV whose
# free-text fields are full of quoted newlines, doubled quotes and CRLF,
# with bad records spread through it (so the messages, their line numbers
# and the --max-bad count must be one reader's), a repeated id far apart
# (one fold refuses it: the threaded run must read again on one thread),
# and JSON lines; and histories: one whose deals' records are spread over
# every part (each part folds its own; the folds merge), one grouped by
# deal (each part's deals folded on its own thread, a deal cut by the
# split folded whole where it began).
# usage: sh tests/threads.sh [build-root]    (VALGRIND=1: --threads 2
# under memcheck against --threads 1 without, on the smaller CSV file and
# one option set: valgrind runs threads one at a time, slowly;
# THREADS_QUICK=1: every file, --threads 2 only, one option set, as make
# check's ThreadSanitizer pass runs it, with THREADS_REF=. (below);
# THREADS_PROGS="p ..." runs only
# those programs; activities (a.csv, a.jsonl) go to the programs that
# read them, tests/programs.sh)
B=$(cd "${1:-.}" && pwd)
cd "$(dirname "$0")/.." || exit 2
. tests/programs.sh
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-12-01
unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
pass=0 fail=0
VG= N=60000
if [ "${VALGRIND:-0}" = 1 ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
	N=25000
fi

"$B/bin/deal-gen" -n "$N" -s 21 >"$T/gen.csv" || exit 2
# every third name (of the lines with no quotes yet) gets a quoted
# newline, a comma and doubled quotes, every fifth line ends in CRLF; a
# few amounts are bad; the first deal comes again at the end
awk -F, -v OFS=, 'NR == 1 { print; next }
	/"/ { printf "%s%s\n", $0, (NR % 5 == 0 ? "\r" : ""); next }
	NR % 3 == 0 { $2 = "\"" $2 " \"\"North\"\",\nBranch " NR "\"" }
	NR % 9973 == 0 { $6 = "x" $6 }
	{ printf "%s%s\n", $0, (NR % 5 == 0 ? "\r" : "") }' \
    "$T/gen.csv" >"$T/q.csv"
sed -n 2p "$T/gen.csv" >>"$T/q.csv"
"$B/bin/deal-gen" -n "$N" -s 22 -o jsonl >"$T/gen.jsonl" || exit 2
awk 'NR % 7919 == 0 { print "{\"id\": broken" ; next } { print }' \
    "$T/gen.jsonl" >"$T/q.jsonl"

# histories: one in time order (every deal's records spread over the
# parts), with bad records, owners with a byte that is not UTF-8 (a bad
# record where -g owner reads it; pipeline writes it as U+FFFD and warns
# once, counting every part's), and at the end records that tie an earlier
# one's `at` (the later record's values win) or come before a deal's
# first (its path is sorted); one in JSON lines, grouped by deal
H=$((N / 2))
"$B/bin/deal-gen" -n "$H" -s 23 --history "$T/hist.csv" >/dev/null || exit 2
{
	head -1 "$T/hist.csv"
	tail -n +2 "$T/hist.csv" | sort -t, -k2,2 -k1,1 -s |
	    awk -F, -v OFS=, -v b="$(printf '\377')" '
		NR % 6007 == 0 { $3 = "nosuch" }
		NR % 4999 == 0 { $6 = $6 b }
		{ print }'
	awk -F, -v OFS=, 'NR > 1 && NR % 997 == 0 { $6 = "Tie Owner " NR; print }
	    NR > 1 && NR % 1999 == 0 { $2 = "2020-01-01T00:00:00Z"; print }' \
	    "$T/hist.csv"
} >"$T/h.csv"
"$B/bin/deal-gen" -n "$H" -s 24 -o jsonl --history "$T/gen.h.jsonl" \
    >/dev/null || exit 2
awk 'NR % 5003 == 0 { print "{\"id\": 1,"; next } { print }' \
    "$T/gen.h.jsonl" >"$T/h.jsonl"

# a history grouped by deal, sorted by id, as exports keep one (each part
# folds its own deals, on its own thread, and a deal the split cuts is
# folded whole where it began): one deal of 60000 records in the middle,
# spread over several parts, its times out of order with ties, its owner
# changing; deals with no stage in any record (bad at the fold); bad
# stages spread through it
"$B/bin/deal-gen" -n "$H" -s 27 --history "$T/gen.hs.csv" >/dev/null || exit 2
awk -F, -v OFS=, -v m="$(printf 'D%07d' $((H / 2)))" '
	$1 == m && !done {
		for (k = 0; k < 60000; k++)
			printf "%s,2025-%02d-%02dT%02d:%02d:00Z,%s,%s,,%s\n", m,
			    1 + int(k / 3000) % 12, 1 + int(k / 100) % 28,
			    int(k / 60) % 24, k % 60,
			    (k % 2 ? "discovery" : "qualification"),
			    (k % 7 == 0 ? k ".5" : ""),
			    (k % 11 == 0 ? "Big Owner " k % 13 : "")
		done = 1
		next
	}
	$1 == m { next }
	NR > 1 && NR % 6007 == 0 { $3 = "nosuch" }
	$1 == "D0000100" || $1 == "D0001000" || $1 == m "x" { $3 = "" }
	{ print }' "$T/gen.hs.csv" >"$T/hs.csv"

# activities, for the programs that read them (tests/programs.sh): CSV
# with quoted newlines, doubled quotes and CRLF, bad minutes spread
# through it; JSON lines with broken lines
activities_gen $((N * 3 / 2)) 25 csv | awk -F, -v OFS=, 'NR == 1 { print; next }
	NR % 3 == 0 { $8 = "\"left a\nmessage, \"\"later\"\"\"" }
	NR % 9973 == 0 { $4 = "x" }
	{ printf "%s%s\n", $0, (NR % 5 == 0 ? "\r" : "") }' >"$T/a.csv"
activities_gen $((N * 3 / 2)) 26 jsonl |
    awk 'NR % 7919 == 0 { print "{\"at\": broken"; next } { print }' >"$T/a.jsonl"

opts() {
	printf '%s\n' "--max-bad 100" "--max-bad 100 -g owner --every quarter" \
	    "--max-bad 2 -g territory"
	# the sorted history's parts fold their own deals: partial states too
	[ "$1" = hs.csv ] && echo "--max-bad 100 --partial"
}

# same A B WHAT: run A's output, messages and status ($T/out.A, err.A,
# st.A) against run B's; "pass", or "fail" with WHAT and the diffs
same() {
	if cmp -s "$T/out.$1" "$T/out.$2" && cmp -s "$T/err.$1" "$T/err.$2" &&
	    cmp -s "$T/st.$1" "$T/st.$2"; then
		echo pass
	else
		echo "FAIL $3" >&2
		diff "$T/err.$1" "$T/err.$2" | head -5 >&2
		diff "$T/out.$1" "$T/out.$2" | head -5 >&2
		echo fail
	fi
}

# each program with the options it requires (tests/programs.sh)
programs_bin "$B/bin" "$T/bin" || exit 1
# THREADS_REF=BUILD: the --threads 1 runs, the reference, on that build
# (make's TSan pass: the plain one; one thread has nothing for
# ThreadSanitizer to see)
ref=$T/bin
if [ -n "$THREADS_REF" ]; then
	programs_bin "$(cd "$THREADS_REF" && pwd)/bin" "$T/refbin" || exit 1
	ref=$T/refbin
fi
# shellcheck disable=SC2086
[ -n "$VG" ] && { programs_bin "$B/bin" "$T/vgbin" $VG || exit 1; }
files="q.csv q.jsonl h.csv h.jsonl hs.csv a.csv a.jsonl" counts="2 8" quick=
[ -n "$VG" ] && files="q.csv h.csv hs.csv a.csv" counts=2 quick=1
[ -n "$THREADS_QUICK" ] && counts=2 quick=1
for f in $files; do
	for p in ${THREADS_PROGS:-$(programs_read)}; do
		# deals to the deal programs, activities to theirs
		case $f in
		a.*) program_reads_activities "$p" || continue ;;
		*) program_reads_activities "$p" && continue ;;
		esac
		opts "$f" | while IFS= read -r o; do
			for t in 1 $counts; do
				bin=$T/bin
				[ "$t" = 1 ] && bin=$ref
				[ -n "$VG" ] && [ "$t" != 1 ] && bin=$T/vgbin
				# shellcheck disable=SC2086
				"$bin/$p" $o --threads $t "$T/$f" \
				    >"$T/out.$t" 2>"$T/err.$t"
				echo $? >"$T/st.$t"
			done
			for t in $counts; do
				same 1 "$t" "$p $o --threads $t $f: differs from --threads 1"
			done
			[ -n "$quick" ] && break
		done
	done
done >"$T/results" 2>"$T/fails"

# a compressed file is read whole on one thread (it cannot be cut into
# byte ranges): gzip'd and zstd'd copies under the same names, in another
# directory, give every program the plain file's output, messages and
# status at --threads 2.  Not on a ThreadSanitizer build (one thread:
# nothing for it to see; the plain and ASan passes run it)
tsan=
grep -q __tsan_init "$B/bin/funnel" 2>/dev/null && tsan=1
if [ -z "$VG" ] && [ -z "$tsan" ] && command -v gzip >/dev/null &&
    command -v zstd >/dev/null
then
	mkdir -p "$T/gz" "$T/zst"
	for f in h.csv q.jsonl a.csv; do
		gzip -n -c "$T/$f" >"$T/gz/$f"
		zstd -q -c "$T/$f" >"$T/zst/$f"
	done
	for p in ${THREADS_PROGS:-$(programs_read)}; do
		for f in h.csv q.jsonl a.csv; do
			case $f in
			a.*) program_reads_activities "$p" || continue ;;
			*) program_reads_activities "$p" && continue ;;
			esac
			for d in . gz zst; do
				(cd "$T/$d" && "$T/bin/$p" --max-bad 100 --threads 2 \
				    "$f" >"$T/out.$d" 2>"$T/err.$d"; echo $? \
				    >"$T/st.$d")
			done
			for d in gz zst; do
				same . "$d" "$p --threads 2 $d/$f: differs from the plain file"
			done
		done
	done >>"$T/results" 2>>"$T/fails"
fi

# pipeline's later parts of a sorted history wait in a file of $TMPDIR,
# unlinked at once (strace shows where it was made: nothing is left);
# where none can be made, the rows wait in memory: the same bytes
if [ -z "$VG" ] && command -v strace >/dev/null 2>&1; then
	mkdir "$T/tmpd"
	"$T/bin/pipeline" --max-bad 100 --threads 1 "$T/hs.csv" >"$T/p.1" 2>/dev/null
	TMPDIR=$T/tmpd strace -f -e trace=openat,unlink -o "$T/strace" \
	    "$T/bin/pipeline" --max-bad 100 --threads 2 "$T/hs.csv" >"$T/p.2" 2>/dev/null
	TMPDIR=$T/none "$T/bin/pipeline" --max-bad 100 --threads 2 "$T/hs.csv" \
	    >"$T/p.3" 2>/dev/null
	if cmp -s "$T/p.1" "$T/p.2" && cmp -s "$T/p.1" "$T/p.3" &&
	    grep -q "openat(.*\"$T/tmpd/salespipe-rows\\." "$T/strace" &&
	    grep -q "unlink(\"$T/tmpd/salespipe-rows\\." "$T/strace" &&
	    [ -z "$(ls -A "$T/tmpd")" ]; then
		echo pass >>"$T/results"
	else
		echo "FAIL pipeline --threads 2 hs.csv: rows' file not in \$TMPDIR, left, or other bytes" >&2
		echo fail >>"$T/results"
	fi
elif [ -z "$VG" ]; then
	echo "skip: pipeline's rows file in \$TMPDIR (no strace here)"
fi 2>>"$T/fails"
cat "$T/fails"
pass=$(grep -c '^pass$' "$T/results")
fail=$(grep -c '^fail$' "$T/results")
echo "$pass passed, $fail failed"
echo "threads: $pass $fail"
[ "$fail" -eq 0 ]
