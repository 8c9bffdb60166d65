#!/usr/bin/python3
"""Check lockrig's P(candidate worse) against 50-digit mpmath computations.

P(candidate worse) = P(X < Y) for independent X ~ Beta(a1, b1) (candidate posterior) and
Y ~ Beta(a2, b2) (baseline posterior), a1 = a + x1, b1 = b + n1 - x1, a2 = a + x2, b2 = b + n2 - x2
for a Beta(a, b) prior. The reference computes it in 50 significant digits by up to four methods
that share no code with lockrig and little with each other, and requires those that apply to
agree to 1e-20 relative before lockrig is compared (a wrong reference fails the test instead of
passing a wrong answer):

  * a series of positive terms: integrating DLMF 8.17.8 (the incomplete beta function as
    y^a (1 - y)^b / (a B(a, b)) times 2F1(a + b, 1; a + 1; y), a series with positive terms)
    term by term against the other Beta density gives a 3F2 at unit argument; it is summed
    directly, mirrored (1 - p ~ Beta(b, a)) and as a complement, whichever converge within a
    few thousand terms (posteriors of many sessions near 100% converge in a few hundred);
  * the exact finite sum of positive terms when a posterior parameter is a whole number
    (the uniform prior; Cook 2005, below);
  * Cook's recurrences (J. D. Cook, "Exact calculation of beta inequalities", M. D. Anderson
    Biostatistics Technical Report 54, 2005) in 80 digits for small counts with a and b sharing
    their fractional part;
  * where no series converges (small counts): tanh-sinh quadrature (mpmath.quad; Takahasi &
    Mori 1974) of E[F_X(Y)] over the logit t of Y,
        integral over R of  s(t)^a2 s(-t)^b2 / B(a2, b2) * I(s(t); a1, b1)  dt,  s = logistic,
    with mpmath.betainc; in t the integrand is smooth, log-concave (one peak) and decays
    exponentially at both ends, so a prior below 1 puts no singularity at an endpoint. Its own
    error estimate must be below 1e-20 relative.

lockrig is asked through the test-only stats_probe ("bayes x1 n1 x2 n2 a b"). Pass: relative
error <= 1e-9, or absolute error <= 1e-15 where the reference is below 1e-300 (outside what a
double holds with full relative precision). Prints every case with lockrig's value, the
reference, the relative error and the methods that agreed, the worst relative error, and
'N passed, N failed'; exits non-zero on any failure or if mpmath is missing (Debian
python3-mpmath). Run it with Debian's /usr/bin/python3.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

try:
    import mpmath
    from mpmath import mp, mpf
except ImportError as e:  # a missing reference is a failure, never a skip
    print(f"bayes_mpmath_check: mpmath not importable by {sys.executable} ({e}); "
          "install Debian python3-mpmath and run with /usr/bin/python3", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

mp.dps = 50
REL_TOL = 1e-9
ABS_TOL_TINY = 1e-15
TINY = 1e-300

PRIORS = ((0.5, 0.5), (1.0, 1.0), (2.0, 0.5), (1.5, 0.5), (0.25, 0.25))
# A prior whose a and b have different fractional parts (no exact finite form; the recurrence
# implementation rejected it), on a few pairs.
ODD_PRIOR = (0.3, 0.7)
ODD_PRIOR_PAIRS = {((600, 600), (576, 600)), ((7, 10), (6, 10)), ((0, 0), (5, 5)),
                   ((992, 1000), (996, 1000))}

# (x1, n1) candidate, (x2, n2) baseline. What each group covers is said beside it.
PAIRS = [
    # tiny probabilities: an all-success candidate against a weaker baseline
    ((600, 600), (576, 600)),
    ((20_000, 20_000), (19_900, 20_000)),
    ((1_000_000, 1_000_000), (999_000, 1_000_000)),
    ((1_000_000, 1_000_000), (999_950, 1_000_000)),
    ((5_000_000, 5_000_000), (4_999_990, 5_000_000)),
    ((200, 200), (190, 200)),
    ((1000, 1000), (990, 1000)),
    ((100, 100), (80, 100)),
    ((30, 30), (10, 30)),
    # near 1: the same pairs swapped (the candidate is the weaker one)
    ((576, 600), (600, 600)),
    ((19_900, 20_000), (20_000, 20_000)),
    ((990, 1000), (1000, 1000)),
    # near 1/2 (and a few moderate values), small to million-session counts
    ((992, 1000), (996, 1000)),
    ((49_800, 50_000), (49_850, 50_000)),
    ((999_000, 1_000_000), (999_010, 1_000_000)),
    ((4_848_510, 4_849_280), (4_848_710, 4_849_280)),  # the report on bench-data/j10m-40.db
    ((7, 10), (6, 10)),
    ((3, 4), (2, 3)),
    ((1, 2), (1, 3)),
    ((56, 70), (48, 80)),
    ((0, 10), (0, 12)),
    ((500, 1000), (520, 1000)),
    # zero-trial versions: the prior alone on one side
    ((0, 0), (5, 5)),
    ((0, 0), (576, 600)),
    ((600, 600), (0, 0)),
    ((0, 0), (0, 3)),
    ((0, 0), (999_000, 1_000_000)),
]


def logistic(t):
    return 1 / (1 + mpmath.exp(-t))


def log_integrand(t, a1, b1, a2, b2, log_b2):
    y = logistic(t)
    ybar = logistic(-t)
    cdf = mpmath.betainc(a1, b1, 0, y, regularized=True)
    if cdf <= 0:
        return mpf("-inf")
    return a2 * mpmath.log(y) + b2 * mpmath.log(ybar) - log_b2 + mpmath.log(cdf)


def peak(f, t0, width):
    """Maximum of a concave f whose slope at t0 is >= 0 (so the peak is at or right of t0)."""
    lo, mid, f_mid, step = t0, t0, f(t0), width
    while True:  # march right, doubling the step, until f stops increasing
        hi = mid + step
        f_hi = f(hi)
        if f_hi <= f_mid:
            break
        lo, mid, f_mid = mid, hi, f_hi
        step *= 2
    # golden-section search on [lo, hi], which holds the maximum
    g = (mpmath.sqrt(5) - 1) / 2
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = f(c), f(d)
    while hi - lo > width * mpf("1e-8"):
        if fc > fd:
            hi, d, fd = d, c, fc
            c = hi - g * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + g * (hi - lo)
            fd = f(d)
    return (lo + hi) / 2


def quadrature(a1, b1, a2, b2):
    """P(X < Y) by 50-digit tanh-sinh quadrature over the baseline's logit (see the top)."""
    log_b2 = mpmath.log(mpmath.beta(a2, b2))

    def f(t):
        return log_integrand(t, a1, b1, a2, b2, log_b2)

    # Width of the baseline's logit density at its mode (the integrand is at least as narrow).
    t_y = mpmath.log(a2 / b2)
    w_y = 1 / mpmath.sqrt(a2 * b2 / (a2 + b2))
    t_star = peak(f, t_y, w_y)
    h = w_y / 8
    curv = (f(t_star + h) - 2 * f(t_star) + f(t_star - h)) / h**2
    width = 1 / mpmath.sqrt(-curv) if curv < 0 else w_y
    f_star = f(t_star)

    def g(t):
        v = f(t)
        return mpmath.exp(v - f_star) if v != mpf("-inf") else mpf(0)

    pts = [mpf("-inf"), t_star - 4 * width, t_star, t_star + 4 * width, mpf("inf")]
    val, err = mpmath.quad(g, pts, error=True)
    if not err <= abs(val) * mpf("1e-20"):
        raise RuntimeError(f"tanh-sinh error estimate {mpmath.nstr(err, 5)} "
                           f"for value {mpmath.nstr(val, 10)}")
    return val * mpmath.exp(f_star)


def series(a1, b1, a2, b2, cap=3000):
    """P(X < Y) as a series of positive terms, or None if it has not converged after cap terms.

    Integrating DLMF 8.17.8, I(y; a1, b1) = y^a1 (1 - y)^b1 / (a1 B(a1, b1)) *
    2F1(a1 + b1, 1; a1 + 1; y), whose series has positive terms, term by term against the
    Beta(a2, b2) density gives
        P(X < Y) = sum_k t_k,  t_0 = B(a1 + a2, b1 + b2) / (a1 B(a1, b1) B(a2, b2)),
        t_{k+1} / t_k = (a1 + b1 + k)(a1 + a2 + k) / ((a1 + 1 + k)(a1 + a2 + b1 + b2 + k)),
    a 3F2 at unit argument. It converges quickly when most of both posteriors lies well below
    1/2 and slowly otherwise (terms fall like k^-(1 + b2) in the end), hence the cap.
    """
    t = mpmath.exp(mpmath.log(mpmath.beta(a1 + a2, b1 + b2)) - mpmath.log(a1) -
                   mpmath.log(mpmath.beta(a1, b1)) - mpmath.log(mpmath.beta(a2, b2)))
    c1, c2, c3, c4 = a1 + b1, a1 + 1, a1 + a2, a1 + a2 + b1 + b2
    total = mpf(0)
    for k in range(cap):
        total += t
        if k > 10 and t < total * mpf("1e-60"):
            return total
        t = t * (c1 + k) * (c3 + k) / ((c2 + k) * (c4 + k))
    return None


def reference(a1, b1, a2, b2):
    """P(X < Y) in 50 digits; returns (value, methods) or raises RuntimeError on a failed check.

    Tries four series forms: P(X < Y) itself, the mirrored P(1 - Y < 1 - X) (1 - p is
    Beta(b, a)), and the complements of both (used only where the answer is above 1e-30, so the
    subtraction keeps 30 digits). Posteriors near 1 converge in the mirrored forms. Where two
    forms converge they must agree; where none does (small counts), quadrature decides. A
    whole-number parameter adds the exact finite sum as another check.
    """
    a1, b1, a2, b2 = (mpf(v) for v in (a1, b1, a2, b2))
    forms = [("series", (a1, b1, a2, b2), False), ("mirrored series", (b2, a2, b1, a1), False),
             ("complement series", (a2, b2, a1, b1), True),
             ("mirrored complement series", (b1, a1, b2, a2), True)]
    if a1 / (a1 + b1) + a2 / (a2 + b2) > 1:
        forms = [forms[1], forms[0], forms[3], forms[2]]
    found = []
    for name, args, complement in forms:
        v = series(*args)
        if v is None:
            continue
        if complement:
            v = 1 - v
            if v < mpf("1e-30"):
                continue
        found.append((name, v))
        if len(found) == 2:
            break
    if not found:
        found.append(("quadrature", quadrature(a1, b1, a2, b2)))
    exact = whole_sum(a1, b1, a2, b2)
    if exact is not None:
        found.append(("exact finite sum", exact))
    if len(found) == 1:
        cook = cook_recurrence(float(a1), float(b1), float(a2), float(b2))
        if cook is not None:
            found.append(("Cook's recurrence", cook))
    value = found[0][1]
    for name, v in found[1:]:
        if not abs(v - value) <= abs(value) * mpf("1e-20"):
            raise RuntimeError(f"{found[0][0]} {mpmath.nstr(value, 30)} and {name} "
                               f"{mpmath.nstr(v, 30)} disagree")
    return value, [name for name, _ in found]


def whole_sum(a1, b1, a2, b2):
    """P(X < Y) as a finite positive sum when a posterior parameter is whole, else None.

    P(Y > X) for whole ay is sum_{i < ay} B(ax + i, bx + by) / ((by + i) B(1 + i, by) B(ax, bx))
    (Cook 2005, eq. for h(a1, b1, a2, b2) with a whole first parameter), and the mirrored forms
    use 1 - p ~ Beta(b, a). Only the two forms that give P(X < Y) directly (no 1 - sum) are
    used; terms are walked by their exact ratio in 50 digits.
    """
    def greater(ay, by, ax, bx):  # P(Y > X), ay whole
        n = int(ay)
        if n > 200_000:
            return None
        term = mpmath.beta(ax, bx + by) / (by * mpmath.beta(1, by) * mpmath.beta(ax, bx))
        total = mpf(0)
        for i in range(n):
            total += term
            term *= (ax + i) * (by + i) / ((ax + bx + by + i) * (1 + i))
        return total

    opts = []
    if float(a2).is_integer():
        opts.append((a2, lambda: greater(mpf(a2), mpf(b2), mpf(a1), mpf(b1))))
    if float(b1).is_integer():
        opts.append((b1, lambda: greater(mpf(b1), mpf(a1), mpf(b2), mpf(a2))))
    if not opts:
        return None
    return min(opts, key=lambda o: o[0])[1]()


def cook_recurrence(a1, b1, a2, b2, max_steps=3000):
    """P(X < Y) by Cook's exact recurrences, in 80 digits, or None if not applicable or long.

    Cook, "Exact calculation of beta inequalities", UT M. D. Anderson Cancer Center Department
    of Biostatistics Technical Report 54 (2005): with g = B(a1 + a2, b1 + b2) / (B(a1, b1)
    B(a2, b2)), raising a1 by one lowers P(X < Y) by g / a1, b1 raises it by g / b1, a2 by
    g / a2, b2 lowers it by g / b2; from (f, f, f, f), where P = 1/2 by symmetry. Applies when
    the four parameters share their fractional part f. The signs alternate, so it is run in 80
    digits (a few thousand steps cancel far fewer than 30 of them); independent of the
    quadrature and series, it checks the small-count cases that only quadrature reaches.
    """
    vals = [a1, b1, a2, b2]
    f = vals[0] - math.floor(vals[0])
    if any(v - math.floor(v) != f for v in vals) or f == 0:
        return None
    steps = [int(v - f) for v in vals]
    if sum(steps) > max_steps:
        return None
    with mp.workdps(80):
        cur = [mpf(f)] * 4
        p = mpf(1) / 2
        sign = (-1, 1, 1, -1)
        for which in range(4):
            for _ in range(steps[which]):
                g = mpmath.beta(cur[0] + cur[2], cur[1] + cur[3]) / (
                    mpmath.beta(cur[0], cur[1]) * mpmath.beta(cur[2], cur[3]))
                p += sign[which] * g / cur[which]
                cur[which] += 1
        return +p


def cases():
    out = []
    for (x1, n1), (x2, n2) in PAIRS:
        for a, b in PRIORS + ((ODD_PRIOR,) if ((x1, n1), (x2, n2)) in ODD_PRIOR_PAIRS else ()):
            out.append((x1, n1, x2, n2, a, b))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", required=True, help="path to the stats_probe executable")
    ap.add_argument("--only", help="run only cases whose probe line contains this text")
    args = ap.parse_args()
    if not os.access(args.probe, os.X_OK):
        print(f"bayes_mpmath_check: probe {args.probe} is not an executable", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    t0 = time.time()
    todo = cases()
    lines = [f"c{i} bayes {x1} {n1} {x2} {n2} {a!r} {b!r}"
             for i, (x1, n1, x2, n2, a, b) in enumerate(todo)]
    if args.only:
        keep = [i for i, ln in enumerate(lines) if args.only in ln]
        todo = [todo[i] for i in keep]
        lines = [lines[i] for i in keep]
    proc = subprocess.run([args.probe], input="".join(ln + "\n" for ln in lines),
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        print(f"bayes_mpmath_check: probe exited {proc.returncode}: {proc.stderr[:2000]}")
        print("0 passed, 1 failed")
        return 1
    ours = {}
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        ours[obj["id"]] = obj

    passed = failed = 0
    worst = (0.0, None)
    cross_checked = 0
    print(f"{'case (x1 n1 x2 n2 a b)':46} {'lockrig':>24} {'mpmath (50 digits)':>24} "
          f"{'rel err':>9}")
    for line, (x1, n1, x2, n2, a, b) in zip(lines, todo):
        cid = line.split()[0]
        label = " ".join(line.split()[2:])
        a1, b1, a2, b2 = a + x1, b + n1 - x1, a + x2, b + n2 - x2
        mine = ours.get(cid)
        if mine is None or "error" in mine:
            failed += 1
            print(f"FAIL {label}: probe error {mine}")
            continue
        t_case = time.time()
        try:
            if (a1, b1) == (a2, b2):
                ref, how = mpf("0.5"), ["symmetry"]  # identical posteriors: exactly 1/2
            else:
                ref, how = reference(a1, b1, a2, b2)
            cross_checked += len(how) > 1
        except (RuntimeError, ValueError, ZeroDivisionError, mpmath.libmp.NoConvergence) as e:
            failed += 1
            print(f"FAIL {label}: the reference failed its self-check: {e}")
            continue
        p = mine["p"]
        diff = abs(mpf(p) - ref)
        rel = float(diff / ref) if ref != 0 else float("inf")
        if ref < TINY:
            ok = diff <= ABS_TOL_TINY
        else:
            ok = rel <= REL_TOL
            if rel > worst[0]:
                worst = (rel, label)
        passed += ok
        failed += not ok
        print(f"{'' if ok else 'FAIL '}{label:46} {p:24.17g} {mpmath.nstr(ref, 17):>24} "
              f"{rel:9.2e}  ({' = '.join(how)}; {time.time() - t_case:.1f} s)")
    print(f"bayes mpmath check: {len(todo)} cases ({cross_checked} with two or more "
          f"methods agreeing to 1e-20), {time.time() - t0:.1f} s; "
          f"worst relative error {worst[0]:.3g}"
          f" ({worst[1]})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
