#!/bin/sh
# usage() mirrors the man page SYNOPSIS: for every program (a cmd/*.c, see
# tests/programs.sh), the words of `prog --help` (after "usage:", up to
# the blank line before the options) must
# equal the words of the rendered SYNOPSIS of man/prog.1.  A program
# without a page, one not built, and a page man/*.1 without a program
# fail.  Prints "synopsis: PASS FAIL".
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
. tests/programs.sh
pass=0 fail=0
for m in man/*.1; do
	[ -f "$m" ] || continue
	p=$(basename "$m" .1)
	if [ ! -f "cmd/$p.c" ]; then
		fail=$((fail + 1))
		echo "FAIL synopsis: $m documents no program (no cmd/$p.c)"
	fi
done
for p in $(programs_all); do
	m=man/$p.1
	if [ ! -f "$m" ]; then
		fail=$((fail + 1))
		echo "FAIL synopsis of $p: no man page $m"
		continue
	fi
	if [ ! -x "$B/bin/$p" ]; then
		fail=$((fail + 1))
		echo "FAIL synopsis of $p: $B/bin/$p is not built"
		continue
	fi
	want=$(mandoc -Tascii "$m" | sed 's/.\x08//g' |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' '  ' |
	    sed 's/^ *//;s/ *$//')
	got=$("$B/bin/$p" --help 2>&1 | sed '/^$/q' | sed '1s/^usage: //' | tr -s ' \n' '  ' |
	    sed 's/^ *//;s/ *$//')
	if [ "$want" = "$got" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL synopsis of $p: man page and --help differ"
		echo "  man:  $want"
		echo "  help: $got"
	fi
done
echo "synopsis: $pass $fail"
[ $fail -eq 0 ]
