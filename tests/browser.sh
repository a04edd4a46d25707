#!/bin/sh
# report -o html in a real browser: Debian's chromium, headless, driven
# through the DevTools protocol on a pipe by tests/browser/cdp.py, at a
# desktop width (1280) and a phone width (390, emulated: chromium's window
# is never narrower than 500).  The page is the built-in spec's report of
# examples/ (history.csv, quota.csv, leads.csv, activities.csv) at
# SALESPIPE_NOW=2026-11-30T00:00:00Z.  At each width,
# tests/browser/measure.js measures the laid-out page, and this suite checks:
#   - the viewport has the width asked for; one h1; one section.sec for
#     each section of the spec (cmd/report.c default_spec) and each "ok";
#   - each chart's .mark elements: as many as its data-marks, and as many
#     as worked out here from the section's program run alone (-o jsonl,
#     counted with jq by the chart's rule: a mark per row with a number
#     in the value field for bars and funnel; rows x series for line and
#     columns; the first row's fields for waterfall; rows x (shares + 1)
#     for bands);
#   - measure.js's checks: texts and marks inside their SVG, no two texts
#     overlapping, no text cut short, rendered SVG font at least 9 px,
#     bar lengths proportional to the values (0.5 px), no h1, h2, p, li,
#     th, td, figcaption or pre wider than its box outside the tables'
#     boxes (which scroll: overflow-x auto), no horizontal scroll;
#   - a screenshot of the whole page, kept in B/artifacts/report-desktop.png
#     and report-phone.png: a PNG as wide as the width and as high as the
#     page measured.  B/artifacts also keeps report.html and what was
#     measured (report-desktop.txt, report-phone.txt).
# Without chromium (or python3) it says so and counts one skip
# (make deps-browser installs them).  Prints "browser: PASS FAIL SKIP".
. "$(dirname "$0")/lib.sh"
export SALESPIPE_NOW=2026-11-30T00:00:00Z
week_ago=2026-11-23T00:00:00Z	# {week-ago}: now less 7 days

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
	for c in chromium chromium-browser google-chrome; do
		if command -v "$c" > /dev/null 2>&1; then
			browser=$(command -v "$c")
			break
		fi
	done
fi
if [ -z "$browser" ] || ! command -v python3 > /dev/null 2>&1; then
	echo "skip: browser: ${browser:+python3}${browser:-chromium} not" \
	    "installed (make deps-browser installs it)"
	echo "browser: 0 0 1"
	exit 0
fi
art=$B/artifacts
mkdir -p "$art" || exit 1

# the built-in spec, from its C string
awk '
/^static const char default_spec\[\] =/ { on = 1; next }
on {
	l = $0
	sub(/^[ \t]*"/, "", l)
	last = l ~ /";[ \t]*$/
	sub(/";?[ \t]*$/, "", l)
	gsub(/\\n/, "\n", l)
	printf "%s", l
	if (last)
		exit
}' cmd/report.c > "$tmp/spec"
# one line a section: name, chart kind, chart fields, run words (tabs)
awk '
function out() { if (name != "") print name "\t" kind "\t" chart "\t" run }
$1 == "section" { out(); name = $2; kind = "table"; chart = run = "" }
$1 == "run" { sub(/^run[ \t]+/, ""); run = $0 }
$1 == "chart" { kind = $2; sub(/^chart[ \t]+[^ \t]+[ \t]*/, ""); chart = $0 }
END { out() }' "$tmp/spec" > "$tmp/sections"
nsec=$(wc -l < "$tmp/sections")
[ "$nsec" -ge 10 ]
check "the built-in spec read from cmd/report.c: $nsec sections"

# the marks each chart must have, from its program's own output
: > "$tmp/expected"
tab=$(printf '\t')
while IFS=$tab read -r name kind chart run; do
	set -f
	set -- $run
	set +f
	prog=$1
	shift
	args=
	for w; do
		case $w in
		'{deals}') w=history.csv;;
		'{quota}') w=quota.csv;;
		'{leads}') w=leads.csv;;
		'{activities}') w=activities.csv;;
		'{week-ago}') w=$week_ago;;
		esac
		args="$args $w"
	done
	(cd examples && "$BIN/$prog" -o jsonl --now "$SALESPIPE_NOW" $args) \
	    > "$tmp/$name.jsonl" 2> "$tmp/$name.err"
	st=$?
	# lint exits 1 when it finds something (the spec's exit-ok 0,1)
	[ $st -eq 0 ] || { [ "$prog" = lint ] && [ $st -eq 1 ]; }
	check "$name: $prog$args: status $st"
	show "$tmp/$name.err"
	[ "$kind" = table ] && continue
	n=$(jq -s --arg kind "$kind" --arg chart "$chart" '
	def num: type == "number" or (type == "string" and
	    test("^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"));
	# the number of rows of $rows whose field $f is a number
	def rows_with($rows; $f): [$rows[] | select(.[$f] | num)] | length;
	. as $rows | ($chart | split(" ") | map(select(. != ""))) as $f |
	if $kind == "bars" or $kind == "funnel" then
		rows_with($rows; $f[1])
	elif $kind == "line" then
		[$f[1:][] | rows_with($rows; .)] | add
	elif $kind == "columns" then
		[$f[] | select(startswith("ref=") | not) | split(":")[0] |
		    rows_with($rows; .)] | add
	elif $kind == "waterfall" then
		[$f[] | ltrimstr("+") | ltrimstr("-") | ltrimstr("=") |
		    rows_with($rows[:1]; .)] | add
	elif $kind == "bands" then
		($rows | length) * (($f | length) + 1)
	else "no rule for \($kind)" | halt_error end' "$tmp/$name.jsonl")
	[ -n "$n" ]
	check "$name: the $kind chart's marks counted from $prog's output"
	echo "$name $kind $n" >> "$tmp/expected"
done < "$tmp/sections"

(cd examples && "$BIN/report" -o html --quota quota.csv --leads leads.csv \
    --activities activities.csv history.csv) > "$art/report.html" \
    2> "$tmp/report.err"
check "report -o html: status $?"
show "$tmp/report.err"

# png_size FILE: "WIDTH HEIGHT" from the PNG's IHDR
png_size() {
	python3 -c '
import struct, sys
h = open(sys.argv[1], "rb").read(24)
if h[:8] != b"\x89PNG\r\n\x1a\n" or h[12:16] != b"IHDR":
    sys.exit(1)
print("%d %d" % struct.unpack(">II", h[16:24]))' "$1"
}

for size in desktop:1280 phone:390; do
	what=${size%:*} width=${size#*:}
	m=$art/report-$what.txt png=$art/report-$what.png
	rm -f "$png"
	python3 tests/browser/cdp.py "$browser" "file://$art/report.html" \
	    "$width" tests/browser/measure.js "$png" > "$m" 2> "$tmp/cdp.err"
	check "$what: chromium measured the page"
	show "$tmp/cdp.err"
	[ $ck = 0 ] || continue

	set -- $(awk '$1 == "viewport" { print $2 }' "$m")
	[ "${1:-}" = "$width" ]
	check "$what: viewport ${1:-none} wide, want $width"
	set -- $(awk '$1 == "count" && $2 == "h1" { print $3 }' "$m")
	[ "${1:-}" = 1 ]
	check "$what: ${1:-no} h1, want 1"
	set -- $(awk '$1 == "count" && $2 == "sections" { print $3 }' "$m")
	[ "${1:-}" = "$nsec" ]
	check "$what: ${1:-no} sections, want $nsec (the spec's)"
	while IFS=$tab read -r name kind chart run; do
		st=$(awk -v n="$name" '$1 == "section" && $2 == n { print $3 }' \
		    "$m")
		[ "$st" = ok ]
		check "$what: section $name: state '${st:-absent}', want ok"
	done < "$tmp/sections"

	# marks: data-marks and the count from the program's output
	while read -r name kind want; do
		set -- $(awk -v n="$name" '$1 == "marks" && $2 == n {
		    print $3, $4, $5 }' "$m")
		if [ $# -ne 3 ]; then
			bad "$what: $name: no $kind chart (want $want marks)"
		elif [ "$1" != "$kind" ] || [ "$2" != "$3" ] ||
		    [ "$2" != "$want" ]; then
			bad "$what: $name: a $1 chart of $2 marks," \
			    "data-marks $3; want a $kind chart of $want"
		else
			ok
		fi
	done < "$tmp/expected"

	# measure.js's own checks
	p=$(grep -c '^ok ' "$m")
	pass=$((pass + p))
	f=$(grep -c '^bad ' "$m")
	[ "$f" -gt 0 ] && grep '^bad ' "$m" | sed "s/^bad /FAIL $what: /"
	fail=$((fail + f))
	[ $((p + f)) -gt 0 ]
	check "$what: measure.js gave no verdict"

	# the screenshot: the page's width and height
	h=$(awk '$1 == "page" { print $3 }' "$m")
	set -- $(png_size "$png" 2> /dev/null)
	[ "${1:-}" = "$width" ] && [ "${2:-}" = "$h" ]
	check "$what: $png is ${1:-no PNG}${2:+ x $2}, want $width x $h"
done

echo "browser: $pass $fail 0"
[ $fail -eq 0 ]
