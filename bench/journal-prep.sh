#!/bin/sh
# The prepare steps of the journal rows of bench/run.sh (untimed), one
# simple command each (hyperfine runs them without a shell):
#   journal-prep.sh cut WORK SIZE DEAL-ADD STAGES
#       cut the work journal back to SIZE bytes and build its index again
#       (a cut journal's index is rebuilt by the next writer: do it here,
#       so that the timed run finds it fresh, as a steady state would)
#   journal-prep.sh next WORK BATCH OUT
#       write to OUT the header and the next move of BATCH (id,stage) not
#       used yet on WORK (a counter in WORK.next): one move per run,
#       each of another deal, without cutting the journal
#   journal-prep.sh noindex WORK
#       remove the work journal's index (the timed run builds it)
#   journal-prep.sh deal WORK OUT
#       write to OUT a new deal (a CSV batch of one) whose name no run
#       used yet on WORK (a counter in WORK.next): a duplicate is refused
set -eu
case $1 in
cut)
	truncate -s "$3" "$2"
	"$4" -f "$2" --stages "$5" < /dev/null
	;;
next)
	k=$(cat "$2.next" 2> /dev/null || echo 1)
	echo $((k + 1)) > "$2.next"
	{ echo id,stage; sed -n "$((k + 1))p" "$3"; } > "$4"
	;;
noindex)
	rm -f "$2.idx"
	;;
deal)
	k=$(cat "$2.next" 2> /dev/null || echo 1)
	echo $((k + 1)) > "$2.next"
	printf 'name,account,owner,amount,currency\nBench-Renewal %d,Bench-Corp,bench.owner,25000,USD\n' "$k" > "$3"
	;;
*)
	echo "journal-prep.sh: cut, next, deal or noindex" >&2
	exit 2
	;;
esac
