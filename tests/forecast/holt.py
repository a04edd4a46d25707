#!/usr/bin/env python3
"""Reference implementation of include/salespipe/model.h, written from the
header's documented definitions (not from lib/model.c), Python 3 stdlib only.

  holt.py [--season M] [--horizon H] (--fit | --params A B G) Y0 Y1 ...
  holt.py --rng SEED [--count N]

The first form runs the recursions (--params) or the grid fit (--fit) and
prints the model, the final state and the forecasts h = 1..H with the 80%
prediction interval.  The second prints splitmix64 and xoshiro256** outputs.
Numbers are printed with 10 significant digits (%.10g); --digits changes it.

Definitions (model.h):
  Holt (season 0): l_1 = y_1, b_1 = y_1 - y_0; for t = 2..n-1 the one-step
    forecast l_{t-1} + b_{t-1}, then
      l_t = a y_t + (1 - a)(l_{t-1} + b_{t-1})
      b_t = b (l_t - l_{t-1}) + (1 - b) b_{t-1}
    n >= 3; one-step errors: n - 2.
  Holt-Winters additive (m >= 2, n >= 2m): l = mean(y_0..y_{m-1}),
    b = (mean(y_m..y_{2m-1}) - mean(y_0..y_{m-1})) / m, s_i = y_i - l (i < m);
    for t = m..n-1 the forecast l + b + s_{t-m}, then
      l_t = a (y_t - s_{t-m}) + (1 - a)(l_{t-1} + b_{t-1})
      b_t = b (l_t - l_{t-1}) + (1 - b) b_{t-1}
      s_t = g (y_t - l_t) + (1 - g) s_{t-m}
    one-step errors: n - m.
  Fit: a, b (and g for HW) on 0.05, 0.10, ..., 0.95, least SSE, ties: the
    first in a, b, g order.  HW when m >= 2 and n >= 2m, else Holt.
  Forecast h: yhat = l + h b (+ s of the same season position for HW:
    s_{n-m + ((h-1) mod m)}); interval yhat -+ 1.2816 sigma sqrt(c_h) with
    sigma^2 = sse / nerr, c_h = 1 + sum_{j=1}^{h-1} psi_j^2,
    psi_j = a + j a b + [HW and j mod m == 0] g (1 - a).
    (The header does not spell out yhat itself; the above is the standard
    h-step forecast of both models.)
"""

import argparse
import math
import sys

Z80 = 1.2816
MASK = (1 << 64) - 1
# the grid: k/20 for k = 1..19, the doubles nearest to 0.05, ..., 0.95.  An
# implementation computing k * 0.05 gets some values one ulp off (3 * 0.05 =
# 0.15000000000000002); that changes results only at rounding level, far
# below the 10 printed digits.  Where two grid points' sse are close, the
# fit prints the runner-up and the margin, so a test can tell whether the
# choice could hinge on rounding.
GRID = [k / 20 for k in range(1, 20)]


class Fail(Exception):
    pass


def run(y, m, a, b, g):
    """The recursions; returns a dict with the model state."""
    n = len(y)
    if m == 0:
        if n < 3:
            raise Fail("Holt needs at least 3 values, got %d" % n)
        level = y[1]
        slope = y[1] - y[0]
        sse = 0.0
        nerr = 0
        for t in range(2, n):
            f = level + slope
            err = y[t] - f
            sse += err * err
            nerr += 1
            new_level = a * y[t] + (1 - a) * (level + slope)
            slope = b * (new_level - level) + (1 - b) * slope
            level = new_level
        return dict(model="holt", season=0, alpha=a, beta=b, gamma=0.0,
                    sse=sse, nerr=nerr, n=n, level=level, slope=slope,
                    seasonal=[])
    if m < 2 or m > 64:
        raise Fail("season %d out of range" % m)
    if n < 2 * m:
        raise Fail("Holt-Winters with season %d needs %d values, got %d"
                   % (m, 2 * m, n))
    first = sum(y[0:m]) / m
    second = sum(y[m:2 * m]) / m
    level = first
    slope = (second - first) / m
    s = [y[i] - level for i in range(m)]   # s[t] for every t seen so far
    sse = 0.0
    nerr = 0
    for t in range(m, n):
        f = level + slope + s[t - m]
        err = y[t] - f
        sse += err * err
        nerr += 1
        new_level = a * (y[t] - s[t - m]) + (1 - a) * (level + slope)
        slope = b * (new_level - level) + (1 - b) * slope
        s.append(g * (y[t] - new_level) + (1 - g) * s[t - m])
        level = new_level
    return dict(model="holt-winters", season=m, alpha=a, beta=b, gamma=g,
                sse=sse, nerr=nerr, n=n, level=level, slope=slope,
                seasonal=s[n - m:n])


def fit(y, m):
    """Grid fit; returns (best state, runner-up sse)."""
    hw = m >= 2 and len(y) >= 2 * m
    mm = m if hw else 0
    gammas = GRID if hw else [0.0]
    best = None
    second = math.inf
    for a in GRID:
        for b in GRID:
            for g in gammas:
                r = run(y, mm, a, b, g)
                if best is None or r["sse"] < best["sse"]:
                    if best is not None:
                        second = min(second, best["sse"])
                    best = r
                else:
                    second = min(second, r["sse"])
    return best, second


def forecast(r, h):
    a, b, g = r["alpha"], r["beta"], r["gamma"]
    m = r["season"]
    hw = r["model"] == "holt-winters"
    yhat = r["level"] + h * r["slope"]
    if hw:
        yhat += r["seasonal"][(h - 1) % m]
    c = 1.0
    for j in range(1, h):
        psi = a + j * a * b
        if hw and j % m == 0:
            psi += g * (1 - a)
        c += psi * psi
    sigma = math.sqrt(r["sse"] / r["nerr"]) if r["nerr"] else 0.0
    half = Z80 * sigma * math.sqrt(c)
    return yhat, yhat - half, yhat + half, c


# splitmix64 and xoshiro256** after Vigna's reference C
# (prng.di.unimi.it: splitmix64.c, xoshiro256starstar.c): the generator's
# state is filled with four successive splitmix64 outputs of the seed.
def splitmix64(x):
    """Returns (new state, output)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro_seed(seed):
    s = []
    x = seed & MASK
    for _ in range(4):
        x, z = splitmix64(x)
        s.append(z)
    return s


def xoshiro_next(s):
    result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--season", type=int, default=0)
    p.add_argument("--horizon", type=int, default=4)
    p.add_argument("--fit", action="store_true")
    p.add_argument("--params", type=float, nargs=3, metavar=("A", "B", "G"))
    p.add_argument("--rng", type=int, metavar="SEED")
    p.add_argument("--count", type=int, default=6)
    p.add_argument("--digits", type=int, default=10)
    p.add_argument("y", type=float, nargs="*")
    o = p.parse_args()
    fmt = "%%.%dg" % o.digits

    def num(v):
        return fmt % v

    if o.rng is not None:
        x = o.rng & MASK
        print("splitmix64(%d):" % o.rng)
        for _ in range(o.count):
            x, z = splitmix64(x)
            print("  0x%016x" % z)
        s = xoshiro_seed(o.rng)
        print("xoshiro256** seeded by splitmix64(%d): state %s"
              % (o.rng, " ".join("0x%016x" % v for v in s)))
        for _ in range(o.count):
            print("  0x%016x" % xoshiro_next(s))
        return 0
    if o.fit == (o.params is not None):
        p.error("give one of --fit or --params A B G")
    try:
        if o.fit:
            r, second = fit(o.y, o.season)
        else:
            r = run(o.y, o.season, *o.params)
            second = None
    except Fail as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print("model %s season %d n %d" % (r["model"], r["season"], r["n"]))
    print("alpha %s beta %s gamma %s" % (num(r["alpha"]), num(r["beta"]),
                                         num(r["gamma"])))
    print("sse %s nerr %d sigma %s" % (
        num(r["sse"]), r["nerr"],
        num(math.sqrt(r["sse"] / r["nerr"]) if r["nerr"] else 0.0)))
    if second is not None:
        print("runner-up sse %s (margin %s)" % (num(second),
                                                num(second - r["sse"])))
    print("level %s slope %s" % (num(r["level"]), num(r["slope"])))
    if r["seasonal"]:
        print("seasonal " + " ".join(num(v) for v in r["seasonal"]))
    for h in range(1, o.horizon + 1):
        yhat, lo, hi, c = forecast(r, h)
        print("h %d forecast %s lo %s hi %s c %s" % (h, num(yhat), num(lo),
                                                    num(hi), num(c)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
