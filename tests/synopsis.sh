#!/bin/sh
# usage() mirrors the man page SYNOPSIS: for every program with a page,
# the words of `prog --help` (after "usage:") must equal the words of the
# rendered SYNOPSIS.  Prints "synopsis: PASS FAIL".
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
pass=0 fail=0
for m in man/*.1; do
	p=$(basename "$m" .1)
	[ -x "$B/bin/$p" ] || continue
	want=$(mandoc -Tascii "$m" | sed 's/.\x08//g' |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' '  ' |
	    sed 's/^ *//;s/ *$//')
	got=$("$B/bin/$p" --help 2>&1 | sed '1s/^usage: //' | tr -s ' \n' '  ' |
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
