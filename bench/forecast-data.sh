#!/bin/sh
# Build the Monte Carlo benchmark snapshot once; run.sh calls it.
#
# usage: bench/forecast-data.sh FILE
#
#   FILE   a deals snapshot (id,stage,amount,currency,close_date,probability)
#          of exactly 10,000 open deals, all in USD, all with a close_date in
#          2025-Q1 (2025-01-01 .. 2025-03-31, spread over its 90 days), so
#          that `forecast --now 2025-01-01T00:00:00Z --period 2025-Q1` counts
#          every one of them as open in the period.  Stages cycle through the
#          bench's open stages (lead, qualified, proposal, negotiation);
#          amounts run from 1,000.00 to about 200,000.00 with cents;
#          probabilities from 1 to 99 percent, one in eight with a decimal
#          ("12.5"), so the thresholds are not all round.  No closed deals:
#          booked is 0 and the slip is 0 (no won deal with a close_date).
#
# Deterministic (integer arithmetic only, no rand()): the same bytes with
# any awk.  The count and the period are checked after writing.
set -eu
f=${1:?usage: forecast-data.sh FILE}
[ -f "$f" ] && exit 0
echo "forecast-data: building $f" >&2
tmp=$f.tmp.$$
trap 'rm -f "$tmp"' EXIT
LC_ALL=C awk 'BEGIN {
	n = 10000
	split("lead qualified proposal negotiation", st, " ")
	split("31 28 31", mdays, " ")
	print "id,stage,amount,currency,close_date,probability"
	x = 12345
	for (i = 1; i <= n; i++) {
		# MINSTD (products below 2^47: exact in any awk double)
		x = (x * 48271) % 2147483647
		cents = 100000 + x % 19900000
		x = (x * 48271) % 2147483647
		p = 1 + x % 99
		prob = (i % 8 == 0 && p < 99) ? p ".5" : p
		day = (i * 7) % 90		# 0..89: every day of the quarter
		m = 1
		while (day >= mdays[m]) { day -= mdays[m]; m++ }
		printf "D-%d,%s,%d.%02d,USD,2025-%02d-%02d,%s\n", i,
		    st[1 + i % 4], int(cents / 100), cents % 100, m, day + 1,
		    prob
	}
}' > "$tmp"
# the checks: 10,000 records, all closing in 2025-Q1, all open stages
LC_ALL=C awk -F, 'NR > 1 {
	n++
	if ($5 < "2025-01-01" || $5 > "2025-03-31") bad++
	if ($2 !~ /^(lead|qualified|proposal|negotiation)$/) bad++
	if ($6 + 0 <= 0 || $6 + 0 >= 100) bad++
} END {
	if (n != 10000 || bad) {
		printf "forecast-data: %d records, %d bad\n", n, bad > "/dev/stderr"
		exit 1
	}
}' "$tmp"
mv "$tmp" "$f"
trap - EXIT
