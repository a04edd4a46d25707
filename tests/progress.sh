#!/bin/sh
# --progress, --no-progress and the default (salespipe(7)): the bytes read
# of the inputs' total on the standard error.  Deterministic: with
# SALESPIPE_PROGRESS_AFTER=0 the first line is written before a byte is
# read ("P: 0 B of TOTAL (0%)"), and where the drawing thread must be
# seen, the input is a fifo this script holds open until the line is
# there (a condition, not a time).  A terminal is script(1)'s pty.
#  - in a pipe: nothing by default, even after the delay; a line with
#    --progress (and, it having written one, a last one at the end of the
#    reading: all the bytes of the total); none with --no-progress; the
#    last of the two wins; every read program the same, its stdout byte
#    for byte the one of --no-progress;
#  - the total: one file's size, two files' sum, the standard input
#    redirected from a file, a gzip file's compressed size, a file read on
#    two threads (the last line: all of it); none from a pipe;
#  - on a terminal: shown by default (erased at the end: the screen holds
#    nothing), not before the delay, never with --no-progress; drawn by
#    the thread after the delay, with the bytes and the rate, while the
#    input waits; erased before an error message (the screen shows the
#    messages of a run without progress, nothing else) and before output
#    to the same terminal;
#  - a bad SALESPIPE_PROGRESS_AFTER is a usage error.
# Sizes are worked out with wc -c and printed as salespipe(7) says
# (decimal units, one decimal).
. "$(dirname "$0")/lib.sh"
. tests/programs.sh
export SHELL=/bin/sh

# hs N: N bytes as the line shows them
hs() {
	awk -v n="$1" 'BEGIN {
		if (n < 1000) printf "%d B\n", n
		else if (n < 999950) printf "%.1f kB\n", n / 1e3
		else if (n < 999950000) printf "%.1f MB\n", n / 1e6
		else printf "%.1f GB\n", n / 1e9 }'
}
size() { wc -c < "$1" | tr -d ' '; }

# screen FILE: what a terminal shows of the bytes in FILE (a carriage
# return goes back to the line's start, later characters overwrite
# earlier ones; trailing spaces and empty lines dropped)
screen() {
	awk '{
		out = ""; pos = 0; n = length($0)
		for (i = 1; i <= n; i++) {
			c = substr($0, i, 1)
			if (c == "\r") { pos = 0; continue }
			if (pos < length(out))
				out = substr(out, 1, pos) c substr(out, pos + 2)
			else
				out = out c
			pos++
		}
		sub(/ +$/, "", out)
		if (out != "") print out
	}' "$1"
}

# pty CMD: run the shell command CMD on a terminal (stdin, stdout and
# stderr), what the terminal got in $tmp/tty; its status
pty() {
	script -qec "$1" /dev/null < /dev/null > "$tmp/tty"
}

# wait_for FILE REGEX: until a line of FILE matches (at most a minute,
# for a failure not to hang the suite); 0 when one did
wait_for() {
	i=0
	while [ $i -lt 600 ]; do
		tr '\r' '\n' < "$1" 2>/dev/null | grep -Eq "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

if ! command -v script >/dev/null 2>&1; then
	echo "skip: no script(1) (the terminal cases)"
fi

"$BIN/deal-gen" -n 15000 -s 7 > "$tmp/d.csv"
"$BIN/deal-gen" -n 20 -s 8 > "$tmp/e.csv"
S=$(size "$tmp/d.csv")
T=$(hs "$S")
"$BIN/funnel" --no-progress "$tmp/d.csv" > "$tmp/ref" 2> "$tmp/ref.err"
[ $? -eq 0 ] && [ -s "$tmp/ref" ] && [ ! -s "$tmp/ref.err" ]
check "the reference run"

# --- in a pipe
SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" "$tmp/d.csv" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/out" "$tmp/ref"
check "pipe: nothing by default, even after the delay"; show "$tmp/err"

SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress "$tmp/d.csv" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 0 ] && cmp -s "$tmp/out" "$tmp/ref" && [ "$(wc -l < "$tmp/err")" -eq 2 ] &&
    [ "$(head -1 "$tmp/err")" = "funnel: 0 B of $T (0%)" ] &&
    tail -1 "$tmp/err" | grep -q "^funnel: $T of $T (100%), [0-9.]* MB/s\$"
check "pipe --progress: the first line, the last (all of $S bytes), the same stdout"
show "$tmp/err"

SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress --no-progress "$tmp/d.csv" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/out" "$tmp/ref"
check "pipe --progress --no-progress: the last wins, nothing"; show "$tmp/err"

SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --no-progress --progress "$tmp/d.csv" > "$tmp/out" 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B of $T (0%)" ]
check "pipe --no-progress --progress: the last wins, shown"; show "$tmp/err"

# --- the total
S2=$(size "$tmp/e.csv")
SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress "$tmp/d.csv" "$tmp/e.csv" > /dev/null 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B of $(hs $((S + S2))) (0%)" ]
check "total: two files, $S + $S2 bytes"; show "$tmp/err"

SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress < "$tmp/d.csv" > "$tmp/out" 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B of $T (0%)" ] && cmp -s "$tmp/out" "$tmp/ref"
check "total: the standard input from a file"; show "$tmp/err"

cat "$tmp/d.csv" | SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress > "$tmp/out" 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B" ] && cmp -s "$tmp/out" "$tmp/ref" &&
    tail -1 "$tmp/err" | grep -q "^funnel: $T, [0-9.]* MB/s\$"
check "total: none from a pipe (the bytes and the rate)"; show "$tmp/err"

gzip -c "$tmp/d.csv" > "$tmp/d.csv.gz"
Z=$(hs "$(size "$tmp/d.csv.gz")")
SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress "$tmp/d.csv.gz" > "$tmp/out" 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B of $Z (0%)" ] && cmp -s "$tmp/out" "$tmp/ref" &&
    tail -1 "$tmp/err" | grep -q "^funnel: $Z of $Z (100%), "
check "total: gzip, the compressed bytes ($Z)"; show "$tmp/err"

"$BIN/deal-gen" -n 30000 -s 9 > "$tmp/big.csv"
B2=$(hs "$(size "$tmp/big.csv")")
"$BIN/funnel" --threads 1 --no-progress "$tmp/big.csv" > "$tmp/big.ref"
SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --threads 2 --progress "$tmp/big.csv" > "$tmp/out" 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "funnel: 0 B of $B2 (0%)" ] && cmp -s "$tmp/out" "$tmp/big.ref" &&
    tail -1 "$tmp/err" | grep -q "^funnel: $B2 of $B2 (100%), "
check "total: two threads read all of $B2"; show "$tmp/err"

# --- an error in a pipe: the message is a line of its own, as without
# two bad amounts: the first stops a run, --max-bad 5 reports both
printf '%s\n' id,stage,amount,created_at D1,qualification,100.00,2026-01-05 \
    D2,won,abc,2026-01-06 D3,lost,50.00,2026-01-07 D4,won,x1,2026-01-08 \
    > "$tmp/bad.csv"
"$BIN/funnel" --no-progress "$tmp/bad.csv" > /dev/null 2> "$tmp/bad.err"
[ $? -eq 1 ] && [ "$(wc -l < "$tmp/bad.err")" -eq 1 ]
check "the bad record fails the run"; show "$tmp/bad.err"
SALESPIPE_PROGRESS_AFTER=0 "$BIN/funnel" --progress "$tmp/bad.csv" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && sed -n 2p "$tmp/err" | cmp -s - "$tmp/bad.err" &&
    [ "$(head -1 "$tmp/err")" = "funnel: 0 B of $(hs "$(size "$tmp/bad.csv")") (0%)" ]
check "pipe --progress: an error message on a line of its own"; show "$tmp/err"

SALESPIPE_PROGRESS_AFTER=soon "$BIN/funnel" "$tmp/d.csv" > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && [ "$(head -1 "$tmp/err")" = "funnel: SALESPIPE_PROGRESS_AFTER: 'soon' is not a number of seconds (such as 2 or 0.5)" ]
check "a bad SALESPIPE_PROGRESS_AFTER: status 2"; show "$tmp/err"

# --- every read program: --progress, and stdout as without
"$BIN/deal-gen" -n 3000 -s 7 --history "$tmp/history.csv" > "$tmp/deals.csv"
for p in $(programs_read); do
	in=$tmp/deals.csv
	program_history_only "$p" && in=$tmp/history.csv
	program_reads_activities "$p" && in=examples/activities.csv
	set -- $(program_args "$p") $(program_suite_args "$p") "$in"
	"$BIN/$p" --no-progress "$@" > "$tmp/p.ref" 2> "$tmp/p.referr"
	st0=$?
	SALESPIPE_PROGRESS_AFTER=0 "$BIN/$p" --progress "$@" > "$tmp/p.out" 2> "$tmp/p.err"
	st=$?
	[ $st -eq $st0 ] && cmp -s "$tmp/p.out" "$tmp/p.ref" &&
	    [ "$(head -1 "$tmp/p.err")" = "$p: 0 B of $(hs "$(size "$in")") (0%)" ]
	check "$p --progress: the line, the same stdout and status ($st, $st0)"
	show "$tmp/p.err"
done

# --- on a terminal
if command -v script >/dev/null 2>&1; then
	pty "SALESPIPE_PROGRESS_AFTER=0 '$BIN/funnel' '$tmp/d.csv' > '$tmp/out'"
	[ $? -eq 0 ] && cmp -s "$tmp/out" "$tmp/ref" &&
	    grep -q "funnel: 0 B of $T (0%)" "$tmp/tty" && [ -z "$(screen "$tmp/tty")" ]
	check "terminal: shown by default, erased at the end"; show "$tmp/tty"

	pty "SALESPIPE_PROGRESS_AFTER=0 '$BIN/funnel' --no-progress '$tmp/d.csv' > '$tmp/out'"
	[ $? -eq 0 ] && [ ! -s "$tmp/tty" ] && cmp -s "$tmp/out" "$tmp/ref"
	check "terminal --no-progress: not a byte"; show "$tmp/tty"

	pty "SALESPIPE_PROGRESS_AFTER=3600 '$BIN/funnel' '$tmp/d.csv' > '$tmp/out'"
	[ $? -eq 0 ] && [ ! -s "$tmp/tty" ] && cmp -s "$tmp/out" "$tmp/ref"
	check "terminal: nothing before the delay"; show "$tmp/tty"

	pty "SALESPIPE_PROGRESS_AFTER=0 '$BIN/funnel' --max-bad 5 '$tmp/bad.csv' > '$tmp/out'"
	st=$?
	"$BIN/funnel" --max-bad 5 "$tmp/bad.csv" > "$tmp/out.ref" 2> "$tmp/err.ref"
	screen "$tmp/tty" > "$tmp/screen"
	[ $st -eq 0 ] && grep -q "funnel: 0 B of " "$tmp/tty" &&
	    [ "$(wc -l < "$tmp/err.ref")" -eq 3 ] &&
	    cmp -s "$tmp/screen" "$tmp/err.ref" && cmp -s "$tmp/out" "$tmp/out.ref"
	check "terminal: the line erased before each message"; show "$tmp/screen"

	# the output on the same terminal: the line goes first
	"$BIN/funnel" -o table "$tmp/d.csv" > "$tmp/table.ref"
	pty "SALESPIPE_PROGRESS_AFTER=0 '$BIN/funnel' '$tmp/d.csv'"
	screen "$tmp/tty" > "$tmp/screen"
	grep -q "funnel: 0 B of $T (0%)" "$tmp/tty" &&
	    screen "$tmp/table.ref" | cmp -s - "$tmp/screen"
	check "terminal: erased before the output on the same terminal"; show "$tmp/screen"

	# the thread draws, after the delay, while the input waits on a fifo
	mkfifo "$tmp/fifo"
	exec 3<>"$tmp/fifo"
	# (the subshell lets go of the fifo: only this shell holds it open)
	(exec 3>&-; pty "SALESPIPE_PROGRESS_AFTER=0.2 '$BIN/funnel' < '$tmp/fifo' > '$tmp/out'") &
	pid=$!
	wait_for "$tmp/tty" '^funnel: 0 B$'
	check "terminal: the thread draws the line after the delay"; show "$tmp/tty"
	cat "$tmp/d.csv" >&3
	wait_for "$tmp/tty" '^funnel: [0-9.]+ [kM]B, [0-9.]+ MB/s$'
	check "terminal: the bytes read and the rate, no total, while the fifo is open"
	show "$tmp/tty"
	exec 3>&-
	wait $pid
	[ $? -eq 0 ] && cmp -s "$tmp/out" "$tmp/ref" && [ -z "$(screen "$tmp/tty")" ]
	check "terminal: from a fifo, the same output, the line erased"; show "$tmp/tty"
fi
echo "progress: $pass $fail"
[ $fail -eq 0 ]
