#!/usr/bin/env bash
# salespipe benchmark: our programs beside the peers (Miller, sqlite3, DuckDB,
# gawk) and the raw parse ceilings (libcsv, jansson), on the same files, in
# one run.  Prints median seconds (hyperfine), MB/s and peak memory (GNU time).
#
# usage: bench/run.sh [FILTER]      FILTER: regex on the row names (default all)
#   SIZE=1m          data set: 100k, 1m or 10m deals (../shared/bench/gen.py;
#                    10m: CSV only, the 2 GB snapshot also through a pipe)
#   RUNS=5           timed runs per command (median), after one warm-up
#   PEERS="mlr sqlite3 duckdb gawk"   which peer tools to run
#   SLOW_RUNS=1      timed runs of the slow rows (f3); default 1 at 1m, else RUNS
#
# The generated deals carry three currencies: the programs that sum amounts
# group by currency too (a sum over mixed currencies is an error), which is
# more work than the peers' answers, never less.
#
# The journal rows (j1-j4) time the write side on a deals journal built from
# the generated history once (bench/journal-data.sh), appending to a work
# copy that is cut back to the journal before every run.
#
# The thread rows run funnel, win-rate and cycle-time with --threads 1 and
# --threads 2; the partial+merge row cuts the file in two with GNU parallel
# (--pipe --header :) and merges the two partials (bench/partial-merge.sh).
#
# The forecast rows (f1-f3): f1 the Monte Carlo (1M trials on 10,000 open
# deals, bench/data/forecast-mc.csv from bench/forecast-data.sh, the same at
# every SIZE); f2 forecast on the deals snapshot and the events history;
# f3 a quarterly backtest of the history, timed SLOW_RUNS times (default 1 at
# SIZE=1m, else RUNS).
#
# Needs ../shared/bench (the generator and the peer scripts); installs the
# Debian packages it needs (hyperfine miller sqlite3 gawk time nodejs npm)
# when missing.  Data and results stay in bench/data and bench/results,
# which git ignores.
# (make bench runs it with sh: bash it is)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
cd "$(dirname "$0")"
top=$(cd .. && pwd)
FILTER=${1:-.}
SIZE=${SIZE:-1m}
RUNS=${RUNS:-5}
PEERS=${PEERS:-"mlr sqlite3 duckdb gawk"}
# the slow rows' runs: 1 at 1m (f3 re-folds the history once per quarter)
SLOW_RUNS=${SLOW_RUNS:-$([ "$SIZE" = 1m ] && echo 1 || echo "$RUNS")}
kit=$top/../shared/bench
[ -d "$kit/peers" ] || { echo "bench: $kit not found (the benchmark kit lives in ../shared/bench)" >&2; exit 1; }

need=()
for c in hyperfine mlr sqlite3 gawk node npm python3 parallel; do command -v "$c" >/dev/null || need+=("$c"); done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	pk=$(printf '%s\n' "${need[@]}" | sed -e 's/^mlr$/miller/' -e 's/^node$/nodejs/' | sort -u | tr '\n' ' ')
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "bench: installing $pk" >&2
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $pk >/dev/null
fi
make -s -C "$top" all >/dev/null

# our own copy of the kit's tools (the kit itself may be read-only)
mkdir -p data results
[ -f data/.gitignore ] || echo '*' > data/.gitignore
k=data/kit
if [ ! -d $k/peers ]; then
	mkdir -p $k
	cp -r "$kit/peers" "$kit/src" "$kit/duckdb" $k/
	rm -rf $k/duckdb/node_modules
fi
# our own peer queries beside the kit's (bench/peers: DuckDB on the JSON
# lines snapshot, and the distinct-deal count funnel makes on a history)
cp -f "$top"/bench/peers/*.sh $k/peers/
make -s -C $k/src >/dev/null 2>&1 || (cd $k/src && cc -O2 -o ../bin/csv_count csv_count.c -lcsv && cc -O2 -o ../bin/jsonl_count jsonl_count.c -ljansson)
if [[ " $PEERS " == *" duckdb "* ]] && [ ! -d $k/duckdb/node_modules/@duckdb/node-api ]; then
	(cd $k/duckdb && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
		{ echo "bench: npm install of DuckDB failed; leaving DuckDB out" >&2; PEERS=${PEERS/duckdb/}; }
fi

d=data/$SIZE
case $SIZE in
100k) n=100000 ;;
1m) n=1000000 ;;
10m) n=10000000 ;;
*) echo "bench: SIZE is 100k, 1m or 10m" >&2; exit 1 ;;
esac
# 10m: CSV only (the JSON lines would be 7 GB more)
nojs=; [ "$SIZE" = 10m ] && nojs=--no-jsonl
[ -f $d/events.csv ] || python3 "$kit/gen.py" --deals $n --seed 42 $nojs --out $d >&2

bin=$top/bin
STAGES=lead,qualified,proposal,negotiation,won,lost
EV="--map id=deal_id,stage=to_stage --stages $STAGES"
rows=()
# name|input|command|prepare|stdin|ceiling|runs: the input file is appended
# to the command unless there is a prepare step (the journal rows: the
# command is whole); ceiling names the row whose median the rate is compared
# to; runs, when given, replaces RUNS (slow rows; the name says so).
add() { [[ $1 =~ $FILTER ]] && rows+=("$1|$2|$3|${4:-}|${5:-}|${6:-}|${7:-}") || true; }
# a row compared to a ceiling brings the ceiling along (whatever the filter)
ceil() { has "$1" || rows+=("$1|$2|$3||||"); }
has() { local r; for r in ${rows[@]+"${rows[@]}"}; do [[ ${r%%|*} == "$1" ]] && return 0; done; return 1; }
cl_ev="ceiling: libcsv parse (events)"
ja_ev="ceiling: jansson parse (events)"
cl_j="ceiling: libcsv parse (journal)"
ja_j="ceiling: jansson parse (journal)"
add "ceiling: libcsv parse"         deals.csv    "$k/peers/base_libcsv-deals.sh"
add "ceiling: jansson parse"        deals.jsonl  "$k/peers/base_jansson-deals.sh"
add "$cl_ev"                        events.csv   "$k/peers/base_libcsv.sh"
add "$ja_ev"                        events.jsonl "$k/peers/base_jansson.sh"
add "$cl_j"                         journal.csv  "$k/peers/base_libcsv.sh"
add "$ja_j"                         journal.jsonl "$k/peers/base_jansson.sh"
add "(a) funnel -g currency"         deals.csv    "$bin/funnel --stages $STAGES -g currency -o csv"
add "(a) funnel jsonl"              deals.jsonl  "$bin/funnel --stages $STAGES -g currency -o csv"
add "(a) funnel through a pipe"       deals.csv    "$top/bench/pipe.sh $bin/funnel --stages $STAGES -g currency -o csv"
add "(b) win-rate -g owner,currency" deals.csv   "$bin/win-rate --stages $STAGES -g owner,currency -o csv"
add "(b) win-rate jsonl"            deals.jsonl  "$bin/win-rate --stages $STAGES -g owner,currency -o csv"
add "(b) win-rate -g account,currency" deals.csv "$bin/win-rate --stages $STAGES -g account,currency -o csv"
add "(b) win-rate -g id (1M groups)" deals.csv   "$bin/win-rate --stages $STAGES -g id -o csv"
add "(c) cycle-time -g owner"       deals.csv    "$bin/cycle-time --stages $STAGES -g owner -o csv"
add "(c) cycle-time jsonl"          deals.jsonl  "$bin/cycle-time --stages $STAGES -g owner -o csv"
# threads: the same questions on one and on two threads (the rows above
# take the default, every processor), and scaled out through --partial and
# --merge: GNU parallel cuts the file in two and runs two partials at once
for t in 1 2; do
	add "(a) funnel --threads $t"           deals.csv "$bin/funnel --stages $STAGES -g currency -o csv --threads $t"
	add "(b) win-rate --threads $t"         deals.csv "$bin/win-rate --stages $STAGES -g owner,currency -o csv --threads $t"
	add "(c) cycle-time --threads $t"       deals.csv "$bin/cycle-time --stages $STAGES -g owner -o csv --threads $t"
done
add "(b) win-rate --partial, --merge x2"    deals.csv "$top/bench/partial-merge.sh 2 $bin/win-rate --stages $STAGES -g owner,currency -o csv"
add "(e) funnel on history"         events.csv   "$bin/funnel $EV -o csv"
add "(e) funnel on history jsonl"   events.jsonl "$bin/funnel $EV -o csv"

# The write side on a journal of $n records (journal-data.sh): one move,
# a batch of n/10 moves, one new deal; and pipeline over the whole history.
label() { case $1 in *000000) echo "$(($1 / 1000000))M" ;; *000) echo "$(($1 / 1000))k" ;; *) echo "$1" ;; esac; }
j1="(j1) deal-move 1 deal, $(label $n) journal"
j2="(j2) deal-move batch of $(label $((n / 10)))"
j3="(j3) pipeline on the history"
j4="(j4) deal-add 1 deal, $(label $n) journal"
j0="(j0) deal-add 0 deals: index build"
if [[ $j0 =~ $FILTER || $j1 =~ $FILTER || $j2 =~ $FILTER || $j4 =~ $FILTER || $cl_j =~ $FILTER || $ja_j =~ $FILTER ]]; then
	"$top/bench/journal-data.sh" $d $n
	. $d/journal.env
	for x in jsonl csv; do
		# the work copy, flushed now so that a run's fsync flushes its append only
		cp $d/journal.$x $d/work.$x
		sync $d/work.$x
		w=$d/work.$x
		rm -f $w.idx $w.next
		prep=$top/bench/journal-prep.sh
		cut="$prep cut $w $(stat -c %s $d/journal.$x) $bin/deal-add $STAGES"
		c=$cl_j; [ $x = jsonl ] && c=$ja_j
		[[ $j0 =~ $FILTER || $j1 =~ $FILTER || $j2 =~ $FILTER || $j4 =~ $FILTER ]] &&
			ceil "$c" journal.$x "$k/peers/base_$([ $x = csv ] && echo libcsv || echo jansson).sh"
		opt="-f $w --stages $STAGES --at $J_AT"
		# j0 builds the index; j1 and j4 append to the journal as they
		# go (a cut would make the next writer rebuild the index), j1
		# one move of another deal each run, j4 one new deal (another
		# name each run: a duplicate is refused); j2 cuts back and builds the
		# index again before each run
		add "$j0" journal.$x "$bin/deal-add $opt" "$prep noindex $w" "" "$c"
		add "$j1" journal.$x "$bin/deal-move $opt -i csv" "$prep next $w $d/journal-batch.csv $d/j1.csv" $d/j1.csv "$c"
		add "$j4" journal.$x "$bin/deal-add $opt -i csv" "$prep deal $w $d/j4.csv" $d/j4.csv "$c"
		add "$j2" journal.$x "$bin/deal-move $opt -i csv" "$cut" $d/journal-batch.csv "$c"
	done
fi
for x in csv jsonl; do
	c=$cl_ev; [ $x = jsonl ] && c=$ja_ev
	if [[ $j3 =~ $FILTER ]]; then
		ceil "$c" events.$x "$k/peers/base_$([ $x = csv ] && echo libcsv || echo jansson).sh"
	fi
	add "$j3" events.$x "$bin/pipeline $EV --as-of 2028-01-01T00:00:00Z" "" "" "$c"
done

# forecast, as of the generator's "today" (2025-01-01) for 2025-Q1.  f1: the
# Monte Carlo on exactly 10,000 open deals closing in the period (a file
# shared by every SIZE: bench/data/forecast-mc.csv); f2: the other methods
# on the snapshot (per currency: a sum over currencies is an error) and on
# the events history (which has no amounts or close dates: it times the
# fold, the stage rates and empty sums); f3: a backtest of every quarter of
# the history (a re-fold per quarter), SLOW_RUNS runs.
shared=" forecast-mc.csv "	# inputs in bench/data, not bench/data/$SIZE
FC="$bin/forecast --stages $STAGES --now 2025-01-01T00:00:00Z --period 2025-Q1 -o csv"
FCE="$bin/forecast $EV --now 2025-01-01T00:00:00Z -o csv"
f1="(f1) montecarlo 1M trials, 10k deals"
if [[ $f1 =~ $FILTER ]]; then
	"$top/bench/forecast-data.sh" data/forecast-mc.csv
	add "$f1" forecast-mc.csv "$FC --method montecarlo --trials 1000000 --seed 1"
fi
add "(f2) forecast weighted -g currency" deals.csv  "$FC -g currency"
add "(f2) forecast 3 methods -g currency" deals.csv "$FC -g currency --method weighted,category,history"
add "(f2) forecast weighted, history"   events.csv  "$FCE --period 2025-Q1"
add "(f2) forecast 3 methods, history"  events.csv  "$FCE --period 2025-Q1 --method weighted,category,history"
un=runs; [ "$SLOW_RUNS" -ne 1 ] || un=run
add "(f3) backtest quarters [$SLOW_RUNS $un]" events.csv "$FCE --backtest --every quarter --method weighted,history" "" "" "" "$SLOW_RUNS"

for t in a aj b c e eh ej ehj; do
	for p in $PEERS; do
		s=$k/peers/${t}__$p.sh
		[ -f "$s" ] || continue
		add "($t) peer $p" "$(sed -n 's/^# input: //p' "$s")" "$s"
	done
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=results/$SIZE-$stamp.txt
{
printf '# %s deals, %s runs each (median), %s, %s cores\n' "$SIZE" "$RUNS" "$(uname -m)" "$(nproc)"
printf '%-36s %-15s %9s %9s %10s %8s\n' task input median_s MB/s peak_MB ceiling
declare -A medof
for r in "${rows[@]}"; do
	IFS='|' read -r name input cmd prep stdin ceil runs <<<"$r"
	f=$d/$input
	[[ $shared != *" $input "* ]] || f=data/$input
	[ -f "$f" ] || continue
	run=$cmd
	[ -n "$prep" ] || run="$cmd $f"
	hrun=$run
	[ -z "$stdin" ] || hrun="sh -c 'exec $run < $stdin'"
	opts=()
	[ -z "$prep" ] || opts=(--prepare "$prep")
	json=$(mktemp)
	if ! hyperfine -N --style none --runs "${runs:-$RUNS}" --warmup 1 ${opts[@]+"${opts[@]}"} \
	    --export-json "$json" -- "$hrun" >/dev/null 2>&1; then
		printf '%-36s %-15s %9s\n' "$name" "$input" FAILED
		rm -f "$json"; continue
	fi
	med=$(python3 -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$json")
	medof[$name]=$med
	rm -f "$json"
	[ -z "$prep" ] || $prep
	/usr/bin/time -f %M -o $d/rss $run < "${stdin:-/dev/null}" >/dev/null 2>&1 || true
	[ -z "$prep" ] || $prep
	rss=$(tail -1 $d/rss)
	bytes=$(stat -c %s "$f")
	# the rate as a share of the ceiling's on the same file
	vs=
	[ -z "$ceil" ] || [ -z "${medof[$ceil]:-}" ] ||
		vs=$(printf '%7.0f%%' "$(echo "100 * ${medof[$ceil]} / $med" | bc -l)")
	printf '%-36s %-15s %9.3f %9.0f %10.1f %8s\n' "$name" "$input" "$med" \
	    "$(echo "$bytes / 1000000 / $med" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$vs"
done
} | tee "$out"
rm -f $d/work.jsonl $d/work.csv $d/work.*.idx $d/work.*.next $d/j1.csv $d/j4.csv
echo "(saved in bench/$out)" >&2
