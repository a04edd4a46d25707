#!/bin/sh
# Property tests of the programs against the build in $1 (default .), with
# seeded randomness so that a failure repeats (SEEDS="1 2 3" for max-bad,
# PIPE_SEEDS for pipe, PIPE_OPTS for the options tried besides none):
#  pipe    the input fed through a pipe in random-sized chunks with small
#          pauses gives the same output as the file itself (the reader's
#          own chunking is tests/unit/test_chunks.c);
#  max-bad K bad records (bad value, unknown stage, ragged row or invalid
#          JSON) inserted at random places: with --max-bad K --rejects F
#          stderr names exactly those records by file:line, F holds
#          exactly them, stdout is the output of the clean file; with
#          --max-bad K-1 the run fails with status 1.
#  format  the same records as CSV and as JSON lines give the same output
#          (-o csv), as snapshots and as histories;
#  split   the input cut in two files at a random record (a CSV header in
#          both) gives the output of the whole file (ORDER_SEEDS);
#  order   the records in a random order give the same output: exactly, but
#          for pipeline, whose rows come in the order of each deal's first
#          record, the same rows (sorted); forecast's montecarlo (not a
#          default method) takes its deals in input order and is left out.
#  report  each section of the built-in spec equals its program run alone
#          (REPORT_SEEDS), and salespipe-report(5) lists that spec.
# Every read program (tests/programs.sh finds them), on examples/ (CSV and
# JSON lines, snapshot and history); pipeline folds histories only, so it
# runs on the history inputs alone (its refusal of snapshots is in
# tests/bad); PIPE_OPTS are tried only on programs whose usage has them.
# Prints failures and a last line "property: PASS FAIL".  VALGRIND=1 runs
# the programs under memcheck.
. "$(dirname "$0")/lib.sh"
SEEDS=${SEEDS:-"1 2 3 4 5"}
PIPE_SEEDS=${PIPE_SEEDS:-"1 2"}
PIPE_OPTS=${PIPE_OPTS-"-g owner"}
ORDER_SEEDS=${ORDER_SEEDS:-"1"}
. tests/programs.sh
PROGS=${PROPERTY_PROGS:-$(programs_read)}	# PROPERTY_PROGS: only these (to debug)
for p in $(programs_no_page); do
	echo "FAIL $p: no man page man/$p.1 (tests/programs.sh cannot tell whether it reads records)"
	fail=$((fail + 1))
done
for p in $PROGS; do
	if [ ! -x "$B/bin/$p" ]; then
		echo "FAIL $p: $B/bin/$p is not built"
		fail=$((fail + 1))
	fi
done
# now after the last record of examples/ (closes up to 2026-11-29): on a
# snapshot a close after now is left out with a warning (see forecast(1))
export SALESPIPE_NOW=2026-12-01T00:00:00Z
# the runs under test, and the runs that give the expected output: each
# program with the options it requires (tests/programs.sh)
programs_bin "$B/bin" "$tmp/bin" && programs_bin "$B/bin" "$tmp/ref" || exit 1
BIN=$tmp/bin REF=$tmp/ref
PIPE_INPUTS="deals.csv deals.jsonl history.csv history.jsonl
	activities.csv activities.jsonl"
if [ "${VALGRIND:-0}" = 1 ]; then
	# memcheck is slow: the first seed of each list only, no -g, the
	# first 300 lines of each input, pipes only for the variants below
	PIPE_INPUTS=
	SEEDS=${SEEDS%% *} PIPE_SEEDS=${PIPE_SEEDS%% *} PIPE_OPTS=
	programs_bin "$B/bin" "$tmp/bin" valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite \
	    --show-leak-kinds=definite || exit 1
fi

# lint's findings name each record's file and line, which a pipe, a split,
# a shuffle or the other format change: its properties are those of its
# counts (--summary), with bad records reported as by the other programs
# (--skip unreadable), so that max-bad holds too.  (PROGS is one name a
# line: the wrappers are what decides, not a match on the list.)
for d in "$tmp/bin" "$tmp/ref"; do
	[ -f "$d/lint" ] || continue
	mv "$d/lint" "$d/lint.all"
	printf '#!/bin/sh\nexec "%s" --summary --skip unreadable "$@"\n' \
	    "$d/lint.all" >"$d/lint"
	chmod +x "$d/lint"
done

# takes PROG FILE: whether PROG reads FILE's kind of input (a program whose
# SYNOPSIS reads histories refuses snapshots: tests/programs.sh); FILE may
# be a kind (deals, history, activities).  selling-time reads activities
# only; the deal programs read no activities.
takes() {
	case $1 in
	selling-time)
		case $2 in *activities*) return 0 ;; *) return 1 ;; esac ;;
	esac
	case $2 in
	*activities*) return 1 ;;
	*history*) return 0 ;;
	esac
	! program_history_only "$1"
}

# opts_of PROG: the PIPE_OPTS that PROG's usage has (-g fields: -g ...)
opts_of() {
	[ -n "$PIPE_OPTS" ] || return 0
	"$B/bin/$1" --help 2>&1 | grep -q -- "\\[${PIPE_OPTS%% *} " &&
	    echo "$PIPE_OPTS"
}

# Park-Miller numbers in awk (the same in every awk, unlike rand()).
RNG='function rnd(n) { seed = (seed * 16807) % 2147483647; return seed % n }'

# ---- inputs ---------------------------------------------------------------
# The examples, plus variants with CRLF, a BOM, and a first column whose
# quoted values hold newlines, doubled quotes and commas (programs ignore
# unknown columns), and JSON lines with escapes and multi-byte UTF-8.
for f in deals.csv deals.jsonl history.csv history.jsonl activities.csv \
    activities.jsonl; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		# memcheck is slow: 300 records (and the CSV header)
		case $f in
		*.csv) head -n 301 "examples/$f" > "$tmp/$f" ;;
		*) head -n 300 "examples/$f" > "$tmp/$f" ;;
		esac
	else
		cp "examples/$f" "$tmp/"
	fi
done
awk '{ printf "%s\r\n", $0 }' "$tmp/history.csv" > "$tmp/history-crlf.csv"
awk 'NR == 1 { printf "\357\273\277note,%s\n", $0; next }
	NR % 7 == 0 { printf "\"two\nlines, \"\"q\"\"\",%s\n", $0; next }
	NR % 5 == 0 { printf "\"\",%s\n", $0; next }
	{ printf "plain %d,%s\n", NR, $0 }' "$tmp/deals.csv" > "$tmp/deals-quoted.csv"
awk 'NR % 3 == 0 {
		printf "{\"note\":\"a\\\"b\\\\c\\n\\ud83d\\ude00 \303\251,\"  ,%s\n",
		    substr($0, 2)
		next
	}
	{ print }' "$tmp/deals.jsonl" > "$tmp/deals-escaped.jsonl"
PIPE_INPUTS="$PIPE_INPUTS history-crlf.csv deals-quoted.csv
	deals-escaped.jsonl"

# ---- pipe: random chunks --------------------------------------------------
# chunks SEED FILE: FILE on stdout in reads of 1..32768 bytes (one in four
# of at most 64), a pause of 10 ms after about one in four.
chunks() {
	size=$(wc -c < "$2")
	awk -v seed="$1" -v size="$size" "$RNG"'
	BEGIN {
		seed = seed * 7919 + 1
		for (off = 0; off < size; off += n) {
			n = 1 + rnd(rnd(4) == 0 ? 64 : 32768)
			print n, rnd(4) == 0
		}
	}' | {
		while read -r n pause; do
			dd bs="$n" count=1 2>/dev/null <&3
			[ "$pause" = 1 ] && sleep 0.01
		done
	} 3< "$2"
}

for f in $PIPE_INPUTS; do
	for p in $PROGS; do
		takes "$p" "$f" || continue
		popts=$(opts_of "$p")
		for opt in "" ${popts:+"$popts"}; do
			"$REF/$p" $opt "$tmp/$f" > "$tmp/want" 2> "$tmp/err"
			st=$?
			if [ $st -ne 0 ] || [ -s "$tmp/err" ]; then
				bad "pipe $p $opt $f: status $st on the file"
				head -5 "$tmp/err"
				continue
			fi
			seeds=$PIPE_SEEDS
			[ -n "$opt" ] && seeds=${PIPE_SEEDS%% *}	# -g: one seed
			for s in $seeds; do
				chunks "$s" "$tmp/$f" | "$BIN/$p" $opt > "$tmp/got" \
				    2> "$tmp/err"
				st=$?
				if [ $st -ne 0 ] || ! cmp -s "$tmp/want" "$tmp/got"; then
					bad "pipe $p $opt $f seed $s: status $st," \
					    "output differs from the file's"
					diff "$tmp/want" "$tmp/got" | head -10
					head -5 "$tmp/err"
				else
					ok
				fi
			done
		done
	done
done

# ---- max-bad --------------------------------------------------------------
# insert SEED K KIND FIELD IN OUT LIST: copy IN to OUT with K bad records
# at random places (never before a CSV header); LIST gets one line per bad
# record, "LINE<tab>TEXT", in file order.  KIND: csv-deals, csv-history,
# jsonl-deals, jsonl-history, csv-activities, jsonl-activities (bad
# minutes, no type, a ragged row or invalid JSON).  FIELD: the field made
# bad for "value" records (amount or close_date: one the program parses;
# activities: minutes).
insert() {
	awk -v seed="$1" -v k="$2" -v kind="$3" -v field="$4" -v list="$7" \
	    "$RNG"'
	function rec(i,    t, v, bt) {
		t = rnd(3)	# 0 bad value, 1 unknown stage, 2 ragged/invalid
		id = "BAD" i
		if (kind == "csv-activities") {
			# the columns of deal-gen: id,at,end_at,minutes,owner,type,
			# deal_id,lead_id,outcome
			if (t == 2)
				return id ",three"
			return id ",2026-11-18T09:00:00Z,," \
			    (t == 0 ? "12.5" : "30") \
			    ",\"Bad, \"\"quoted\"\" owner\"," \
			    (t == 1 ? "" : "call") ",,,"
		}
		if (kind == "jsonl-activities") {
			if (t == 2)
				return "{\"at\":"
			return "{\"at\":\"2026-11-18T09:00:00Z\",\"owner\":" \
			    "\"Bad \\\"quoted\\\" owner\"," \
			    (t == 1 ? "" : "\"type\":\"call\",") \
			    "\"minutes\":" (t == 0 ? "\"12.5\"" : "30") "}"
		}
		if (kind == "csv-deals") {
			if (t == 2)
				return id ",\"Bad, deal\",three"
			return id ",\"Bad, deal " i "\",Bad Acct,Zed Bad," \
			    (t == 1 ? "closing" : "won") "," \
			    (t == 0 && field == "amount" ? "12.3.4" : "100.00") \
			    ",USD,100," (t == 0 && field == "created_at" ? \
			    "2026-13-01T00:00:00Z" : "2026-01-01T00:00:00Z") "," \
			    (t == 0 && field == "close_date" ? "2026-02-30" : \
			    "2026-02-01") \
			    ",2026-02-01T00:00:00Z,closed,,,Web,Starter,East"
		}
		if (kind == "csv-history") {
			if (t == 2)
				return id ",2026-01-01T00:00:00Z"
			return id "," (t == 0 && field == "created_at" ? \
			    "2026-13-01T00:00:00Z" : "2026-01-01T00:00:00Z") "," \
			    (t == 1 ? "closing" : "won") "," \
			    (t == 0 && field == "amount" ? "12.3.4" : "100.00") \
			    "," (t == 0 && field == "close_date" ? "2026-02-30" : \
			    "2026-02-01") ",\"Bad, \"\"quoted\"\" owner\""
		}
		if (t == 2)
			return "{\"id\":\"" id "\",\"stage\":"
		v = "{\"id\":\"" id "\","
		bt = t == 0 && field == "created_at" ? "2026-13-01T00:00:00Z" : \
		    "2026-01-01T00:00:00Z"
		if (kind == "jsonl-history")
			v = v "\"at\":\"" bt "\","
		else
			v = v "\"name\":\"Bad \\\"quoted\\\" deal\"," \
			    "\"currency\":\"USD\"," \
			    "\"created_at\":\"" bt "\"," \
			    "\"closed_at\":\"2026-02-01T00:00:00Z\","
		return v "\"stage\":\"" (t == 1 ? "closing" : "won") "\"," \
		    "\"amount\":" (t == 0 && field == "amount" ? "\"12.3.4\"" : \
		    "100.00") ",\"close_date\":\"" \
		    (t == 0 && field == "close_date" ? "2026-02-30" : \
		    "2026-02-01") "\"}"
	}
	{ line[NR] = $0 }
	END {
		head = kind ~ /^csv/
		n = NR - head		# data records, all one line each
		seed = seed * 104729 + k
		for (i = 0; i < k; ) {
			p = 1 + rnd(n + 1)	# before data record p (n+1: at the end)
			if (!(p in at)) {
				at[p] = 1
				i++
			}
		}
		out = 0
		if (head)
			print line[++out]
		nb = 0
		for (p = 1; p <= n + 1; p++) {
			if (p in at) {
				r = rec(++nb)
				print r
				out++
				printf "%d\t%s\n", out, r > list
			}
			if (p <= n) {
				print line[p + head]
				out++
			}
		}
	}' "$5" > "$6"
}

# Expected rejects file from the stderr lines and the list of records.
expect_rejects() {	# FILE PROG ERR LIST
	printf 'file,line,field,reason,record\n'
	grep "^$2: $1:[0-9]*: " "$3" | awk -v prog="$2" -v file="$1" -v list="$4" '
	function q(s) {
		if (s !~ /[",\r\n]/)
			return s
		gsub(/"/, "\"\"", s)
		return "\"" s "\""
	}
	{
		s = substr($0, length(prog) + length(file) + 4)
		ln = s; sub(/:.*/, "", ln)
		s = substr(s, length(ln) + 3)
		field = ""
		if (s ~ /^field \047[^\047]*\047: /) {
			field = s
			sub(/^field \047/, "", field)
			sub(/\047: .*/, "", field)
			s = substr(s, length(field) + 11)
		}
		getline l < list
		t = index(l, "\t")
		printf "%s,%s,%s,%s,%s\n", q(file), ln, q(field), q(s),
		    q(substr(l, t + 1))
	}'
}

for f in deals.csv deals.jsonl history.csv history.jsonl activities.csv \
    activities.jsonl; do
	case $f in
	activities.csv) kind=csv-activities ;;
	activities.jsonl) kind=jsonl-activities ;;
	deals.csv) kind=csv-deals ;;
	history.csv) kind=csv-history ;;
	deals.jsonl) kind=jsonl-deals ;;
	history.jsonl) kind=jsonl-history ;;
	esac
	ext=${f##*.}
	for p in $PROGS; do
		takes "$p" "$f" || continue
		# the bad value must be in a field the program parses (pipeline
		# passes amounts through)
		field=amount
		case $p in cycle-time|pipeline) field=close_date ;;
		selling-time) field=minutes ;; esac
		# a program of leads reads no amount: their creation time (a
		# history's first at)
		program_reads_leads "$p" && field=created_at
		"$REF/$p" "$tmp/$f" > "$tmp/clean" 2> "$tmp/err" ||
		    { bad "max-bad $p $f: fails on the clean file"; continue; }
		for s in $SEEDS; do
			k=$(awk -v seed="$s" -v f="$f$p" 'BEGIN {
				for (i = 1; i <= length(f); i++)
					seed = (seed * 31 + index("abcdefghijklmnopqrstuvwxyz.-", substr(f, i, 1))) % 1000003
				print 1 + seed % 5 }')
			in=$tmp/bad-$s.$ext
			rm -f "$tmp/list"
			insert "$s" "$k" "$kind" "$field" "$tmp/$f" "$in" "$tmp/list"
			what="max-bad $p $f seed $s (K=$k)"
			"$BIN/$p" --max-bad "$k" --rejects "$tmp/rej" "$in" \
			    > "$tmp/out" 2> "$tmp/err"
			st=$?
			good=1
			if [ $st -ne 0 ]; then
				good=0
				echo "FAIL $what: exit status $st, want 0"
			fi
			# stderr: K places, those of the list, then the summary
			cut -f1 "$tmp/list" | sed "s|^|$p: $in:|; s|\$|:|" \
			    > "$tmp/wantplaces"
			grep -o "^$p: $in:[0-9]*:" "$tmp/err" > "$tmp/gotplaces"
			if ! cmp -s "$tmp/wantplaces" "$tmp/gotplaces" ||
			    [ "$(wc -l < "$tmp/err")" -ne $((k + 1)) ] ||
			    [ "$(tail -n 1 "$tmp/err")" != \
			    "$p: $k bad record$([ "$k" -gt 1 ] && echo s) skipped (--max-bad $k)" ]; then
				good=0
				echo "FAIL $what: stderr does not name exactly the bad records"
				diff "$tmp/wantplaces" "$tmp/gotplaces" | head -10
				head -8 "$tmp/err"
			fi
			expect_rejects "$in" "$p" "$tmp/err" "$tmp/list" \
			    > "$tmp/wantrej"
			if ! cmp -s "$tmp/wantrej" "$tmp/rej"; then
				good=0
				echo "FAIL $what: the rejects file differs"
				diff "$tmp/wantrej" "$tmp/rej" | head -10
			fi
			if ! cmp -s "$tmp/clean" "$tmp/out"; then
				good=0
				echo "FAIL $what: stdout differs from the clean file's"
				diff "$tmp/clean" "$tmp/out" | head -10
			fi
			"$REF/$p" --max-bad $((k - 1)) --rejects "$tmp/rej" "$in" \
			    > /dev/null 2> "$tmp/err"
			st=$?
			if [ $st -ne 1 ]; then
				good=0
				echo "FAIL $what: --max-bad $((k - 1)): exit status $st, want 1"
			fi
			if [ $good -eq 1 ]; then
				ok
			else
				fail=$((fail + 1))
			fi
		done
	done
done

# ---- format: CSV and JSON lines ------------------------------------------
for k in deals history activities; do
	for p in $PROGS; do
		takes "$p" "$k" || continue
		popts=$(opts_of "$p")
		for opt in "" ${popts:+"$popts"}; do
			"$BIN/$p" $opt -o csv "$tmp/$k.csv" > "$tmp/a" 2> "$tmp/err"
			st1=$?
			"$BIN/$p" $opt -o csv "$tmp/$k.jsonl" > "$tmp/b" 2>> "$tmp/err"
			st2=$?
			if [ $st1 -ne 0 ] || [ $st2 -ne 0 ] || [ -s "$tmp/err" ] ||
			    ! cmp -s "$tmp/a" "$tmp/b"; then
				bad "format $p $opt $k: CSV (status $st1) and JSON" \
				    "lines (status $st2) differ"
				diff "$tmp/a" "$tmp/b" | head -10
				head -5 "$tmp/err"
			else
				ok
			fi
		done
	done
done

# ---- split and order ------------------------------------------------------
# shuffle SEED IN OUT: IN's records in a random order (a CSV header first;
# every record of examples/ is one line)
shuffle() {
	awk -v seed="$1" -v csv="$(case $2 in *.csv) echo 1 ;; esac)" "$RNG"'
	BEGIN { seed = seed * 7919 + 3 }
	csv && NR == 1 { print "0 " $0; next }
	{ print 1 + rnd(2147483646), $0 }' "$2" | sort -n -s | cut -d' ' -f2- > "$3"
}
# cut SEED IN OUT1 OUT2: IN in two at a random record (the CSV header in both)
cut_in_two() {
	awk -v seed="$1" -v csv="$(case $2 in *.csv) echo 1 ;; esac)" \
	    -v o1="$3" -v o2="$4" "$RNG"'
	{ line[NR] = $0 }
	END {
		seed = seed * 104729 + 5
		h = csv ? 1 : 0
		k = h + 1 + rnd(NR - h)	# the first record of the second file
		for (i = 1; i <= NR; i++) {
			if (i <= h) { print line[i] > o1; print line[i] > o2 }
			else if (i < k) print line[i] > o1
			else print line[i] > o2
		}
	}' "$2"
}
# canon PROG FILE: the output as compared for order (pipeline: sorted rows)
canon() {
	if [ "$1" = pipeline ]; then
		head -n 1 "$2"
		tail -n +2 "$2" | sort
	else
		cat "$2"
	fi
}
for f in deals.csv deals.jsonl history.csv history.jsonl activities.csv \
    activities.jsonl; do
	ext=${f##*.}
	for p in $PROGS; do
		takes "$p" "$f" || continue
		popts=$(opts_of "$p")
		for opt in "" ${popts:+"$popts"}; do
			if ! "$REF/$p" $opt -o csv "$tmp/$f" > "$tmp/want" 2> "$tmp/err" ||
			    [ -s "$tmp/err" ]; then
				bad "split/order $p $opt $f: fails on the file"
				head -5 "$tmp/err"
				continue
			fi
			for s in $ORDER_SEEDS; do
				cut_in_two "$s" "$tmp/$f" "$tmp/c1.$ext" "$tmp/c2.$ext"
				"$BIN/$p" $opt -o csv "$tmp/c1.$ext" "$tmp/c2.$ext" \
				    > "$tmp/got" 2> "$tmp/err"
				st=$?
				if [ $st -ne 0 ] || ! cmp -s "$tmp/want" "$tmp/got"; then
					bad "split $p $opt $f seed $s: status $st," \
					    "output differs from the whole file's"
					diff "$tmp/want" "$tmp/got" | head -10
					head -5 "$tmp/err"
				else
					ok
				fi
				shuffle "$s" "$tmp/$f" "$tmp/sh.$ext"
				"$BIN/$p" $opt -o csv "$tmp/sh.$ext" > "$tmp/got" \
				    2> "$tmp/err"
				st=$?
				canon "$p" "$tmp/want" > "$tmp/want.c"
				canon "$p" "$tmp/got" > "$tmp/got.c"
				if [ $st -ne 0 ] || ! cmp -s "$tmp/want.c" "$tmp/got.c"; then
					bad "order $p $opt $f seed $s: status $st," \
					    "output differs from the file's in its order"
					diff "$tmp/want.c" "$tmp/got.c" | head -10
					head -5 "$tmp/err"
				else
					ok
				fi
			done
		done
	done
done

# report: each section of the built-in spec (as salespipe-report(5) lists
# it) gives the rows of its program run alone with the same arguments and
# now, on generated histories and snapshots (REPORT_SEEDS); and the page's
# listing run as a --spec gives what the built-in spec gives.  The
# programs run alone from the build, not through the suite's wrappers
# (which give a lead program the deal stages).
sed -n '/^\.Sh THE BUILT-IN SPEC/,/^\.Sh /p' man/salespipe-report.5 |
    sed -n '/^\.Bd -literal/,/^\.Ed/p' | sed -e '1d' -e '$d' \
    -e 's/\\e/\\/g' -e 's/\\&//g' > "$tmp/builtin.spec"
EX=$(cd examples && pwd)
now=2026-11-30T00:00:00Z
for s in ${REPORT_SEEDS:-1 2}; do
	"$BIN/deal-gen" -n 300 -s "$s" --history "$tmp/rh.csv" > "$tmp/rs.csv"
	for f in rh rs; do
		in=$tmp/$f.csv
		"$BIN/report" -o jsonl --now "$now" --quota "$EX/quota.csv" \
		    --leads "$EX/leads.csv" --activities "$EX/activities.csv" \
		    "$in" > "$tmp/report.out" 2> "$tmp/report.err"
		st=$?
		"$BIN/report" -o jsonl --now "$now" --quota "$EX/quota.csv" \
		    --leads "$EX/leads.csv" --activities "$EX/activities.csv" \
		    --spec "$tmp/builtin.spec" "$in" > "$tmp/report.man" 2>/dev/null
		if ! cmp -s "$tmp/report.out" "$tmp/report.man"; then
			bad "report seed $s $f: salespipe-report(5)'s built-in spec gives other rows than report's"
			diff "$tmp/report.out" "$tmp/report.man" | head -5
		else
			ok
		fi
		# the same input on stdin (kept for every section, and for
		# forecast's passes)
		"$BIN/report" -o jsonl --now "$now" --quota "$EX/quota.csv" \
		    --leads "$EX/leads.csv" --activities "$EX/activities.csv" \
		    < "$in" > "$tmp/report.stdin" 2>/dev/null
		if ! cmp -s "$tmp/report.out" "$tmp/report.stdin"; then
			bad "report seed $s $f: other rows from stdin than from the file"
			diff "$tmp/report.out" "$tmp/report.stdin" | head -5
		else
			ok
		fi
		if [ $st -ne 0 ]; then
			bad "report seed $s $f: status $st"
			head -5 "$tmp/report.err"
		fi
		sec=
		while read -r kw rest; do
			case $kw in
			section) sec=$rest; continue ;;
			run) ;;
			*) continue ;;
			esac
			set -f
			set -- $rest
			set +f
			prog=$1
			shift
			args=
			for w in "$@"; do
				case $w in
				'{deals}') w=$in ;;
				'{quota}') w=$EX/quota.csv ;;
				'{leads}') w=$EX/leads.csv ;;
				'{activities}') w=$EX/activities.csv ;;
				'{now}') w=$now ;;
				'{week-ago}') w=2026-11-23T00:00:00Z ;;
				esac
				args="$args $w"
			done
			grep "^{\"section\":\"$sec\"," "$tmp/report.out" |
			    grep -v '"report_\(status\|crossed\)"' > "$tmp/got"
			if grep -q "^{\"section\":\"$sec\",\"report_status\":\"skipped\"" \
			    "$tmp/report.out"; then
				# only a section that needs a history, on a snapshot
				if [ "$f" = rs ] && sed -n "/^section $sec\$/,/^section /p" \
				    "$tmp/builtin.spec" | grep -q '^needs history$'; then
					ok
				else
					bad "report seed $s $f: section $sec skipped"
				fi
				continue
			fi
			"$B/bin/$prog" -o jsonl --now "$now" $args 2>/dev/null |
			    sed "s/^{/{\"section\":\"$sec\",/" > "$tmp/want"
			if cmp -s "$tmp/want" "$tmp/got" && [ -s "$tmp/want" ]; then
				ok
			else
				bad "report seed $s $f: section $sec differs from $prog$args"
				diff "$tmp/want" "$tmp/got" | head -5
			fi
		done < "$tmp/builtin.spec"
	done
done

echo "property: $pass $fail"
[ $fail -eq 0 ]
