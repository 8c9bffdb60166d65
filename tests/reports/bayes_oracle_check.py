#!/usr/bin/env python3
"""P(candidate worse) against a 30-digit mpmath oracle (issue 11 item 7).

The report's P(candidate worse) is P(p_cand < p_base) for independent Beta posteriors
p ~ Beta(a + successes, b + failures). The oracle here is written from the definition, not from
lockrig's method: with U = 1 - p_cand ~ Beta(b1, a1) and V = 1 - p_base ~ Beta(b2, a2) (the
failure rates),

    P(candidate worse) = P(U > V) = integral_0^1 f_U(u) I_u(b2, a2) du

evaluated by mpmath's tanh-sinh quadrature at 30 significant digits, split at points around both
posteriors. The oracle checks itself: P(U > V) + P(V > U) computed as two separate integrals must
sum to 1 within 1e-15, else the case is reported as an oracle failure.

lockrig's answers come from the test-only stats_probe (`bayes x_c n_c x_b n_b a b`). Every case
must agree to 1e-9 relative, or to 1e-27 absolute where the probability is below 1e-18 (the range
bayes.hpp promises). Exits non-zero on any mismatch, or when mpmath is missing (never a
silent skip).

Usage: bayes_oracle_check.py --probe build/stats_probe
"""

import argparse
import json
import subprocess
import sys

try:
    import mpmath as mp
except ImportError:
    print("bayes_oracle_check: mpmath is missing (pip install mpmath, or Debian python3-mpmath)")
    print("0 passed, 1 failed")
    sys.exit(1)

mp.mp.dps = 30
REL = 1e-9
TINY, ABS_TINY = 1e-18, 1e-27

# (candidate successes, trials), (baseline successes, trials), prior (a, b)
CASES = [
    # The vector: 600/600 vs 576/600, in both directions (one of them is ~1e-9 small).
    ((600, 600), (576, 600), (0.5, 0.5)),
    ((576, 600), (600, 600), (0.5, 0.5)),
    ((992, 1000), (996, 1000), (0.5, 0.5)),
    ((20000, 20000), (19900, 20000), (0.5, 0.5)),
    ((4000, 4000), (3990, 4000), (0.5, 0.5)),
    ((0, 0), (1, 1), (1.0, 1.0)),
    ((10, 10), (0, 10), (0.5, 0.5)),
    ((3, 10), (7, 10), (0.5, 0.5)),
    ((600, 600), (576, 600), (1.0, 1.0)),
    ((600, 600), (590, 600), (0.3, 0.7)),  # no exact sum existed for this prior before
    ((99, 100), (950, 1000), (2.0, 0.5)),
    ((5000, 5000), (4950, 5000), (0.5, 0.5)),
]


def beta_pdf(x, a, b):
    return mp.exp((a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - mp.log(mp.beta(a, b)))


def split_points(params):
    """0 and 1 plus points around each posterior's mean, on a geometric ladder towards 0."""
    pts = {mp.mpf(0), mp.mpf(1)}
    for a, b in params:
        m = mp.mpf(a) / (a + b)
        sd = mp.sqrt(m * (1 - m) / (a + b + 1))
        for k in (-10, -6, -3, -1, 0, 1, 3, 6, 10, 20):
            x = m + k * sd
            if 0 < x < 1:
                pts.add(x)
    x = mp.mpf("1e-16")
    while x < 1:
        pts.add(x)
        x *= 100
    return sorted(pts)


def greater(ua, ub, va, vb):
    """P(U > V), U ~ Beta(ua, ub), V ~ Beta(va, vb)."""
    pts = split_points([(ua, ub), (va, vb)])
    return mp.quad(lambda u: beta_pdf(u, ua, ub) * mp.betainc(va, vb, 0, u, regularized=True),
                   pts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    args = ap.parse_args()
    lines = []
    for i, ((xc, nc), (xb, nb), (a, b)) in enumerate(CASES):
        lines.append(f"{i} bayes {xc} {nc} {xb} {nb} {a!r} {b!r}\n")
    proc = subprocess.run([args.probe], input="".join(lines), capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        print(f"bayes_oracle_check: probe exited {proc.returncode}: {proc.stderr[:2000]}")
        print("0 passed, 1 failed")
        return 1
    ours = {}
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        ours[int(obj["id"])] = obj
    passed = failed = 0
    worst = 0.0
    for i, ((xc, nc), (xb, nb), (a, b)) in enumerate(CASES):
        a1, b1 = mp.mpf(a) + xc, mp.mpf(b) + nc - xc
        a2, b2 = mp.mpf(a) + xb, mp.mpf(b) + nb - xb
        worse = greater(b1, a1, b2, a2)    # candidate's failure rate above the baseline's
        better = greater(b2, a2, b1, a1)
        label = f"{xc}/{nc} vs {xb}/{nb}, prior Beta({a}, {b})"
        if abs(worse + better - 1) > mp.mpf("1e-15"):
            print(f"FAIL oracle {label}: the two integrals sum to {mp.nstr(worse + better, 35)}")
            failed += 1
            continue
        obj = ours.get(i)
        if obj is None or "p" not in obj:
            print(f"FAIL {label}: probe gave no answer ({obj})")
            failed += 1
            continue
        got = mp.mpf(obj["p"])
        rel = abs(got - worse) / worse if worse > 0 else abs(got)
        if worse >= TINY:
            worst = max(worst, float(rel))
            ok = rel <= REL
        else:
            ok = abs(got - worse) <= ABS_TINY
        status = "ok" if ok else "FAIL"
        print(f"{status:4} {label}: lockrig {float(got):.17g}, oracle {mp.nstr(worse, 20)}, "
              f"relative error {float(rel):.2e}")
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"largest relative error {worst:.2e} (tolerance {REL:g})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
