#!/bin/sh
# Lead conversion (lead-move --deal) with real processes killed (SIGKILL),
# against the build in $1 (default .).  The invariant checked after every
# kill: every lead whose last status is converted has exactly one deal
# whose lead_id is its id, and that deal is the lead's deal_id; no lead has
# two deals; deal ids D-1.. in file order on the creation records.
#  steps     a conversion killed at each of its steps, twice each (without
#            and with the journals' index files): lead-locked (the lead
#            journal locked), locked (both), before-deal (every check
#            done), deal (the deal appended, the lead not yet), lead (both
#            appended, the indexes not yet updated).  SALESPIPE_TEST_KILL=
#            STEP makes lead-move kill itself there (lib/append.c).  Then
#            the journals are what the step allows (byte for byte), a rerun
#            of the same command completes the conversion (exit 0, the
#            deal's id on stdout, no second deal), and a second rerun
#            records nothing (exit 0, "nothing recorded").
#  full      the lead's append fails (ulimit -f) after the deal's: status
#            1, the deal stays, the rerun completes.
#  grown     a conversion killed as soon as either journal is seen to
#            grow (polled), at each of 12 leads: the invariant, then the
#            rerun completes it.
#  race      4 converters of the same leads (in different orders), a
#            deal-add and a lead-move writer on the same journals, run to
#            the end: no deadlock (timeout), one deal per lead, each
#            conversion made once and reported done (or nothing recorded)
#            by the others.
#  timed     rounds of the same writers killed (SIGKILL, whole process
#            groups) at reproducible moments (Park-Miller from a fixed
#            seed, 0.2..1.2 s), on fresh journals each round (every other
#            round with index files); after each the invariant, then every
#            conversion rerun: every lead converted with one deal.
# CONVERT_ROUNDS=N: rounds of the timed test (8; VALGRIND=1: 2, the
# programs run natively here: memcheck would move every aimed moment).
# CONVERT_GROWN=N: kills of the grown test (12).
# Prints failures and a last line "convert: PASS FAIL"; exits 1 on failure.
. "$(dirname "$0")/lib.sh"
ROUNDS=${CONVERT_ROUNDS:-8}
[ "${VALGRIND:-0}" = 1 ] && ROUNDS=${CONVERT_ROUNDS:-2}

RNG='function rnd(n) { seed = (seed * 16807) % 2147483647; return seed % n }'

# invariant LABEL: l.jsonl and d.jsonl in the current directory
invariant() {
	jq -r 'select(.lead_id != null) | [.lead_id, .id] | @tsv' d.jsonl |
	    sort -u > inv.pairs
	jq -r 'select(.stage != null) | [.id, .stage, (.deal_id // "")] |
	    @tsv' l.jsonl > inv.moves
	awk -F '\t' 'FNR == NR { n[$1]++; deal[$1] = $2; next }
	{ st[$1] = $2; did[$1] = $3 }
	END {
		for (l in n)
			if (n[l] > 1) { print "lead " l ": " n[l] " deals"; b = 1 }
		for (l in st) {
			if (st[l] != "converted")
				continue
			if (n[l] != 1) {
				print "converted lead " l ": " n[l] + 0 " deals"
				b = 1
			} else if (did[l] != deal[l]) {
				print "converted lead " l ": deal_id " did[l] \
				    ", its deal " deal[l]
				b = 1
			}
		}
		exit b
	}' inv.pairs inv.moves > inv.out &&
	jq -r 'select(.created_at) | .id' d.jsonl |
	    awk '$1 != "D-" NR { print "deal " $1 " is creation record " NR;
		b = 1 } END { exit b }' >> inv.out
	check "$1: converted leads without exactly one deal, or deal ids" \
	    "out of order"
	show inv.out
}

# seed: leads L-1..L-N (company, owner, source), deals D-1..D-5
seed() {
	awk -v n="$1" 'BEGIN { print "name,email,company,owner,source"
		for (i = 1; i <= n; i++)
			printf "lead %d,l%d@x.example,co %d,rep%d,src%d\n", i, i,
			    i, i % 3, i % 4 }' > seed.csv
	"$BIN/lead-add" -f l.jsonl --at 2026-11-01 < seed.csv > /dev/null &&
	printf 'name,account\nd1,a1\nd2,a2\nd3,a3\nd4,a4\nd5,a5\n' |
	    "$BIN/deal-add" -f d.jsonl --at 2026-11-01 > /dev/null
}

# ===== steps ================================================================
c=$tmp/steps
mkdir -p "$c"
cd "$c" || exit 1
seed 20
check "steps: seeding"
k=0
for idx in off 0; do
	export SALESPIPE_JOURNAL_INDEX=$idx
	for step in lead-locked locked before-deal deal lead; do
		k=$((k + 1))
		lead=L-$k
		conv() {
			"$BIN/lead-move" -f l.jsonl --deals d.jsonl "$lead" \
			    converted --deal amount="$k" name="deal of $lead"
		}
		cp l.jsonl l.before
		cp d.jsonl d.before
		SALESPIPE_TEST_KILL=$step conv > out 2> err
		st=$?
		[ $st -eq 137 ] && [ ! -s out ]
		check "steps: $step (index $idx): status $st, want 137 (killed)"
		show err
		nl=$(($(wc -l < l.jsonl) - $(wc -l < l.before)))
		nd=$(($(wc -l < d.jsonl) - $(wc -l < d.before)))
		case $step in
		deal) wl=0 wd=1 ;;
		lead) wl=1 wd=1 ;;
		*) wl=0 wd=0 ;;
		esac
		{ [ $wl = 1 ] || cmp -s l.jsonl l.before; } &&
		    { [ $wd = 1 ] || cmp -s d.jsonl d.before; } &&
		    [ $nl -eq $wl ] && [ $nd -eq $wd ] &&
		    head -c "$(wc -c < l.before)" l.jsonl | cmp -s - l.before &&
		    head -c "$(wc -c < d.before)" d.jsonl | cmp -s - d.before
		check "steps: $step (index $idx): $nl lead and $nd deal records" \
		    "appended, want $wl and $wd after the old journals"
		if [ $wd = 1 ]; then
			[ "$(tail -n 1 d.jsonl | jq -r '.lead_id')" = "$lead" ]
			check "steps: $step: the deal appended is not $lead's"
		fi
		invariant "steps: $step (index $idx), killed"
		# the rerun completes the conversion
		conv > out 2> err
		st=$?
		did=$(jq -r --arg l "$lead" 'select(.lead_id == $l) | .id' d.jsonl)
		case $step in
		deal) want="lead-move: lead '$lead': deal '$did' in d.jsonl has its lead_id already (an earlier conversion stopped after adding it): recorded the lead's move only; the deal's fields given here were not applied (deal-move changes them)" ;;
		lead) want="lead-move: lead '$lead' is already converted (since 2026-11-26T00:00:00Z), with deal '$did' in d.jsonl: nothing recorded" ;;
		*) want= ;;
		esac
		[ $st -eq 0 ] && [ "$(printf '%s\n' "$did" | wc -l)" -eq 1 ] &&
		    [ -n "$did" ] && [ "$(cat out)" = "$did" ] &&
		    [ "$(cat err)" = "$want" ] &&
		    [ "$(tail -n 1 l.jsonl | jq -r '.id + " " + .stage + " " + .deal_id')" = "$lead converted $did" ]
		check "steps: $step (index $idx): rerun: status $st, stdout" \
		    "'$(cat out)', want 0, one deal ($did) and its id, stderr: $want"
		show err
		invariant "steps: $step (index $idx), rerun"
		# a second rerun records nothing
		cp l.jsonl l.before
		cp d.jsonl d.before
		conv > out 2> err
		st=$?
		[ $st -eq 0 ] && [ "$(cat out)" = "$did" ] &&
		    cmp -s l.jsonl l.before && cmp -s d.jsonl d.before &&
		    grep -q "nothing recorded\$" err
		check "steps: $step (index $idx): second rerun: status $st," \
		    "want 0, nothing recorded"
		show err
	done
done
unset SALESPIPE_JOURNAL_INDEX
# the deal carries the lead's values
jq -r 'select(.lead_id == "L-1") | [.account, .owner, .source, .amount,
    .name, .stage, .created_at] | @tsv' d.jsonl > got
printf 'co 1\trep1\tsrc1\t1.00\tdeal of L-1\tqualification\t2026-11-26T00:00:00Z\n' \
    > want
cmp -s got want
check "steps: the deal of L-1 does not carry the lead's company, owner," \
    "source and the operands"
show got
cd "$tmp" || exit 1

# ===== full =================================================================
# the lead's move fails after the deal was appended (RLIMIT_FSIZE: 100
# blocks, 51200 bytes in dash, 102400 in bash; the lead journal is past
# it, the deals journal far below): status 1, the deal stays, the lead
# journal as before; the rerun completes the conversion
c=$tmp/full
mkdir -p "$c"
cd "$c" || exit 1
seed 1
awk 'BEGIN { print "name,email"
	for (i = 1; i <= 1200; i++)
		printf "padding lead %d with a long name to grow the journal,p%d@x.example\n", i, i }' |
    "$BIN/lead-add" -f l.jsonl > /dev/null
[ "$(wc -c < l.jsonl)" -gt 102400 ] && [ "$(wc -c < d.jsonl)" -lt 40000 ]
check "full: the lead journal is not past 102400 bytes, or the deals" \
    "journal not below 40000 (test bug)"
cp l.jsonl l.before
cp d.jsonl d.before
(ulimit -f 100; exec "$BIN/lead-move" -f l.jsonl --deals d.jsonl L-1 \
    converted --deal amount=1 > out 2> err)
st=$?
[ $st -eq 1 ] && [ ! -s out ] && grep -q "l.jsonl.*File too large" err &&
    cmp -s l.jsonl l.before &&
    [ "$(wc -l < d.jsonl)" -eq $(($(wc -l < d.before) + 1)) ] &&
    [ "$(tail -n 1 d.jsonl | jq -r .lead_id)" = L-1 ]
check "full: the lead's move past ulimit -f: status $st, want 1, 'File" \
    "too large', the lead journal as before, the deal appended"
show err
invariant "full: after the failed lead append"
"$BIN/lead-move" -f l.jsonl --deals d.jsonl L-1 converted --deal amount=1 \
    > out 2> err
st=$?
[ $st -eq 0 ] && [ "$(cat out)" = D-6 ] &&
    grep -q "recorded the lead's move only" err &&
    [ "$(tail -n 1 l.jsonl | jq -r '.stage + " " + .deal_id')" = \
    "converted D-6" ]
check "full: the rerun: status $st, want 0, D-6, the lead's move only"
show err
invariant "full: after the rerun"
cd "$tmp" || exit 1

# ===== grown ================================================================
# kills aimed at the appends: as soon as either journal is seen to grow
# (sizes polled with wc), whichever the program appends to first
c=$tmp/grown
mkdir -p "$c"
cd "$c" || exit 1
NG=${CONVERT_GROWN:-12}
seed "$NG"
check "grown: seeding"
g=0 gnone=0 gdeal=0 gboth=0
while [ $g -lt "$NG" ]; do
	g=$((g + 1))
	sl=$(wc -c < l.jsonl) sd=$(wc -c < d.jsonl)
	"$BIN/lead-move" -f l.jsonl --deals d.jsonl "L-$g" converted --deal \
	    amount="$g" > /dev/null 2>&1 &
	pid=$!
	while [ "$(wc -c < l.jsonl)" -eq "$sl" ] &&
	    [ "$(wc -c < d.jsonl)" -eq "$sd" ] && kill -0 $pid 2> /dev/null
	do
		:
	done
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
	nl=$(($(wc -l < l.jsonl) - $(head -c "$sl" l.jsonl | wc -l)))
	nd=$(($(wc -l < d.jsonl) - $(head -c "$sd" d.jsonl | wc -l)))
	case $nl$nd in
	00) gnone=$((gnone + 1)) ;;
	01) gdeal=$((gdeal + 1)) ;;
	11) gboth=$((gboth + 1)) ;;
	esac
	invariant "grown kill $g ($nl lead and $nd deal records appended)"
	"$BIN/lead-move" -f l.jsonl --deals d.jsonl "L-$g" converted --deal \
	    amount="$g" > out 2> err
	st=$?
	[ $st -eq 0 ] && [ "$(jq -r --arg l "L-$g" \
	    'select(.lead_id == $l) | .id' d.jsonl)" = "$(cat out)" ]
	check "grown kill $g: rerun: status $st, want 0 and the lead's one deal"
	show err
	invariant "grown kill $g: rerun"
done
echo "convert: grown: $NG kills as soon as a journal grew: $gnone" \
    "nothing appended, $gdeal the deal only, $gboth both"
cd "$tmp" || exit 1

# ===== race and timed =======================================================
# converter W of round R (conv.sh W R N): converts leads 1..N in an order
# of its own; dealer and mover: other writers on the same journals
cat > "$tmp/conv.sh" <<'EOF'
: > "up.$1"
awk -v w="$1" -v r="$2" -v n="$3" "$RNG"'BEGIN { seed = r * 100 + w
	for (i = 1; i <= n; i++) v[i] = i
	for (i = n; i > 1; i--) { j = rnd(i) + 1; t = v[i]; v[i] = v[j]; v[j] = t }
	for (i = 1; i <= n; i++) print v[i] }' |
while read -r i; do
	"$BIN/lead-move" -f l.jsonl --deals d.jsonl "L-$i" converted --deal \
	    amount="$i" > "out.$1.$i" 2> "err.$1.$i"
	echo $? > "st.$1.$i"
done
EOF
cat > "$tmp/other.sh" <<'EOF'
: > "up.$1"
i=0
while [ $i -lt 40 ]; do
	i=$((i + 1))
	case $1 in
	deal) "$BIN/deal-add" -f d.jsonl name="other $i" account=o ;;
	move) "$BIN/lead-move" -f l.jsonl "L-$(($3 + 1))" --reopen \
	    contacted ;;
	esac
done > /dev/null 2>&1
EOF
export BIN RNG

c=$tmp/race
mkdir -p "$c"
cd "$c" || exit 1
NR=12
seed $((NR + 1))
# the limit is a guard against a deadlock, far above the run's time on a
# loaded machine (it was 120 s)
for w in 1 2 3 4; do
	timeout 1800 sh ../conv.sh $w 0 $NR &
done
timeout 1800 sh ../other.sh deal 0 $NR &
timeout 1800 sh ../other.sh move 0 $NR &
wait
invariant "race"
# each lead converted by one writer (stderr empty, its deal on stdout),
# the others recorded nothing; no timeout (status 124) or failure
i=0 rbad=0
while [ $i -lt $NR ]; do
	i=$((i + 1))
	did=$(jq -r --arg l "L-$i" 'select(.lead_id == $l) | .id' d.jsonl)
	made=0 none=0
	for w in 1 2 3 4; do
		st=$(cat "st.$w.$i" 2> /dev/null)
		[ "$st" = 0 ] && [ "$(cat "out.$w.$i")" = "$did" ] || rbad=1
		if [ ! -s "err.$w.$i" ]; then
			made=$((made + 1))
		elif grep -q "nothing recorded\$" "err.$w.$i"; then
			none=$((none + 1))
		fi
	done
	[ $made -eq 1 ] && [ $none -eq 3 ] || rbad=1
done
[ $rbad -eq 0 ] && [ "$(jq -r 'select(.name and (.name | startswith("other"))) | .id' d.jsonl | wc -l)" -eq 40 ]
check "race: 4 converters of $NR leads with 2 other writers: each lead" \
    "converted once and found done by the 3 others, 40 other deals added"
cd "$tmp" || exit 1

c=$tmp/timed
mkdir -p "$c"
cd "$c" || exit 1
NT=30
nkill=0 nconv=0 r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	rm -f l.jsonl* d.jsonl*
	seed $((NT + 1))
	if [ $((r % 2)) -eq 0 ]; then
		export SALESPIPE_JOURNAL_INDEX=0
	else
		unset SALESPIPE_JOURNAL_INDEX
	fi
	pids=
	for w in 1 2 3 4; do
		setsid sh ../conv.sh $w $r $NT < /dev/null > /dev/null 2>&1 &
		pids="$pids $!"
	done
	setsid sh ../other.sh deal $r $NT < /dev/null > /dev/null 2>&1 &
	pids="$pids $!"
	setsid sh ../other.sh move $r $NT < /dev/null > /dev/null 2>&1 &
	pids="$pids $!"
	# the moment counts from when every writer runs in its own process
	# group (its first command, after setsid): a kill -9 -PID sent before
	# setsid finds no group, and on a loaded machine the writers may not
	# have started 0.2 s after the fork
	i=0
	while [ "$(ls up.* 2> /dev/null | wc -l)" -lt 6 ] && [ $i -lt 6000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	rm -f up.*
	t=$(awk -v r="$r" "$RNG"'BEGIN { seed = 1213 + r
		printf "%.2f\n", 0.2 + rnd(100) / 100 }')
	sleep "$t"
	for p in $pids; do kill -9 "-$p" 2> /dev/null && nkill=$((nkill + 1)); done
	wait
	for f in l.jsonl d.jsonl; do
		"$BIN/pipeline" --repair "$f" > /dev/null 2>&1
	done
	n=$(jq -r 'select(.lead_id) | .id' d.jsonl | wc -l)
	nconv=$((nconv + n))
	invariant "timed round $r (killed at $t s, $n deals of leads)"
	rm -f out.* err.* st.*
	# every conversion rerun: all done, one deal each
	i=0 rbad=0
	while [ $i -lt $NT ]; do
		i=$((i + 1))
		"$BIN/lead-move" -f l.jsonl --deals d.jsonl "L-$i" converted \
		    --deal amount="$i" > out 2> err || { rbad=1; head -3 err; }
		[ "$(jq -r --arg l "L-$i" 'select(.lead_id == $l) | .id' \
		    d.jsonl)" = "$(cat out)" ] || rbad=1
		[ "$(jq -r --arg l "L-$i" 'select(.id == $l and .stage) |
		    .stage' l.jsonl | tail -n 1)" = converted ] || rbad=1
	done
	[ $rbad -eq 0 ]
	check "timed round $r: rerunning every conversion leaves each of" \
	    "the $NT leads converted with its one deal"
	invariant "timed round $r: after the reruns"
done
unset SALESPIPE_JOURNAL_INDEX
echo "convert: timed: $ROUNDS rounds, $nkill writer groups killed," \
    "$nconv conversions' deals made before the kills"
cd "$tmp" || exit 1

echo "convert: $pass $fail"
[ "$fail" -eq 0 ]
