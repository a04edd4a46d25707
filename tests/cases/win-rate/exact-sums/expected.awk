# Independent check of the expected output: amounts as integer micro-units
# in decimal strings (no floating point for money), summed per owner with
# schoolbook addition, rounded half to even to the cent from the digits.
# Negative amounts occur only alone in a sum (big's lost -0.015).
function micro(s,   neg, ip, fp) {
	neg = s ~ /^-/; sub(/^[-+]/, "", s)
	ip = s; fp = ""
	if (index(s, ".")) { ip = substr(s, 1, index(s, ".") - 1); fp = substr(s, index(s, ".") + 1) }
	fp = substr(fp "000000", 1, 6)	# the data has only zeros beyond six
	s = ip fp; sub(/^0+/, "", s)
	return (neg ? "-" : "") (s == "" ? "0" : s)
}
function add(a, b,   r, c, i, j, d) {	# non-negative digit strings
	if (a == "") return b
	r = ""; c = 0; i = length(a); j = length(b)
	while (i > 0 || j > 0 || c) {
		d = c + (i > 0 ? substr(a, i, 1) : 0) + (j > 0 ? substr(b, j, 1) : 0)
		r = (d % 10) r; c = int(d / 10); i--; j--
	}
	return r
}
function cents(m,   neg, q, r, k) {
	neg = m ~ /^-/; sub(/^-/, "", m)
	while (length(m) < 7) m = "0" m
	q = substr(m, 1, length(m) - 4); r = substr(m, length(m) - 3) + 0
	k = substr(q, length(q), 1) + 0	# q's last digit: odd or even
	if (r > 5000 || (r == 5000 && k % 2 == 1)) q = add(q, "1")
	sub(/^0+/, "", q); while (length(q) < 3) q = "0" q
	return (neg && q != "000" ? "-" : "") substr(q, 1, length(q) - 2) "." substr(q, length(q) - 1)
}
BEGIN { FS = "," }
NR > 1 {
	o = $2; m = micro($4)
	if ($3 == "won") { won[o]++; ws[o] = m ~ /^-/ ? m : add(ws[o], m) }
	else { lost[o]++; ls[o] = m ~ /^-/ ? m : add(ls[o], m) }
}
END {
	print "owner,won,lost,closed,win_rate,won_amount,lost_amount"
	n = split("big even micro real tie-down tie-up", k, " ")
	for (i = 1; i <= n; i++) {
		o = k[i]; c = won[o] + lost[o]
		printf "%s,%d,%d,%d,%.6f,%s,%s\n", o, won[o], lost[o], c,
		    won[o] / c, cents(ws[o] == "" ? "0" : ws[o]),
		    cents(ls[o] == "" ? "0" : ls[o])
	}
}
