#!/bin/sh
# Every line of a man page's EXAMPLES section that is shown as a command
# (.Dl, or the lines of a .Bd -literal block starting with "$ ") runs in
# examples/ (the bundled sample data) with the build's bin/ first on PATH,
# and must exit 0 and print something.  Prints "examples: PASS FAIL".
# Under valgrind (tests/cases.sh sets BINPATH to its memcheck wrappers,
# VALGRIND=1) every other example runs under memcheck and the rest on the
# plain build, alternating (VALGRIND_ALL=1: every one under memcheck).
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
pass=0 fail=0 n=0
for m in man/*.[157]; do
	[ -f "$m" ] || continue
	awk '
		/^\.Sh / { ex = ($2 == "EXAMPLES") ; next }
		!ex { next }
		/^\.Dl / { sub(/^\.Dl /, ""); sub(/^\$ /, ""); print; next }
		/^\.Bd -literal/ { lit = 1; next }
		/^\.Ed/ { lit = 0; next }
		lit && /^\$ / { sub(/^\$ /, ""); print }
	' "$m" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e "s/\\\\(aq/'/g" \
	    -e 's/\\&//g' -e 's/\\(dq/"/g' > "${TMPDIR:-/tmp}/ex.$$"
	while IFS= read -r line; do
		n=$((n + 1))
		bp=${BINPATH:-$B/bin}
		[ "${VALGRIND:-0}" = 1 ] && [ "${VALGRIND_ALL:-0}" != 1 ] &&
		    [ $((n % 2)) -eq 0 ] && bp=$B/bin
		out=$(cd examples && PATH="$bp:$PATH" LC_ALL=C TZ=UTC \
		    SALESPIPE_NOW=2026-11-26T00:00:00Z sh -c "$line" 2>&1 </dev/null)
		st=$?
		if [ $st -eq 0 ] && [ -n "$out" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL example in $m (status $st): $line"
			printf '%s\n' "$out" | head -5
		fi
	done < "${TMPDIR:-/tmp}/ex.$$"
	rm -f "${TMPDIR:-/tmp}/ex.$$"
done
echo "examples: $pass $fail"
[ $fail -eq 0 ]
