#!/bin/sh
# report -o html in a real browser: Debian's chromium, headless, driven
# through the DevTools protocol on a pipe by tests/browser/cdp.py, at a
# desktop width (1280) and a phone width (390, emulated as a mobile
# device: chromium's window is never narrower than 500), at
# SALESPIPE_NOW=2026-11-30T00:00:00Z.  Two pages:
#   report  the built-in spec on examples/ (history.csv, quota.csv,
#           leads.csv, activities.csv);
#   stress  tests/browser/stress.spec on tests/browser/deals.csv: long and
#           non-ASCII names, groups of columns, a line of one point, a
#           waterfall below zero, and an alert (--fail-if: status 3).
# At each width tests/browser/measure.js measures the laid-out page, and
# this suite checks:
#   - the viewport has the width asked for; one h1; one section.sec for
#     each section of the spec, each "ok"; the alerts (li.crossed);
#   - each chart's .mark elements: as many as its data-marks, and as many
#     as worked out apart from the report: for the report page, from the
#     section's program run alone (-o jsonl), counted with jq by the
#     chart's rule (a mark per row with a number in the value field for
#     bars and funnel; per row and series for line and columns; per field
#     of the first row for waterfall; rows x (shares + 1) for bands); for
#     the stress page, by hand (tests/browser/how);
#   - measure.js's checks: texts and marks inside their SVG, no two texts
#     overlapping, no text cut short (on the stress page a cut is a note,
#     not a failure: some names are longer than any room), rendered SVG
#     font at least 9 px, bar lengths proportional to the values (0.5
#     px), no h1, h2, p, li, th, td, figcaption or pre wider than its box
#     outside the tables' boxes (which scroll: overflow-x auto), no
#     horizontal scroll;
#   - a screenshot of the whole page: a PNG as wide as the width and as
#     high as the page measured.
# B/artifacts keeps, for each PAGE, PAGE.html, PAGE-desktop.png,
# PAGE-phone.png and what was measured (PAGE-desktop.txt, PAGE-phone.txt).
# Without chromium (or python3) it says so and counts one skip
# (make deps-browser installs them).  Prints "browser: PASS FAIL SKIP".
. "$(dirname "$0")/lib.sh"
export SALESPIPE_NOW=2026-11-30T00:00:00Z
week_ago=2026-11-23T00:00:00Z	# {week-ago}: now less 7 days

# the browser: $CHROMIUM, else the first of these names on PATH
browser=
for c in ${CHROMIUM:-chromium chromium-browser google-chrome}; do
	if command -v "$c" > /dev/null 2>&1; then
		browser=$(command -v "$c")
		break
	fi
done
if [ -z "$browser" ] || ! command -v python3 > /dev/null 2>&1; then
	echo "skip: browser: ${browser:+python3}${browser:-${CHROMIUM:-chromium}}" \
	    "not installed (make deps-browser installs it)"
	echo "browser: 0 0 1"
	exit 0
fi
art=$B/artifacts
mkdir -p "$art" || exit 1
tab=$(printf '\t')

# sections SPEC: one line a section: name, chart kind, chart fields, run
# words (tabs)
sections() {
	awk '
	function out() { if (name != "") print name "\t" kind "\t" chart "\t" run }
	$1 == "section" { out(); name = $2; kind = "table"; chart = run = "" }
	$1 == "run" { sub(/^run[ \t]+/, ""); run = $0 }
	$1 == "chart" { kind = $2; sub(/^chart[ \t]+[^ \t]+[ \t]*/, ""); chart = $0 }
	END { out() }' "$1"
}

# png_size FILE: "WIDTH HEIGHT" from the PNG's IHDR
png_size() {
	python3 -c '
import struct, sys
h = open(sys.argv[1], "rb").read(24)
if h[:8] != b"\x89PNG\r\n\x1a\n" or h[12:16] != b"IHDR":
    sys.exit(1)
print("%d %d" % struct.unpack(">II", h[16:24]))' "$1"
}

# measure PAGE SECTIONS EXPECTED ALERTS CUTS: PAGE.html in the browser at
# both widths, checked against SECTIONS (sections' lines), EXPECTED ("name
# kind marks" lines) and ALERTS (the number of li.crossed); CUTS=note
# makes a cut text a note instead of a failure
measure() {
	page=$1 secs=$2 expected=$3 alerts=$4 cuts=$5
	nsec=$(wc -l < "$secs")
	for size in desktop:1280 phone:390; do
		what="$page ${size%:*}" width=${size#*:}
		m=$art/$page-${size%:*}.txt png=$art/$page-${size%:*}.png
		rm -f "$png"
		python3 tests/browser/cdp.py "$browser" "file://$art/$page.html" \
		    "$width" tests/browser/measure.js "$png" > "$m" \
		    2> "$tmp/cdp.err"
		check "$what: chromium measured the page"
		show "$tmp/cdp.err"
		[ $ck = 0 ] || continue

		set -- $(awk '$1 == "viewport" { print $2 }' "$m")
		[ "${1:-}" = "$width" ]
		check "$what: viewport ${1:-none} wide, want $width"
		for c in h1:1 sections:$nsec alerts:$alerts; do
			set -- $(awk -v c="${c%:*}" '$1 == "count" && $2 == c {
			    print $3 }' "$m")
			[ "${1:-}" = "${c#*:}" ]
			check "$what: ${1:-no} ${c%:*}, want ${c#*:}"
		done
		while IFS=$tab read -r name kind chart run; do
			st=$(awk -v n="$name" '$1 == "section" && $2 == n {
			    print $3 }' "$m")
			[ "$st" = ok ]
			check "$what: section $name: state '${st:-absent}'," \
			    "want ok"
		done < "$secs"

		# marks: data-marks and the count worked out apart
		while read -r name kind want; do
			set -- $(awk -v n="$name" '$1 == "marks" && $2 == n {
			    print $3, $4, $5 }' "$m")
			if [ $# -ne 3 ]; then
				bad "$what: $name: no $kind chart (want" \
				    "$want marks)"
			elif [ "$1" != "$kind" ] || [ "$2" != "$3" ] ||
			    [ "$2" != "$want" ]; then
				bad "$what: $name: a $1 chart of $2 marks," \
				    "data-marks $3; want a $kind chart of $want"
			else
				ok
			fi
		done < "$expected"

		# measure.js's own checks
		if [ "$cuts" = note ]; then
			grep '^bad uncut ' "$m" | sed "s/^bad /note: $what: /"
			sed 's/^bad uncut /ok uncut /' "$m" > "$tmp/m" &&
			    cat "$tmp/m" > "$m"
		fi
		p=$(grep -c '^ok ' "$m")
		f=$(grep -c '^bad ' "$m")
		grep '^bad ' "$m" | sed "s/^bad /FAIL $what: /"
		pass=$((pass + p))
		fail=$((fail + f))
		[ $((p + f)) -gt 0 ]
		check "$what: measure.js gave no verdict"

		# the screenshot: the page's width and height
		h=$(awk '$1 == "page" { print $3 }' "$m")
		set -- $(png_size "$png" 2> /dev/null)
		[ "${1:-}" = "$width" ] && [ "${2:-}" = "$h" ]
		check "$what: $png is ${1:-no PNG}${2:+ x $2}, want" \
		    "$width x $h"
	done
}

# The report page: the built-in spec, from its C string
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
sections "$tmp/spec" > "$tmp/sections"
nsec=$(wc -l < "$tmp/sections")
[ "$nsec" -ge 10 ]
check "the built-in spec read from cmd/report.c: $nsec sections"

# the marks each chart must have, from its program's own output
: > "$tmp/expected"
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
check "report -o html: status $?, want 0"
show "$tmp/report.err"
measure report "$tmp/sections" "$tmp/expected" 0 fail

# The stress page: its marks and its one alert worked out by hand
# (tests/browser/how)
sections tests/browser/stress.spec > "$tmp/stress.sections"
"$BIN/report" -o html --spec tests/browser/stress.spec \
    --fail-if 'reps.won_amount < 100' tests/browser/deals.csv \
    > "$art/stress.html" 2> "$tmp/stress.err"
st=$?
[ $st -eq 3 ]
check "report -o html --spec tests/browser/stress.spec: status $st, want 3"
show "$tmp/stress.err"
cat > "$tmp/stress.expected" <<'EOF'
reps bars 3
funnel funnel 5
by-owner columns 9
one-month line 2
below-zero waterfall 4
bands bands 2
EOF
measure stress "$tmp/stress.sections" "$tmp/stress.expected" 1 note

echo "browser: $pass $fail 0"
[ $fail -eq 0 ]
