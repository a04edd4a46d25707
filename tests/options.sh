#!/bin/sh
# The habits users expect of every program (a cmd/*.c, tests/programs.sh),
# with no list to edit:
#   --help   exits 0, writes to stdout only, the usage, one line per option
#            and "see P(1)" last; -h is the same
#   options  every option of --help is on an .It line of man/P.1 (or, a
#            common option, of salespipe(7)), and every option on an .It
#            line of man/P.1 is in --help
#   completions  the generated bash, zsh and fish files of B/completions
#            name every option; with bash (and fish), the bash (fish) file
#            completes -o's choices and a long option; with zsh, zsh
#            parses its files
#   output   P --help | head -c1: no message, status 0 or SIGPIPE's; and
#            P > /dev/full: status 1, "P: write error on the standard
#            output: No space left on device" (--help for every program;
#            real output for deal-gen, deal-add, lead-add and every read
#            program, and with SIGPIPE ignored: no message, and 0 or the
#            death by SIGPIPE of EPIPE)
# Prints "options: PASS FAIL".
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd)
. tests/programs.sh
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-12-01T00:00:00Z
pass=0 fail=0
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# help_options P: the options of P's --help, both names, one a line
help_options() {
	"$B/bin/$1" --help | awk '
	/^$/ { blank++; next }
	blank == 1 && /^  +-/ {
		line = $0; sub(/^ +/, "", line)
		i = index(line, "  "); spec = i ? substr(line, 1, i - 1) : line
		n = split(spec, t, " "); k = 1; s = ""
		if (t[k] ~ /^-[^-]/) { s = t[k]; sub(/,$/, "", s); k++ }
		if (s != "") print s
		if (k <= n && t[k] ~ /^--/) print t[k]
	}'
}

# man_options PAGE: the options on the .It lines of PAGE, one a line
man_options() {
	grep '^\.It .*Fl ' "$1" | sed 's/ Fl Fl \([a-z0-9-]*\)/\n--\1\n/g;
	    s/\.It Fl \([a-zA-Z0-9]\)\b/\n-\1\n/g; s/ Fl \([a-zA-Z0-9]\)\b/\n-\1\n/g' |
	    grep '^--*[a-zA-Z0-9]' | sort -u
}

man_options man/salespipe.7 > "$T/common"

"$B/bin/deal-gen" -n 3000 -s 7 --history "$T/history.csv" > "$T/deals.csv"

for p in $(programs_all); do
	b=$B/bin/$p
	# --help
	"$b" --help > "$T/out" 2> "$T/err"
	st=$?
	if [ $st -ne 0 ] || [ -s "$T/err" ] || [ "$(tail -1 "$T/out")" != "see $p(1)" ] ||
	    [ "$(head -c 7 "$T/out")" != "usage: " ]; then
		bad "help of $p: status $st, stderr '$(head -1 "$T/err")', last line '$(tail -1 "$T/out")'"
	else
		ok
	fi
	"$b" -h > "$T/out2" 2>&1
	if cmp -s "$T/out" "$T/out2"; then ok; else bad "help of $p: -h is not --help"; fi

	# --help against the man page
	help_options "$p" | sort -u > "$T/help"
	[ -s "$T/help" ] || bad "help of $p: no option line"
	man_options "man/$p.1" > "$T/man"
	missing=$(comm -23 "$T/help" "$T/man" | comm -23 - "$T/common" | tr '\n' ' ')
	if [ -n "$missing" ]; then bad "options of $p: in --help, not in man/$p.1 (nor salespipe(7)): $missing"; else ok; fi
	extra=$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')
	if [ -n "$extra" ]; then bad "options of $p: in man/$p.1, not in --help: $extra"; else ok; fi

	# completions
	miss=
	for o in $(cat "$T/help"); do
		case $o in
		--*) grep -q -- "$o" "$B/completions/bash/$p" 2>/dev/null &&
			grep -q -- "'$o\[\|,$o}" "$B/completions/zsh/_$p" 2>/dev/null &&
			grep -q -- "-l ${o#--} " "$B/completions/fish/$p.fish" 2>/dev/null ||
			miss="$miss $o" ;;
		*) grep -q -- "$o" "$B/completions/bash/$p" 2>/dev/null &&
			grep -q -- "'$o\[\|{$o," "$B/completions/zsh/_$p" 2>/dev/null &&
			grep -q -- "-s ${o#-} " "$B/completions/fish/$p.fish" 2>/dev/null ||
			miss="$miss $o" ;;
		esac
	done
	if [ -n "$miss" ]; then bad "completions of $p: missing$miss"; else ok; fi

	# a reader that went away, a full disk
	err=$( { "$b" --help; echo "status $?" >&3; } 3>"$T/st" 2>&1 >/dev/full)
	if [ "$(cat "$T/st")" = "status 1" ] &&
	    [ "$err" = "$p: write error on the standard output: No space left on device" ]; then
		ok
	else
		bad "$p --help > /dev/full: $(cat "$T/st"), stderr '$err'"
	fi
	st=$( { { "$b" --help 2>"$T/err"; echo $? >&3; } | head -c1 >/dev/null; } 3>&1)
	if { [ "$st" = 0 ] || [ "$st" = 141 ]; } && [ ! -s "$T/err" ]; then
		ok
	else
		bad "$p --help | head -c1: status $st, stderr '$(head -1 "$T/err")'"
	fi
done

# real output: deal-gen, the add programs without a journal (their
# records go to stdout), and every read program on deal-gen's deals (its
# history for one that folds histories only), with --explain (rows enough
# to fill a pipe)
awk 'BEGIN { print "name,email"; for (i = 1; i <= 3000; i++) printf "n%d,a%d@x.example\n", i, i }' > "$T/batch.csv"
for p in deal-gen deal-add lead-add $(programs_read); do
	if [ "$p" = deal-gen ]; then
		set -- -n 5000
	elif [ "$p" = deal-add ] || [ "$p" = lead-add ]; then
		set --
	else
		in=$T/deals.csv
		program_history_only "$p" && in=$T/history.csv
		program_reads_activities "$p" && in=examples/activities.csv
		set -- $(program_args "$p") $(program_suite_args "$p") "$in"
	fi
	in0=/dev/null
	case $p in deal-add|lead-add) in0=$T/batch.csv ;; esac
	err=$( { "$B/bin/$p" "$@" < "$in0"; echo "status $?" >&3; } 3>"$T/st" 2>&1 >/dev/full)
	if [ "$(cat "$T/st")" = "status 1" ] &&
	    printf '%s\n' "$err" | grep -qx "$p: write error on the standard output: No space left on device"; then
		ok
	else
		bad "$p $* > /dev/full: $(cat "$T/st"), stderr '$err'"
	fi
	st=$( { { "$B/bin/$p" "$@" < "$in0" 2>"$T/err"; echo $? >&3; } | head -c1 >/dev/null; } 3>&1)
	if { [ "$st" = 0 ] || [ "$st" = 141 ]; } && ! grep -q 'write error' "$T/err"; then
		ok
	else
		bad "$p $* | head -c1: status $st, stderr '$(head -1 "$T/err")'"
	fi
	# SIGPIPE ignored (as a parent may leave it): EPIPE, no message, and
	# the death SIGPIPE would have been
	x=
	"$B/bin/$p" --help | grep -q -- '--explain  ' && x=--explain
	st=$( { { (trap '' PIPE; exec "$B/bin/$p" $x "$@" < "$in0" 2>"$T/err"); echo $? >&3; } |
	    head -c1 >/dev/null; } 3>&1)
	if { [ "$st" = 0 ] || [ "$st" = 141 ]; } && [ ! -s "$T/err" ]; then
		ok
	else
		bad "$p $x $* | head -c1 with SIGPIPE ignored: status $st, stderr '$(head -1 "$T/err")'"
	fi
done

# the bash completion, run
if command -v bash >/dev/null 2>&1; then
	got=$(bash -c '. "$1/completions/bash/funnel"
		COMP_WORDS=(funnel -o ""); COMP_CWORD=2; _salespipe_funnel
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(funnel --coh); COMP_CWORD=1; _salespipe_funnel
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(deal-add -o ""); COMP_CWORD=2
		. "$1/completions/bash/deal-add"; _salespipe_deal_add
		echo "${COMPREPLY[*]}"' sh "$B")
	want=$(printf 'csv jsonl table md\n--cohort\ncsv jsonl')
	if [ "$got" = "$want" ]; then ok; else bad "bash completion: got '$got', want '$want'"; fi
else
	echo "skip: no bash (the bash completion run)"
fi
# the zsh and fish completions, where those shells are: zsh parses every
# file; fish completes -o's choices and a long option
if command -v zsh >/dev/null 2>&1; then
	for f in "$B"/completions/zsh/_*; do
		if zsh -n "$f" 2>"$T/err"; then ok; else bad "zsh -n $f: $(head -1 "$T/err")"; fi
	done
else
	echo "skip: no zsh (the zsh completions parsed)"
fi
if command -v fish >/dev/null 2>&1; then
	got=$(fish -c 'source $argv[1]/completions/fish/funnel.fish
		complete -C "funnel -o " | cut -f1 | sort | string join " "
		complete -C "funnel --coh" | cut -f1' "$B")
	want=$(printf 'csv jsonl md table\n--cohort')
	if [ "$got" = "$want" ]; then ok; else bad "fish completion: got '$got', want '$want'"; fi
else
	echo "skip: no fish (the fish completion run)"
fi
echo "options: $pass $fail"
[ $fail -eq 0 ]
