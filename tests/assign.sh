#!/bin/sh
# lead-assign with real concurrent processes, against the build in $1
# (default .).  Expected values are worked out from the rules alone:
#  interleaved  8 processes each add ASSIGN_NL leads one lead-add at a
#               time, each add followed by a lead-assign of the same
#               journal (one rule, every lead to team West of 3, round-
#               robin), all 16 kinds of run racing for the lock: every
#               lead gets exactly one assignment record; the assignments,
#               in journal order, go Ann, Bo, Cy, Ann, ... (the turn is
#               taken from the journal under its lock), so the three
#               counts differ by at most one; what the processes printed
#               is the journal's assignment records, each printed once
#  weighted     the same with weights Ann 2, Bo 1, Cy 1: the counts are
#               2:1:1 exactly
#  at-once      a journal of 300 leads, 8 lead-assigns started at once
#               (rules: a West rule round-robin, a least-open one for the
#               rest): 300 assignment records, one per lead, the rotation
#               as above per rule, the least-open counts within one
#  index        the interleaved test again with the journal's index file
#               kept (SALESPIPE_JOURNAL_INDEX=0): lead-add's checks read
#               the index, which must take in the records lead-assign
#               appends (obj/tests/test_sidecar --dump against a fresh
#               index of the same journal)
#  duplicates   lead-add's duplicates beyond email, with the index file:
#               8 lead-adds at once of one phone number written 8 ways
#               (--default-country 1), and of one company and name in 8
#               cases: one added, 7 refused each time
# ASSIGN_NL=N: leads each writer adds (25).
# Prints failures and a last line "assign: PASS FAIL"; exits 1 on failure.
. "$(dirname "$0")/lib.sh"
PATH=$BIN:$PATH
NW=8 NL=${ASSIGN_NL:-25}

cat > "$tmp/teams.csv" <<'EOF'
owner,team,territory,manager
Ann,West,W,Mia
Bo,West,W,Mia
Cy,West,W,Mia
Dee,East,E,Max
Eve,East,E,Max
EOF
printf 'rule,when,team\nall,,West\n' > "$tmp/all.csv"
printf 'rule,when,team,weight\nall,,West,Ann=2\n' > "$tmp/weighted.csv"
printf 'rule,when,team,how\nwest,state = CA,West,\nrest,,East,least-open\n' \
    > "$tmp/split.csv"

# ids LEADS JOURNAL: the lead ids of the journal's first records, one a line
leads() { jq -r 'select(.assigned_by == null) | .id' "$1" | sort; }
# assigned JOURNAL [RULE]: "id owner" of its assignment records, journal order
assigned() {
	jq -r --arg r "${2:-}" 'select(.assigned_by != null and
	    ($r == "" or .assigned_by == $r)) | "\(.id) \(.owner)"' "$1"
}
# rotation FILE MEMBERS...: the owners (field 2) go round the members in turn
rotation() {
	f=$1; shift
	awk -v m="$*" 'BEGIN { n = split(m, v, " ") }
	    { if ($2 != v[(NR - 1) % n + 1]) { print "line " NR ": " $0 \
	      ", expected " v[(NR - 1) % n + 1]; exit 1 } }' "$f"
}
# spread FILE: the largest count of an owner minus the smallest
spread() {
	awk '{ c[$2]++ } END { for (o in c) { if (mx == "" || c[o] > mx)
	    mx = c[o]; if (mn == "" || c[o] < mn) mn = c[o] }; print mx - mn }' "$1"
}

# interleaved NAME [RULES]: the interleaved test; with weighted.csv the
# counts must be 2:1:1 exactly (the leads are a multiple of 4)
interleaved() {
	d=$tmp/$1 rules=${2:-$tmp/all.csv}
	mkdir -p "$d"
	: > "$d/j.jsonl"
	w=1
	while [ $w -le $NW ]; do
		(
			i=1
			while [ $i -le $NL ]; do
				lead-add -f "$d/j.jsonl" name="w$w-$i" \
				    email="w$w.$i@x.example" >> "$d/add.$w" ||
				    echo "lead-add failed" >> "$d/err"
				lead-assign -f "$d/j.jsonl" --rules "$rules" \
				    --teams "$tmp/teams.csv" >> "$d/out.$w" ||
				    echo "lead-assign failed" >> "$d/err"
				i=$((i + 1))
			done
		) &
		w=$((w + 1))
	done
	wait
	[ ! -s "$d/err" ]
	check "$1: every run exits 0 ($(sort "$d/err" 2>/dev/null | uniq -c))"
	n=$(leads "$d/j.jsonl" | wc -l)
	[ "$n" -eq $((NW * NL)) ]
	check "$1: $((NW * NL)) leads added, found $n"
	assigned "$d/j.jsonl" > "$d/as"
	cut -d' ' -f1 "$d/as" | sort > "$d/as.ids"
	leads "$d/j.jsonl" | cmp -s - "$d/as.ids"
	check "$1: every lead assigned exactly once ($(sort "$d/as.ids" | uniq -d | head -3))"
	if [ "$rules" = "$tmp/weighted.csv" ]; then
		cut -d' ' -f2 "$d/as" | sort | uniq -c | awk '{ print $2, $1 }' \
		    > "$d/counts"
		printf 'Ann %d\nBo %d\nCy %d\n' $((n / 2)) $((n / 4)) $((n / 4)) |
		    cmp -s - "$d/counts"
		check "$1: weights 2:1:1 over $n leads: $(tr '\n' ' ' < "$d/counts")"
	else
		rotation "$d/as" Ann Bo Cy > "$d/rot"
		check "$1: round-robin in journal order: $(cat "$d/rot")"
		[ "$(spread "$d/as")" -le 1 ]
		check "$1: counts differ by at most one"
	fi
	cat "$d"/out.* | jq -r '"\(.id) \(.owner)"' | sort > "$d/printed"
	sort "$d/as" | cmp -s - "$d/printed"
	check "$1: the records printed are the records appended, once each"
}

interleaved interleaved
NL0=$NL
NL=$(( (NL + 3) / 4 * 2 ))	# 8 writers: a multiple of 4 leads
interleaved weighted "$tmp/weighted.csv"
NL=$NL0

# ===== at-once ===============================================================
d=$tmp/once
mkdir -p "$d"
awk 'BEGIN { print "name,email,state"
	for (i = 1; i <= 300; i++)
		printf "n%d,n%d@x.example,%s\n", i, i, i % 3 == 0 ? "CA" : "NY" }' |
    lead-add -f "$d/j.jsonl" --allow-field state > /dev/null
check "at-once: 300 leads added"
w=1
while [ $w -le $NW ]; do
	lead-assign -f "$d/j.jsonl" --rules "$tmp/split.csv" \
	    --teams "$tmp/teams.csv" > "$d/out.$w" 2>&1 &
	w=$((w + 1))
done
wait
assigned "$d/j.jsonl" > "$d/as"
[ "$(wc -l < "$d/as")" -eq 300 ] && [ -z "$(cut -d' ' -f1 "$d/as" | sort | uniq -d)" ]
check "at-once: 300 assignments, one per lead"
assigned "$d/j.jsonl" west > "$d/west"
[ "$(wc -l < "$d/west")" -eq 100 ] && rotation "$d/west" Ann Bo Cy > "$d/rot"
check "at-once: 100 West leads in turn: $(cat "$d/rot" 2>/dev/null)"
assigned "$d/j.jsonl" rest > "$d/rest"
[ "$(wc -l < "$d/rest")" -eq 200 ] && [ "$(spread "$d/rest")" -le 1 ]
check "at-once: 200 least-open leads, counts within one"
[ "$(cat "$d"/out.* | wc -l)" -eq 300 ]
check "at-once: 300 records printed in all"

# ===== index =================================================================
SALESPIPE_JOURNAL_INDEX=0
export SALESPIPE_JOURNAL_INDEX
NL=$(( (NL + 1) / 2 ))
interleaved index
d=$tmp/index
if [ -x "$B/obj/tests/test_sidecar" ]; then
	"$B/obj/tests/test_sidecar" --dump "$d/j.jsonl" lead > "$d/with" 2>&1
	st=$?
	mv "$d/j.jsonl.idx" "$d/kept.idx"
	"$B/obj/tests/test_sidecar" --dump "$d/j.jsonl" lead > "$d/fresh" 2>&1
	tail -n +2 "$d/with" > "$d/with.body"
	tail -n +2 "$d/fresh" > "$d/fresh.body"
	[ $st -eq 0 ] && [ "$(sed -n 1p "$d/fresh")" = "how built" ] &&
	    [ -s "$d/fresh.body" ] && cmp -s "$d/with.body" "$d/fresh.body"
	check "index: the kept index ($(sed -n 1p "$d/with")) answers as one built afresh"
else
	bad "index: no $B/obj/tests/test_sidecar (make units)"
fi

# ===== duplicates ============================================================
# 8 lead-adds at once of one phone number written 8 ways, then of one
# company and name in 8 cases, into a journal with its index file: one
# of each wins, 7 are refused naming it
d=$tmp/dups
mkdir -p "$d"
lead-add -f "$d/j.jsonl" name=seed > /dev/null
k=1
for ph in '(212) 555-0188' '212-555-0188' '+1 212 555 0188' '1 212 555 0188' \
    '212.555.0188 x1' '+1 (212) 5550188' '0012125550188' '2125550188'; do
	lead-add -f "$d/j.jsonl" --default-country 1 name="p$k" phone="$ph" \
	    > "$d/p$k.out" 2> "$d/p$k.err" &
	k=$((k + 1))
done
wait
won=$(cat "$d"/p*.out | wc -l)
refused=$(grep -l "duplicate of lead L-[0-9]* in .*(same phone)" "$d"/p*.err |
    wc -l)
[ "$won" -eq 1 ] && [ "$refused" -eq 7 ]
check "duplicates: one phone 8 ways at once: $won added, $refused refused"
k=1
for nm in 'Ann Lee' 'ann lee' 'ANN LEE' 'Ann lee' 'aNN LEE' 'ann LEE' \
    'ANN lee' 'AnN LeE'; do
	lead-add -f "$d/j.jsonl" name="$nm" company="Init$k" > /dev/null 2>&1
	lead-add -f "$d/j.jsonl" name="$nm" company=INITECH \
	    > "$d/n$k.out" 2> "$d/n$k.err" &
	k=$((k + 1))
done
wait
won=$(cat "$d"/n*.out | wc -l)
refused=$(grep -l "(same company and name)" "$d"/n*.err | wc -l)
[ "$won" -eq 1 ] && [ "$refused" -eq 7 ]
check "duplicates: one company and name 8 ways at once: $won added, $refused refused"

echo "assign: $pass $fail"
[ "$fail" -eq 0 ]
