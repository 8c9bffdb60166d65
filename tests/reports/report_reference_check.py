#!/usr/bin/env python3
"""Recomputes the figures of a lockrig JSON report (schema lockrig.report/1) from the counts
printed next to them, with references no one here wrote: R (fisher.test, mantelhaen.test,
power.prop.test, metafor::rma.mh for the Mantel-Haenszel risk difference with Sato's variance)
and statsmodels/scipy (Wilson, Newcombe, Holm, Benjamini-Hochberg, Breslow-Day, Beta posteriors).

Usage: report_reference_check.py REPORT.json
Exits non-zero on the first disagreement; a missing R, metafor, statsmodels or scipy is a failure,
never a skip. Prints the number of figures checked.
"""
import json
import math
import subprocess
import sys

import numpy as np
from scipy import integrate
from scipy.stats import beta, fisher_exact, norm
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

checked = 0


def restricted_mle(x1, n1, x0, n0, d):
    """argmax of the two-binomial likelihood with p1 - p0 = d, by brentq on the score."""
    from scipy.optimize import brentq

    def term(c, r):
        return 0.0 if c == 0 else (math.inf if r <= 0 else c / r)

    def score(p0):
        p1 = p0 + d
        return term(x1, p1) - term(n1 - x1, 1 - p1) + term(x0, p0) - term(n0 - x0, 1 - p0)
    lo, hi = max(0.0, -d), min(1.0, 1.0 - d)
    if score(lo) <= 0:
        p0 = lo
    elif score(hi) >= 0:
        p0 = hi
    else:
        p0 = brentq(score, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return p0 + d, p0


def mn_stratified(cells, d0):
    """Stratified Miettinen-Nurminen (1985) score statistic at the null difference d0 with MH
    weights n1 n0 / (n1 + n0); returns (RD, se, z, per-stratum (p1~, p0~, V, z_k))."""
    w_sum = num = var = 0.0
    parts = []
    for x1, n1, x0, n0 in cells:
        p1n, p0n = restricted_mle(x1, n1, x0, n0, d0)
        n = n1 + n0
        v = (p1n * (1 - p1n) / n1 + p0n * (1 - p0n) / n0) * n / (n - 1)
        w = n1 * n0 / n
        w_sum += w
        num += w * (x1 / n1 - x0 / n0)
        var += w * w * v
        parts.append((p1n, p0n, v, (x1 / n1 - x0 / n0 - d0) / math.sqrt(v)))
    rd = num / w_sum
    se = math.sqrt(var) / w_sum
    return rd, se, (rd - d0) / se, parts


def invert(cells, zq):
    """The difference d where the stratified score statistic equals zq (brentq)."""
    from scipy.optimize import brentq
    return brentq(lambda d: mn_stratified(cells, d)[2] - zq, -1 + 1e-9, 1 - 1e-9,
                  xtol=1e-14, maxiter=500)


def close(got, want, what, rel=1e-9, absolute=1e-12):
    global checked
    checked += 1
    if got is None or want is None or not math.isfinite(got) or not math.isfinite(want):
        if got != want:
            sys.exit(f"MISMATCH {what}: report {got!r}, reference {want!r}")
        return
    if abs(got - want) > max(absolute, rel * abs(want)):
        sys.exit(f"MISMATCH {what}: report {got!r}, reference {want!r}")


def wilson(prop, what):
    if prop["trials"] == 0:
        return
    lo, hi = proportion_confint(prop["successes"], prop["trials"], alpha=1 - prop["confidence"],
                                method="wilson")
    close(prop["rate"], prop["successes"] / prop["trials"], what + " rate")
    close(prop["interval"]["lower"], lo, what + " Wilson lower")
    close(prop["interval"]["upper"], hi, what + " Wilson upper")


def newcombe(diff, what):
    c, b = diff["candidate"], diff["baseline"]
    lo, hi = confint_proportions_2indep(c["successes"], c["trials"], b["successes"], b["trials"],
                                        method="newcomb", compare="diff",
                                        alpha=1 - diff["confidence"])
    close(diff["difference"], c["successes"] / c["trials"] - b["successes"] / b["trials"],
          what + " difference")
    close(diff["interval"]["lower"], lo, what + " Newcombe lower")
    close(diff["interval"]["upper"], hi, what + " Newcombe upper")


def table(c, b):
    return [[c["successes"], c["trials"] - c["successes"]],
            [b["successes"], b["trials"] - b["successes"]]]


def run_r(script):
    out = subprocess.run(["Rscript", "--vanilla", "-e", script], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("R failed:\n" + out.stderr)
    values = {}
    for line in out.stdout.splitlines():
        if line.startswith("@"):
            key, value = line[1:].split(" ", 1)
            values[key] = float(value)
    return values


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    assert doc["schema"] == "lockrig.report/1", doc["schema"]
    settings = doc["settings"]
    alpha, conf = settings["alpha"], settings["confidence"]

    for arm in doc["arms"]:
        wilson(arm["sli"], arm["name"] + " SLI")
        wilson(arm["first_attempt"], arm["name"] + " first attempt")
        for g in arm["by_stratum"]:
            wilson(g["sli"], f"{arm['name']} {g['stratum']} SLI")
        for g in arm["by_scenario"]:
            wilson(g["sli"], f"{arm['name']} {g['scenario']} SLI")
        if arm["latency"]["within_slo"]:
            wilson(arm["latency"]["within_slo"], arm["name"] + " within SLO")
        attempts = arm["attempts_per_session"]
        assert sum(a["sessions"] for a in attempts) == arm["sli"]["trials"]
        assert sum(a["successes"] for a in attempts) == arm["sli"]["successes"]

    # Locks: one-sided Fisher against the peers, Benjamini-Hochberg over the locks compared.
    # Peers are recomputed here from the locks' own counts: the other locks of the same version
    # on the same door material, and a lock without one is not compared (issue 11 item 9).
    raw, adjusted = [], []
    for lock in doc["locks"]:
        wilson(lock["sli"], "lock " + lock["lock"])
        peers = [o for o in doc["locks"] if o["arm"] == lock["arm"] and
                 o["material"] == lock["material"] and o["lock"] != lock["lock"]]
        want_trials = sum(o["sli"]["trials"] for o in peers)
        want_successes = sum(o["sli"]["successes"] for o in peers)
        assert lock["peer_counts"]["trials"] == want_trials, ("peers of", lock["lock"])
        assert lock["peer_counts"]["successes"] == want_successes, ("peers of", lock["lock"])
        if want_trials == 0:
            assert lock["p_worse"] is None and not lock["flagged"], ("no peers", lock["lock"])
        if lock["p_worse"] is None:
            continue
        p = fisher_exact(table(lock["sli"], lock["peer_counts"]), alternative="less")[1]
        close(lock["p_worse"], p, "lock " + lock["lock"] + " Fisher less", rel=1e-7)
        raw.append(p)
        adjusted.append(lock["p_worse_bh"])
    if raw:
        for got, want in zip(adjusted, multipletests(raw, method="fdr_bh")[1]):
            close(got, want, "lock BH", rel=1e-7)

    comparison = doc["comparison"]
    if comparison is None:
        print(f"ok: {checked} figures")
        return
    overall = comparison["overall"]
    newcombe(overall["sli"], "overall SLI")
    newcombe(overall["first_attempt"], "overall first attempt")

    # Beta posteriors (Jeffreys), P(p_cand < p_base) by numerical integration.
    bayes = overall["bayes"]
    c, b = overall["sli"]["candidate"], overall["sli"]["baseline"]
    ca, cb = 0.5 + c["successes"], 0.5 + c["trials"] - c["successes"]
    ba, bb = 0.5 + b["successes"], 0.5 + b["trials"] - b["successes"]
    close(bayes["candidate_a"], ca, "posterior a")
    close(bayes["baseline_b"], bb, "posterior b")
    centre = [ca / (ca + cb), ba / (ba + bb)]
    p_worse, _ = integrate.quad(lambda x: beta.pdf(x, ba, bb) * beta.cdf(x, ca, cb), 0, 1,
                                points=sorted(centre), limit=500, epsabs=1e-12, epsrel=1e-10)
    close(bayes["probability_candidate_worse"], p_worse, "P(candidate worse)", rel=1e-6,
          absolute=1e-8)

    strata = [s for s in comparison["strata"]
              if s["candidate"]["trials"] > 0 and s["baseline"]["trials"] > 0]
    holm_in = []
    for s in strata:
        newcombe({"candidate": s["candidate"], "baseline": s["baseline"],
                  "difference": s["difference"], "interval": s["interval"], "confidence": conf},
                 "stratum " + s["stratum"])
        p = fisher_exact(table(s["candidate"], s["baseline"]))[1]
        close(s["fisher_p"], p, "stratum " + s["stratum"] + " Fisher", rel=1e-7)
        holm_in.append(s["fisher_p"])
    for s, want in zip(strata, multipletests(holm_in, method="holm")[1]):
        close(s["fisher_p_holm"], want, "stratum " + s["stratum"] + " Holm", rel=1e-9)

    # R: overall Fisher, CMH with the MH odds ratio, metafor's MH risk difference (Sato), and the
    # detectable drop of power.prop.test.
    cells = []
    for s in strata:
        t = table(s["candidate"], s["baseline"])
        cells += [t[0][0], t[1][0], t[0][1], t[1][1]]  # column-major 2x2 per stratum
    ai = ", ".join(str(s["candidate"]["successes"]) for s in strata)
    bi = ", ".join(str(s["candidate"]["trials"] - s["candidate"]["successes"]) for s in strata)
    ci = ", ".join(str(s["baseline"]["successes"]) for s in strata)
    di = ", ".join(str(s["baseline"]["trials"] - s["baseline"]["successes"]) for s in strata)
    t = table(c, b)
    r = f"""
suppressMessages(library(metafor))
say <- function(k, v) cat(sprintf("@%s %.17g\\n", k, v))
say("fisher", fisher.test(matrix(c({t[0][0]}, {t[1][0]}, {t[0][1]}, {t[1][1]}), 2))$p.value)
rd <- rma.mh(measure = "RD", ai = c({ai}), bi = c({bi}), ci = c({ci}), di = c({di}),
             level = {conf * 100})
say("rd", rd$beta[1]); say("rd_se", rd$se); say("rd_lo", rd$ci.lb); say("rd_hi", rd$ci.ub)
"""
    if len(strata) >= 1 and comparison["stratified"]["cmh"]["informative"]:
        r += f"""
m <- mantelhaen.test(array(c({", ".join(map(str, cells))}), dim = c(2, 2, {len(strata)})),
                     conf.level = {conf})
say("cmh", m$statistic); say("cmh_p", m$p.value)
say("or", m$estimate); say("or_lo", m$conf.int[1]); say("or_hi", m$conf.int[2])
"""
    power = comparison["power"]
    if power and power["minimum_detectable_drop"] is not None:
        r += f"""
say("p1", power.prop.test(n = {power["n_per_version"]!r}, p2 = {power["baseline_rate"]!r},
                          power = {power["power"]!r}, sig.level = {power["alpha"]!r},
                          tol = 1e-13)$p1)
"""
    ref = run_r(r)
    close(overall["sli_fisher"]["p_two_sided"], ref["fisher"], "overall Fisher", rel=1e-7)
    rd = comparison["stratified"]["risk_difference"]
    close(rd["difference"], ref["rd"], "MH risk difference")
    close(rd["se"], ref["rd_se"], "Sato se", rel=1e-8)
    close(rd["interval"]["lower"], ref["rd_lo"], "MH RD lower", rel=1e-8)
    close(rd["interval"]["upper"], ref["rd_hi"], "MH RD upper", rel=1e-8)
    if "cmh" in ref:
        cmh = comparison["stratified"]["cmh"]
        close(cmh["statistic"], ref["cmh"], "CMH statistic")
        close(cmh["p_value"], ref["cmh_p"], "CMH p", rel=1e-8)
        orr = comparison["stratified"]["odds_ratio"]
        close(orr["odds_ratio"], ref["or"], "MH odds ratio")
        close(orr["interval"]["lower"], ref["or_lo"], "MH OR lower", rel=1e-8)
        close(orr["interval"]["upper"], ref["or_hi"], "MH OR upper", rel=1e-8)
    if "p1" in ref:
        close(power["detectable_candidate_rate"], ref["p1"], "detectable rate", rel=1e-9)
        close(power["minimum_detectable_drop"], power["baseline_rate"] - ref["p1"],
              "detectable drop", rel=1e-6)
    hm = 2 / (1 / c["trials"] + 1 / b["trials"])
    if power:
        close(power["n_per_version"], hm, "harmonic mean n")

    # Breslow-Day over the strata that carry odds-ratio information.
    bd = comparison["stratified"]["breslow_day"]
    informative = [s for s in strata if s["role"] == "contributes"]
    if bd["informative"]:
        st = StratifiedTable(np.array([table(s["candidate"], s["baseline"])
                                       for s in informative], dtype=float).transpose(1, 2, 0))
        res = st.test_equal_odds(adjust=bd["tarone"])
        close(bd["statistic"], res.statistic, "Breslow-Day statistic", rel=1e-7)
        close(bd["p_value"], res.pvalue, "Breslow-Day p", rel=1e-6)
        assert bd["degrees_of_freedom"] == len(informative) - 1

    # The gate (issue 11): the stratified Miettinen-Nurminen score test with Mantel-Haenszel
    # weights, recomputed here with the restricted MLE solved by scipy's brentq (never a closed
    # form), its bounds by inverting it, the per-stratum checks with statsmodels' Holm, and the
    # verdict from those figures.
    gate = doc["gate"]
    margin, alpha = gate["margin"], gate["alpha"]
    cells4 = [(s["candidate"]["successes"], s["candidate"]["trials"],
               s["baseline"]["successes"], s["baseline"]["trials"]) for s in strata]
    rd0, se0, z0, parts = mn_stratified(cells4, -margin)
    close(gate["difference"], rd0, "gate RD", rel=1e-9, absolute=1e-13)
    close(gate["se"], se0, "gate null se", rel=1e-7)
    close(gate["z"], z0, "gate score z", rel=1e-7, absolute=1e-9)
    zq = norm.ppf(1 - alpha)
    lo = invert(cells4, zq)
    hi = invert(cells4, -zq)
    close(gate["lower_bound"], lo, "gate lower bound", rel=1e-6, absolute=1e-9)
    close(gate["upper_bound"], hi, "gate upper bound", rel=1e-6, absolute=1e-9)
    close(gate["interval_level"], 1 - 2 * alpha, "gate interval level")
    exact = len(cells4) == 1 and cells4[0][1] * cells4[0][3] <= 250_000
    if gate["method"] == "miettinen-nurminen-stratified-score":
        assert not exact, gate["method"]
        close(gate["p_value"], norm.sf(z0), "gate p(pass)", rel=1e-7, absolute=1e-12)
        close(gate["p_fail"], norm.cdf(z0), "gate p(fail)", rel=1e-7, absolute=1e-12)
    else:
        assert gate["method"] == "chan-exact-unconditional" and exact, gate["method"]
    worse = []
    if len(cells4) >= 2:
        ps = [norm.cdf(pz) for (_, _, _, pz) in parts]
        holm = multipletests(ps, method="holm")[1]
        for chk, s, p_raw, p_adj in zip(gate["strata_checks"], strata, ps, holm):
            assert chk["label"] == s["stratum"], (chk["label"], s["stratum"])
            close(chk["p"], p_raw, "stratum " + s["stratum"] + " p worse", rel=1e-6,
                  absolute=1e-12)
            close(chk["p_holm"], p_adj, "stratum " + s["stratum"] + " Holm", rel=1e-6,
                  absolute=1e-12)
            if p_adj < alpha:
                worse.append(s["stratum"])
    assert gate["worse_strata"] == worse, (gate["worse_strata"], worse)
    p_pass, p_fail = gate["p_value"], gate["p_fail"]
    want = ("fail" if p_fail < alpha or worse else "pass" if p_pass < alpha else "inconclusive")
    assert gate["verdict"] == want, (gate["verdict"], want)
    assert gate["exit_code"] == {"pass": 0, "fail": 1, "inconclusive": 4}[want]
    if gate["method"] == "miettinen-nurminen-stratified-score":
        # The printed bound is the one the verdict follows.
        assert (want == "pass") == (lo > -margin) or worse, (want, lo)
    fb = 1 - b["successes"] / b["trials"]
    close(gate["failure_ratio_allowed"], (fb + margin) / fb if fb > 0 else None,
          "failure ratio allowed")
    print(f"ok: {checked} figures (R: {', '.join(sorted(ref))})")


if __name__ == "__main__":
    main()
