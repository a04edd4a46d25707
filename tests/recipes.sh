#!/bin/sh
# The scaling-out recipes of salespipe(7) SCALING OUT, run as written:
# each answer must equal, byte for byte, one run over all the data.
#   1. GNU parallel on one machine: --pipe --header : --block, every read
#      program (a generated 100k-deal snapshot cut in ~1 MB blocks);
#   2. GNU parallel across hosts: --sshlogin with two logins, through an
#      --ssh command that runs the remote command here (what matters is
#      parallel's quoting through a remote shell); RECIPES_SSH=1 uses the
#      real ssh to localhost when it answers;
#   3. a history sharded with {}/4 over the whole file;
#   4. Hadoop Streaming's shape: mappers on line splits of JSON lines, the
#      shuffle (sort), one reducer.
# usage: sh tests/recipes.sh [build-root]
B=$(cd "${1:-.}" && pwd)
cd "$(dirname "$0")/.." || exit 2
. tests/programs.sh
pass=0 fail=0
if [ "${VALGRIND:-0}" = 1 ]; then
	# the recipes time GNU parallel and pipes, not memory: the programs'
	# partials and merges are under memcheck in tests/partial.sh
	echo "recipes: skipped under valgrind (the plain and sanitizer passes run them)"
	echo "0 passed, 0 failed"
	echo "recipes: 0 0"
	exit 0
fi
if ! command -v parallel >/dev/null 2>&1; then
	echo "recipes: GNU parallel is not installed (make check installs it)"
	echo "0 passed, 1 failed"
	echo "recipes: 0 1"
	exit 1
fi
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-12-01 PATH="$B/bin:$PATH"
unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
# parallel's citation notice, once per user, would go to stderr
P="parallel --will-cite"

same() {
	# same NAME WANT GOT
	if cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		diff "$2" "$3" | head -5
	fi
}

deal-gen -n 100000 -s 4 --history "$T/history.csv" >"$T/deals.csv" ||
    exit 2
deal-gen -n 20000 -s 5 -o jsonl >"$T/deals.jsonl" || exit 2

# 1. one machine
for p in $(programs_read); do
	o="-g owner"
	[ "$p" = pipeline ] && o=
	# shellcheck disable=SC2086
	"$p" $o --threads 1 "$T/deals.csv" >"$T/want" 2>/dev/null || continue
	# shellcheck disable=SC2086
	$P --pipe --header : --block 1M "$p" $o --partial <"$T/deals.csv" |
	    "$p" $o --merge >"$T/got" 2>"$T/err"
	same "$p: parallel --pipe --header : | --merge" "$T/want" "$T/got"
done

# 2. across hosts. By default through the stand-in: a machine's own sshd
# (host keys for 127.0.0.1, a login shell, an sshd in another namespace)
# is not the project's to test, and a CI machine once answered the probe
# but not parallel. RECIPES_SSH=1 asks for the real ssh to localhost.
if [ "${RECIPES_SSH:-0}" = 1 ] &&
    ssh -o BatchMode=yes -o ConnectTimeout=3 localhost \
	"test -x '$B/bin/win-rate' && test -d '$T'" 2>/dev/null &&
    ssh -o BatchMode=yes -o ConnectTimeout=3 127.0.0.1 true 2>/dev/null; then
	SSH=ssh
else
	cat >"$T/ssh" <<'EOF'
#!/bin/sh
# stands in for ssh: drop the options, the host and "--", then run the
# words joined by spaces in a shell, as sshd does
while [ $# -gt 0 ]; do
	case $1 in
	-*) shift;;
	*) shift; break;;
	esac
done
[ "$1" = -- ] && shift
exec sh -c "$*"
EOF
	chmod +x "$T/ssh"
	SSH="$T/ssh"
	echo "recipes: --sshlogin goes through a stand-in for ssh that runs the remote command locally (RECIPES_SSH=1 for the real one)"
fi
win-rate -g owner --every quarter "$T/deals.csv" >"$T/want"
$P --ssh "$SSH" --pipe --header : --block 1M \
    --sshlogin 1/localhost,1/127.0.0.1 \
    "cd '$T' && PATH='$PATH' win-rate -g owner --every quarter --partial" \
    <"$T/deals.csv" | win-rate -g owner --every quarter --merge >"$T/got"
same "win-rate: parallel --sshlogin (ssh: ${SSH##*/})" "$T/want" "$T/got"

# 3. a history, sharded: every machine reads all of it
for p in win-rate funnel cycle-time; do
	"$p" "$T/history.csv" >"$T/want" 2>/dev/null || continue
	$P "$p" --partial --shard {}/4 "$T/history.csv" ::: 1 2 3 4 |
	    "$p" --merge >"$T/got"
	same "$p: parallel --shard {}/4 over a history" "$T/want" "$T/got"
done

# 4. map-reduce: mappers on line splits, the shuffle sorts lines
split -l 3000 "$T/deals.jsonl" "$T/split."
for p in win-rate funnel cycle-time forecast; do
	"$p" -g territory "$T/deals.jsonl" >"$T/want" 2>/dev/null || continue
	for f in "$T"/split.*; do
		"$p" -g territory --partial <"$f"
	done | sort | "$p" -g territory --merge >"$T/got"
	same "$p: map-reduce (mappers, sort, reducer)" "$T/want" "$T/got"
done

echo "$pass passed, $fail failed"
echo "recipes: $pass $fail"
[ "$fail" -eq 0 ]
