#!/bin/sh
# Hostile and broken inputs, run against every read program.  Each case
# tests/bad/<case>/ holds
#   about      what the case is and why the expected behaviour is right
#   in*        the inputs, given as operands in the order of the shell glob
#   files      (optional) the operands instead, one line (nosuch.csv, -, ...)
#   args       (optional) options before the operands, one line
#   stdin      (optional) the standard input, else /dev/null
#   make       (optional) sh script run first in the work directory: makes
#              the huge inputs, FIFOs, unreadable files; it may write
#              `prefix' (command words put before the program); exit 77
#              skips the case, the reason on its standard output
#   stdout, stderr, status
#              expected output, messages and exit status (missing: empty,
#              empty, 0); PROG stands for the program name in stderr, and
#              a line USAGE for the program's usage (its --help)
#   stdout.P, stderr.P, status.P
#              the same for program P only, where it legitimately differs
#   expect/    files the run must leave behind, byte for byte (PROG
#              substituted); expect.P/ for program P only
# Every case runs once per read program (tests/programs.sh finds them: a
# cmd/*.c whose man page SYNOPSIS takes file operands; a program without a
# man page is a failure; BAD_PROGS="p ..." runs only those) in a fresh copy
# of its directory (so that names in messages are the relative ones), with
# the build's bin/ first on PATH, LC_ALL=C, TZ=UTC,
# SALESPIPE_NOW=2026-11-26T00:00:00Z, under timeout $TIMEOUT (a guard
# against a hang: default 300 seconds, 900 for an AddressSanitizer build,
# 1800 with VALGRIND=1).  BAD_EVERY=N runs each case on every Nth program,
# in turn, so that every case and every program still run (make check's
# quick sanitizer pass: 2).  With
# VALGRIND=1 every program runs under valgrind memcheck as in tests/cases.sh
# (any error or definite leak makes it exit 99), each case on every third
# program, in turn (VALGRIND_EVERY=N: every Nth; VALGRIND_ALL=1: on all of
# them; the plain and
# sanitizer passes run every pair).  Prints a diff for each
# failure and ends with the line "bad: PASS FAIL" (one count per case and
# program; skips are printed).  BAD_SAVE=DIR keeps what each failing run
# printed in DIR/<case>/stdout.P, stderr.P, status.P, for review.
# BAD_CASES=PATTERN runs only the cases whose name matches the sh pattern.
. "$(dirname "$0")/lib.sh"
. tests/programs.sh
PROGS=${BAD_PROGS:-$(programs_read)}	# BAD_PROGS: only these (to debug)
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
# each program with the options it requires (tests/programs.sh)
programs_bin "$B/bin" "$tmp/bin" || exit 1
BINPATH=$tmp/bin:$B/bin
# TO: a guard against a program that hangs, not a measure of speed: far
# above any run's time on a loaded machine (a program on the 10 MB inputs
# takes about a second here, 15 times that with AddressSanitizer, 20 to
# 50 times under valgrind; the old limits of 20, 120 and 300 s were too
# close when the other suites shared the processors)
TO=${TIMEOUT:-300}
for p in $PROGS; do
	grep -q __asan_init "$B/bin/$p" 2>/dev/null && TO=${TIMEOUT:-900}
	break
done
if [ "${VALGRIND:-0}" = 1 ]; then
	TO=${TIMEOUT:-1800}
	programs_bin "$B/bin" "$tmp/vg" valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite \
	    --show-leak-kinds=definite || exit 1
	BINPATH=$tmp/vg:$B/bin
fi

# the expected file $1 with PROG replaced by $2, and a line USAGE by the
# usage of program $2 (its --help), into $3
subst() {
	sed "s/PROG/$2/g" "$1" > "$3"
	if grep -qx USAGE "$3"; then
		"$B/bin/$2" --help 2>&1 | sed '/^$/,$d' > "$tmp/usage"
		awk -v u="$tmp/usage" '$0 == "USAGE" {
			while ((getline l < u) > 0) print l
			close(u)
			next
		}
		{ print }' "$3" > "$3.u" && mv "$3.u" "$3"
	fi
}

# first existing of $1.$2 and $1, else /dev/null
pick() {
	if [ -e "$1.$2" ]; then echo "$1.$2"
	elif [ -e "$1" ]; then echo "$1"
	else echo /dev/null
	fi
}

# setup DIR NAME PROG: a fresh copy of case DIR in $w, its make run;
# sets args, ops (the operands), prefix and in (the stdin).  Returns 0,
# 1 when the case is skipped (said once a case, unless $skipped), 2 when
# make failed (counted)
setup() {
	w=$tmp/w
	chmod -R u+rwx "$w" 2>/dev/null
	rm -rf "$w"
	mkdir -p "$w"
	cp -R "$1/." "$w/"
	if [ -f "$w/make" ]; then
		(cd "$w" && sh ./make) >"$tmp/make.out" 2>&1 </dev/null
		_st=$?
		if [ $_st -eq 77 ]; then
			[ $skipped -eq 0 ] &&
			    echo "skip $2: $(head -1 "$tmp/make.out")"
			return 1
		elif [ $_st -ne 0 ]; then
			echo "FAIL $2 ($3): make exited $_st"
			head -5 "$tmp/make.out"
			fail=$((fail + 1))
			return 2
		fi
	fi
	args='' ops='' prefix=''
	[ -f "$w/args" ] && args=$(cat "$w/args")
	[ -f "$w/prefix" ] && prefix=$(cat "$w/prefix")
	if [ -f "$w/files" ]; then
		ops=$(cat "$w/files")
	else
		ops=$(cd "$w" && for f in in*; do [ -e "$f" ] && printf '%s ' "$f"; done)
	fi
	in=/dev/null
	[ -f "$w/stdin" ] && in=$w/stdin
	return 0
}

# each case on every Nth program, in turn
every=${BAD_EVERY:-1}
[ "${VALGRIND:-0}" = 1 ] && [ "${VALGRIND_ALL:-0}" != 1 ] &&
    every=${VALGRIND_EVERY:-3}
[ "$every" -ge 1 ] 2>/dev/null || every=1
vgskip=0 ci=0
for d in tests/bad/*/; do
	d=${d%/}
	name=${d#tests/bad/}
	[ -f "$d/about" ] || continue
	case $name in ${BAD_CASES:-*}) ;; *) continue;; esac
	skipped=0 ci=$((ci + 1)) pi=0
	for p in $PROGS; do
		[ "$p" = report ] && continue	# below
		pi=$((pi + 1))
		if [ $(((ci + pi) % every)) -ne 0 ]; then
			vgskip=$((vgskip + 1))
			continue
		fi
		setup "$d" "$name" "$p"
		case $? in
		1) skipped=1; continue ;;
		2) continue ;;
		esac
		(
			cd "$w" || exit 98
			set -f	# args, prefix and files are split on blanks, never globbed
			unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
			PATH="$BINPATH:$PATH" LC_ALL=C TZ=UTC \
			SALESPIPE_NOW=2026-11-26T00:00:00Z \
			exec timeout "$TO" $prefix "$p" $args $ops
		) <"$in" >"$tmp/out" 2>"$tmp/err"
		st=$?
		ok=1
		subst "$(pick "$w/stdout" "$p")" "$p" "$tmp/want.out"
		subst "$(pick "$w/stderr" "$p")" "$p" "$tmp/want.err"
		want=0
		sf=$(pick "$w/status" "$p")
		[ "$sf" != /dev/null ] && want=$(cat "$sf")
		if [ $st -eq 124 ]; then
			ok=0
			echo "FAIL $name ($p): timed out after ${TO}s"
		elif [ "$st" != "$want" ]; then
			ok=0
			echo "FAIL $name ($p): exit status $st, want $want"
		fi
		if ! cmp -s "$tmp/want.out" "$tmp/out"; then
			ok=0
			echo "FAIL $name ($p): stdout differs"
			diff -u "$tmp/want.out" "$tmp/out" | head -20 | cut -c1-300 | cat -v
		fi
		if ! cmp -s "$tmp/want.err" "$tmp/err"; then
			ok=0
			echo "FAIL $name ($p): stderr differs"
			diff -u "$tmp/want.err" "$tmp/err" | head -20 | cut -c1-300 | cat -v
		fi
		e=
		[ -d "$w/expect" ] && e=$w/expect
		[ -d "$w/expect.$p" ] && e=$w/expect.$p
		if [ -n "$e" ]; then
			for f in "$e"/*; do
				f=${f##*/}
				subst "$e/$f" "$p" "$tmp/want.file"
				if ! cmp -s "$tmp/want.file" "$w/$f"; then
					ok=0
					echo "FAIL $name ($p): file $f differs"
					diff -u "$tmp/want.file" "$w/$f" 2>&1 |
					    head -20 | cut -c1-300 | cat -v
				fi
			done
		fi
		if [ $ok -eq 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			if [ -n "$BAD_SAVE" ]; then
				mkdir -p "$BAD_SAVE/$name"
				cp "$tmp/out" "$BAD_SAVE/$name/stdout.$p"
				cp "$tmp/err" "$BAD_SAVE/$name/stderr.$p"
				echo "$st" >"$BAD_SAVE/$name/status.$p"
			fi
		fi
	done
done
# report runs the read programs (tests/programs.sh): every case once more
# through report, its one section win-rate (or lead-response, for a case
# of leads): report must exit as win-rate is expected to, with win-rate's
# expected messages (the report's own "section ... exited" line aside),
# and, when win-rate writes rows, as many rows.  A case whose options
# report does not take (--rejects, -g, ...) is skipped, said once.
if [ -z "$BAD_PROGS" ] || [ "$BAD_PROGS" = report ]; then
	printf 'section s\nrun win-rate {deals}\n' >"$tmp/report.spec"
	ropts=$("$B/bin/report" --help | sed -n 's/^  *\(-., \)\{0,1\}\(--[a-z-]*\).*/\2/p')
	rskip=0
	rp=win-rate
	ri=0
	for d in tests/bad/*/; do
		d=${d%/}
		name=${d#tests/bad/}
		[ -f "$d/about" ] || continue
		case $name in ${BAD_CASES:-*}) ;; *) continue;; esac
		ri=$((ri + 1))
		[ $((ri % every)) -ne 0 ] && { vgskip=$((vgskip + 1)); continue; }
		args=
		[ -f "$d/args" ] && args=$(cat "$d/args")
		unknown=
		for a in $args; do
			case $a in
			--*) printf '%s\n' "$ropts" | grep -qx -- "${a%%=*}" ||
			    unknown=$a ;;
			-?) unknown=$a ;;
			esac
		done
		if [ -n "$unknown" ]; then
			rskip=$((rskip + 1))
			continue
		fi
		skipped=1	# said by the loop above
		setup "$d" "$name" report || continue
		(
			cd "$w" || exit 98
			set -f
			unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS
			PATH="$BINPATH:$PATH" LC_ALL=C TZ=UTC \
			SALESPIPE_NOW=2026-11-26T00:00:00Z \
			exec timeout "$TO" $prefix report --spec "$tmp/report.spec" \
			    -o jsonl $args $ops
		) <"$in" >"$tmp/out" 2>"$tmp/err"
		st=$?
		ok=1
		want=0
		sf=$(pick "$w/status" "$rp")
		[ "$sf" != /dev/null ] && want=$(cat "$sf")
		subst "$(pick "$w/stderr" "$rp")" "$rp" "$tmp/want.err"
		subst "$(pick "$w/stdout" "$rp")" "$rp" "$tmp/want.out"
		grep -v '^report: section s: ' "$tmp/err" >"$tmp/err.s"
		if [ "$st" != "$want" ]; then
			ok=0
			echo "FAIL $name (report): exit status $st, want $want (win-rate's)"
		fi
		if ! cmp -s "$tmp/want.err" "$tmp/err.s"; then
			ok=0
			echo "FAIL $name (report): stderr differs from win-rate's"
			diff -u "$tmp/want.err" "$tmp/err.s" | head -20 | cut -c1-300 | cat -v
		fi
		rows=$(grep -c '^{"section":"s",' "$tmp/out")
		wrows=$(($(wc -l <"$tmp/want.out") - 1))
		if [ "$want" = 0 ] && [ "$wrows" -ge 0 ] &&
		    [ "$rows" -ne "$wrows" ] && ! grep -q '"' "$tmp/want.out"; then
			ok=0
			echo "FAIL $name (report): $rows rows, win-rate's $wrows"
		fi
		if [ $ok -eq 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	done
	[ $rskip -gt 0 ] && echo "skip report: $rskip cases with options report does not take"
fi
[ $vgskip -gt 0 ] && echo "bad: $vgskip case and program pairs left to" \
    "the other passes (one in $every runs here)"
echo "bad: $pass $fail"
[ $fail -eq 0 ]
