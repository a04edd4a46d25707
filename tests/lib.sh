# The prologue of the shell suites (tests/NAME.sh), sourced first with
#	. "$(dirname "$0")/lib.sh"
# (POSIX sh; it uses the suite's $0 and $1).  It
#  - takes the build root from $1 (default .), relative to the top
#    directory, and makes B its absolute path; changes to the top directory;
#  - sets pass=0 fail=0, the counts of the suite's closing line, which the
#    suite prints itself ("NAME: PASS FAIL": tests/suite.sh parses it);
#  - makes tmp a fresh temporary directory, removed at exit (made writable
#    first: a suite may take its permissions away); INT, TERM and HUP exit
#    1 so that the EXIT trap runs;
#  - runs everything in the C locale, in UTC, at the time the cases use
#    (SALESPIPE_NOW=2026-11-26T00:00:00Z: a suite with another time exports
#    its own after this), with none of the user's salespipe settings
#    (stages, journals, index size, ids' memory, progress delay, test
#    hooks);
#  - sets BIN=$B/bin, the programs under test (a suite may point it at
#    valgrind wrappers);
#  - defines ok and bad (count a pass; count a failure and print "FAIL
#    words"), check (ok when the last command succeeded, else bad with the
#    words) and show (after a failed check, the first lines of a file,
#    indented).
B=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=$(cd "$B" && pwd) || exit 1
pass=0 fail=0
tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
export LC_ALL=C TZ=UTC SALESPIPE_NOW=2026-11-26T00:00:00Z
unset SALESPIPE_STAGES SALESPIPE_LEAD_STAGES SALESPIPE_DEALS SALESPIPE_LEADS \
    SALESPIPE_JOURNAL_INDEX SALESPIPE_TEST_KILL SALESPIPE_ID_MEMORY \
    SALESPIPE_PROGRESS_AFTER
BIN=$B/bin

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check NAME: ok if the last command succeeded, else FAIL NAME
ck=0
check() {
	if [ $? -eq 0 ]; then ck=0; ok; else ck=1; bad "$@"; fi
}
# show FILE [N]: its first N (5) lines, indented, if the last check failed
show() {
	[ $ck = 1 ] || return 0
	head -n "${2:-5}" "$1" 2> /dev/null | sed 's/^/	| /'
}
