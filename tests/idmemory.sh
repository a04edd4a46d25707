#!/bin/sh
# SALESPIPE_ID_MEMORY: a snapshot's ids past the budget are spilled to
# disk, and a repeated id is still refused (salespipe(7), ENVIRONMENT).
# On a generated snapshot of 150000 distinct ids (6 MB, over the 4 MiB
# from which a file is read on two threads), with SALESPIPE_ID_MEMORY=64k
# (taken as the least budget, 1M: about 52000 ids in memory, so the ids
# spill twice or more):
#  - funnel's answer is the one without the variable, byte for byte, and
#    its counts are those awk finds; from a pipe and on two threads too;
#  - an id listed again 149999 lines after its first (spilled long
#    before) fails the run after reading: exit 1, no answer, the usual
#    message naming both lines, then why; --max-bad cannot skip it; from
#    a pipe and on two threads the same; without the variable the same
#    repeat is refused while reading (the messages differ: the case can
#    fail);
#  - twelve such repeats: the first ten by line, then how many more;
#  - lint refuses the same way (its findings would count the record);
#  - the temporary files are unlinked while the run goes on (checked in
#    /proc while a run waits on a pipe), so a kill -9 leaves nothing;
#  - a bad value is a usage error (exit 2); a temporary directory that
#    does not exist fails the run (exit 1).
# usage: sh tests/idmemory.sh [build-root]   (VALGRIND=1: the programs
# under memcheck)
. "$(dirname "$0")/lib.sh"
N=150000
if [ "${VALGRIND:-0}" = 1 ]; then
	mkdir "$tmp/vg"
	for p in funnel lint; do
		printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "%s" "$@"\n' \
		    "$BIN/$p" >"$tmp/vg/$p"
		chmod +x "$tmp/vg/$p"
	done
	BIN=$tmp/vg
fi

# deal i (1..N) at line i + 1: id D<i>, stage by i mod 3, currency by
# i mod 2, an amount, and a name long enough to pass 4 MiB
awk -v n=$N 'BEGIN {
	print "id,name,stage,amount,currency"
	split("qualification,won,lost", st, ",")
	for (i = 1; i <= n; i++)
		printf "D%07d,Deal %d of the generated snapshot,%s,%d.50,%s\n",
		    i, i, st[i % 3 + 1], i % 977, (i % 2 ? "USD" : "EUR")
}' >"$tmp/f.csv"
[ "$(wc -c <"$tmp/f.csv")" -gt 4194304 ]
check "the file is over 4 MiB (read on two threads)"

# the expected counts, by awk: per currency, the deals (all entered the
# first stage), those still at qualification, and the won ones
awk -F, 'NR > 1 { n[$5]++; if ($3 == "qualification") q[$5]++
	if ($3 == "won") w[$5]++ }
	END { for (c in n) print c, n[c], q[c], w[c] }' "$tmp/f.csv" |
    sort >"$tmp/awk.counts"
printf 'EUR 75000 25000 25000\nUSD 75000 25000 25000\n' |
    cmp -s - "$tmp/awk.counts"
check "awk counts the fixture as built"

# funnel's figures in the same shape
counts() {
	awk -F, '$2 == "qualification" { n[$1] = $3; q[$1] = $4 }
	    $2 == "won" { w[$1] = $4 }
	    END { for (c in n) print c, n[c], q[c], w[c] }' "$1" | sort
}

"$BIN/funnel" -g currency "$tmp/f.csv" >"$tmp/plain.out" 2>"$tmp/plain.err"
check "funnel without the variable exits 0"
counts "$tmp/plain.out" | cmp -s - "$tmp/awk.counts"
check "funnel's counts are awk's"; show "$tmp/plain.out"

SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency "$tmp/f.csv" \
    >"$tmp/small.out" 2>"$tmp/small.err"
check "64k: exits 0"
cmp -s "$tmp/plain.out" "$tmp/small.out" && [ ! -s "$tmp/small.err" ]
check "64k: the same answer, byte for byte, nothing on stderr"
show "$tmp/small.err"

cat "$tmp/f.csv" | SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency \
    >"$tmp/pipe.out" 2>"$tmp/pipe.err"
check "64k from a pipe: exits 0"
cmp -s "$tmp/plain.out" "$tmp/pipe.out"
check "64k from a pipe: the same answer"

SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency --threads 2 \
    "$tmp/f.csv" >"$tmp/t2.out" 2>"$tmp/t2.err"
check "64k, two threads: exits 0"
cmp -s "$tmp/plain.out" "$tmp/t2.out"
check "64k, two threads: the same answer"

# deal 1 (line 2) again at line N + 2
{ cat "$tmp/f.csv"; echo "D0000001,Again,won,1.00,USD"; } >"$tmp/r.csv"
late() {	# late FILE-NAME-IN-MESSAGES VALUE
	printf '%s\n' \
	    "funnel: $1:$((N + 2)): field 'id': 'D0000001' is listed again: first at $1:2 (kept); a snapshot has one record per deal" \
	    "funnel: the input's ids passed SALESPIPE_ID_MEMORY ($2) and were checked after reading, too late to leave a repeat out, so no answer is printed; raise SALESPIPE_ID_MEMORY or remove the repeats"
}
SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency "$tmp/r.csv" \
    >"$tmp/r.out" 2>"$tmp/r.err"
[ $? -eq 1 ]
check "a late repeat: exit 1"
[ ! -s "$tmp/r.out" ]
check "a late repeat: no answer"
late "$tmp/r.csv" 64k | cmp -s - "$tmp/r.err"
check "a late repeat: the messages"; show "$tmp/r.err"

SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency --max-bad 5 \
    "$tmp/r.csv" >"$tmp/r5.out" 2>"$tmp/r5.err"
[ $? -eq 1 ] && [ ! -s "$tmp/r5.out" ] &&
    late "$tmp/r.csv" 64k | cmp -s - "$tmp/r5.err"
check "a late repeat: --max-bad 5 cannot skip it"; show "$tmp/r5.err"

cat "$tmp/r.csv" | SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency \
    >"$tmp/rp.out" 2>"$tmp/rp.err"
[ $? -eq 1 ] && [ ! -s "$tmp/rp.out" ] &&
    late "<stdin>" 64k | cmp -s - "$tmp/rp.err"
check "a late repeat from a pipe"; show "$tmp/rp.err"

SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency --threads 2 \
    "$tmp/r.csv" >"$tmp/rt.out" 2>"$tmp/rt.err"
[ $? -eq 1 ] && [ ! -s "$tmp/rt.out" ] &&
    late "$tmp/r.csv" 64k | cmp -s - "$tmp/rt.err"
check "a late repeat on two threads"; show "$tmp/rt.err"

# without the variable (64M) the repeat is refused while reading: the
# first message alone
"$BIN/funnel" -g currency "$tmp/r.csv" >"$tmp/rd.out" 2>"$tmp/rd.err"
[ $? -eq 1 ] && [ ! -s "$tmp/rd.out" ] &&
    late "$tmp/r.csv" 64k | head -1 | cmp -s - "$tmp/rd.err"
check "the default budget refuses the repeat while reading"
show "$tmp/rd.err"

# deals 1..12 again at lines N + 2 .. N + 13: ten named, two counted
{
	cat "$tmp/f.csv"
	awk 'BEGIN { for (i = 1; i <= 12; i++)
		printf "D%07d,Again,won,1.00,USD\n", i }'
} >"$tmp/r12.csv"
{
	awk -v n=$N -v f="$tmp/r12.csv" 'BEGIN { for (i = 1; i <= 10; i++)
		printf "funnel: %s:%d: field '\''id'\'': '\''D%07d'\'' is " \
		    "listed again: first at %s:%d (kept); a snapshot has one " \
		    "record per deal\n", f, n + 1 + i, i, f, i + 1 }'
	echo "funnel: 2 more ids listed again"
	late "$tmp/r12.csv" 1M | tail -1
} >"$tmp/r12.want"
SALESPIPE_ID_MEMORY=1M "$BIN/funnel" -g currency "$tmp/r12.csv" \
    >"$tmp/r12.out" 2>"$tmp/r12.err"
[ $? -eq 1 ] && [ ! -s "$tmp/r12.out" ] && cmp -s "$tmp/r12.want" "$tmp/r12.err"
check "twelve late repeats: ten named, two counted"; show "$tmp/r12.err" 14

# lint: the same refusal (a finding would come after the record's other
# findings were counted)
SALESPIPE_ID_MEMORY=64k "$BIN/lint" "$tmp/r.csv" >"$tmp/lint.out" \
    2>"$tmp/lint.err"
[ $? -eq 1 ] && [ ! -s "$tmp/lint.out" ] &&
    late "$tmp/r.csv" 64k | sed 's/^funnel:/lint:/' | cmp -s - "$tmp/lint.err"
check "lint refuses a late repeat"; show "$tmp/lint.err"

# the temporary files: unlinked at once.  A run reads the file from a
# pipe kept open, so that it has spilled and waits; its descriptors name
# deleted files, the directory is empty, and after kill -9 still is.
# (Not under valgrind, which makes files of its own in $TMPDIR.)
mkdir "$tmp/td"
[ "${VALGRIND:-0}" = 1 ] || {
if [ -d /proc/self/fd ] && mkfifo "$tmp/fifo"; then
	TMPDIR=$tmp/td SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency \
	    "$tmp/fifo" >/dev/null 2>&1 &
	pid=$!
	exec 3>"$tmp/fifo"
	cat "$tmp/f.csv" >&3
	spilled=0 i=0
	while [ $i -lt 600 ]; do
		spilled=$(ls -l /proc/$pid/fd 2>/dev/null |
		    grep -c "$tmp/td/salespipe-ids.* (deleted)")
		[ "$spilled" -ge 2 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ "$spilled" -ge 2 ] && [ -z "$(ls -A "$tmp/td")" ]
	check "while it runs: spilled into deleted files, the directory empty"
	kill -9 $pid
	exec 3>&-
	wait $pid 2>/dev/null
	[ -z "$(ls -A "$tmp/td")" ]
	check "after kill -9: nothing left behind"
fi
TMPDIR=$tmp/td SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency \
    "$tmp/f.csv" >/dev/null 2>&1 && [ -z "$(ls -A "$tmp/td")" ]
check "after a run: nothing left behind"

TMPDIR=$tmp/nosuch SALESPIPE_ID_MEMORY=64k "$BIN/funnel" -g currency \
    "$tmp/f.csv" >"$tmp/nt.out" 2>"$tmp/nt.err"
[ $? -eq 1 ] && grep -q "temporary file.*No such file or directory" \
    "$tmp/nt.err"
check "a temporary directory that does not exist: exit 1, said"
show "$tmp/nt.err"
}

for v in lots 0 -1 64X 1.5M; do
	SALESPIPE_ID_MEMORY=$v "$BIN/funnel" -g currency "$tmp/f.csv" \
	    >"$tmp/u.out" 2>"$tmp/u.err"
	[ $? -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(head -1 "$tmp/u.err")" = \
	    "funnel: SALESPIPE_ID_MEMORY: '$v' is not a size (such as 64M)" ]
	check "SALESPIPE_ID_MEMORY=$v: a usage error"; show "$tmp/u.err"
done

echo "idmemory: $pass $fail"
[ "$fail" -eq 0 ]
