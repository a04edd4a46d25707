# bookings.awk: the bookings series of a deals snapshot (CSV, no quoted
# commas), written from forecast's design, for tests/forecast/holt.py:
# the sum of the amounts of won deals per bucket of their close time
# (closed_at, else close_date), from the bucket of the first win to the
# bucket before BEFORE, oldest first, in currency units.
#	awk -v UNIT=month -v BEFORE=2026-11 -f bookings.awk deals.csv
#	awk -v UNIT=quarter -v BEFORE=2026-Q4 -f bookings.awk deals.csv
BEGIN { FS = "," }
NR == 1 {
	for (i = 1; i <= NF; i++)
		col[$i] = i
	next
}
$col["stage"] == "won" {
	t = $col["closed_at"] != "" ? $col["closed_at"] : $col["close_date"]
	b = bucket(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0)
	cents[b] += sprintf("%.0f", $col["amount"] * 100)
	if (first == "" || b < first)
		first = b
}
function bucket(y, m) {
	if (UNIT == "quarter")
		return sprintf("%04d-Q%d", y, int((m - 1) / 3) + 1)
	return sprintf("%04d-%02d", y, m)
}
END {
	if (first == "")
		exit
	y = substr(first, 1, 4) + 0
	m = UNIT == "quarter" ? 3 * substr(first, 7, 1) - 2 : substr(first, 6, 2) + 0
	for (;;) {
		if ((b = bucket(y, m)) >= BEFORE)
			break
		printf "%s%.2f", sep, cents[b] / 100
		sep = " "
		if ((m += UNIT == "quarter" ? 3 : 1) > 12) {
			m -= 12
			y++
		}
	}
	printf "\n"
}
