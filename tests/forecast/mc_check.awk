# mc_check.awk: checks forecast's Monte Carlo columns against the exact
# distribution of the period's total, worked out here from a hand-written
# list of the deals, so that a case's expected output does not depend on
# the random draws.
#	awk -f mc_check.awk DEALS OUT
# DEALS (hand-written from the fixture) holds lines
#	booked AMOUNT		(the period's booked sum; once)
#	slip RATIO		(the expected mc_slip, 0 when none)
#	deal AMOUNT PERCENT	(one line per open deal in the period)
# OUT is forecast's -o csv output with mc_* columns (one row).
# The model (design): each deal wins with q = p (1 - slip); the program
# draws it as u < round(q 65536) on a uniform 16-bit u, so a deal really
# wins with q' = round(q 65536) / 65536.  Checks, each printing "ok" or
# what failed:
#   mc_trials and mc_slip: printed, for the case's expected output;
#   weighted (when OUT has it): booked + sum a p, to the cent (no slip);
#   mean: |mc_mean - E| <= 5 SE + R + 0.01, where E = booked + sum a q
#     (the design's value), SE = sqrt(sum a^2 q'(1 - q') / trials) (the
#     standard error of a mean of that many trials: a 5 SE miss has
#     probability 6e-7 under the central limit theorem), R = sum a |q' - q|
#     (the bias of the 1/65536 rounding) and 0.01 the mean's rounding to
#     the cent;
#   p10, p50, p90: the exact distribution of the total (a sum of
#     independent a_i Bernoulli(q'_i), by dynamic programming on the
#     lattice of the amounts' greatest common divisor) gives F; by the
#     Dvoretzky-Kiefer-Wolfowitz inequality the empirical CDF of n trials
#     is within eps = sqrt(ln(2 / 1e-4) / (2 n)) of F everywhere except
#     with probability 1e-4, so the type-7 quantile at q lies in
#     [F^-1(q - eps - 2/n), F^-1(q + eps + 2/n)] (the 2/n: the order
#     statistics around (n - 1) q + 1), give or take the cent it is
#     rounded to.
BEGIN { nd = 0 }
function abs(x) { return x < 0 ? -x : x }
function gcd(a, b,  t) {
	while (b) {
		t = a % b
		a = b
		b = t
	}
	return a
}
# F^-1(u) = the least total whose CDF reaches u
function inv(u,  k, c) {
	if (u <= 0)
		return booked
	c = 0
	for (k = 0; k <= top; k++) {
		c += dist[k]
		if (c >= u - 1e-12)
			return booked + k * unit
	}
	return booked + top * unit
}
function check(name, got, lo, hi) {
	if (got >= lo - 0.01 && got <= hi + 0.01)
		print name " ok"
	else
		printf "%s FAILED: %.2f not in [%.2f, %.2f]\n", name, got, lo, hi
}
FNR == NR {
	if ($1 == "booked")
		booked = $2
	else if ($1 == "slip")
		slip = $2
	else if ($1 == "deal") {
		a[nd] = sprintf("%.0f", $2 * 100) + 0	# cents
		p[nd] = $3 / 100
		nd++
	}
	next
}
FNR == 1 {
	FS = ","
	$0 = $0
	for (i = 1; i <= NF; i++)
		col[$i] = i
	next
}
FNR == 2 {
	trials = $col["mc_trials"]
	print "mc_trials " trials
	print "mc_slip " $col["mc_slip"]
	e = w = booked
	var = 0
	bias = 0
	unit = 0
	for (i = 0; i < nd; i++) {
		q = p[i] * (1 - slip)
		t = sprintf("%.0f", q * 65536) + 0
		qq[i] = t / 65536
		e += a[i] / 100 * q
		w += a[i] / 100 * p[i]
		var += (a[i] / 100) ^ 2 * qq[i] * (1 - qq[i])
		bias += a[i] / 100 * abs(qq[i] - q)
		unit = gcd(unit, a[i])
	}
	if ("weighted" in col)
		if (sprintf("%.2f", w) == $col["weighted"])
			print "weighted ok"
		else
			printf "weighted FAILED: %s, expected %.2f\n",
			    $col["weighted"], w
	tol = 5 * sqrt(var / trials) + bias + 0.01
	if (abs($col["mc_mean"] - e) <= tol)
		print "mean ok"
	else
		printf "mean FAILED: %s, expected %.2f +- %.2f\n",
		    $col["mc_mean"], e, tol
	# the exact distribution of the open deals' total, in steps of unit
	if (unit == 0)
		unit = 1
	top = 0
	for (i = 0; i < nd; i++)
		top += a[i] / unit
	if (top > 1000000) {
		print "quantiles not checked: the amounts' lattice is too fine"
		exit
	}
	top = 0
	dist[0] = 1
	for (i = 0; i < nd; i++) {
		s = a[i] / unit
		for (k = top; k >= 0; k--) {
			dist[k + s] += dist[k] * qq[i]
			dist[k] *= 1 - qq[i]
		}
		top += s
	}
	unit /= 100
	eps = sqrt(log(2 / 1e-4) / (2 * trials)) + 2 / trials
	check("p10", $col["mc_p10"], inv(0.10 - eps), inv(0.10 + eps))
	check("p50", $col["mc_p50"], inv(0.50 - eps), inv(0.50 + eps))
	check("p90", $col["mc_p90"], inv(0.90 - eps), inv(0.90 + eps))
}
