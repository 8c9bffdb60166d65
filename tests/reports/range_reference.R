# Reference figures for reports/stats/range.* (issue 14), computed by R's own machinery:
# glm(family = binomial(link)) for the fits, MASS::dose.p for the level at a target rate and its
# standard error, profile-likelihood intervals by refitting glm with the level fixed (offset) and
# uniroot, Fieller's interval from polyroot, and metafor::rma(method = "FE") for the pooled
# difference between versions with Cochran's Q.
#
# Run by tests/reports/stats_range_test.cpp as `Rscript --vanilla range_reference.R`; it prints
# one block per case, each line "key value...", with the data it generated, so the C++ side fits
# exactly the same counts.
suppressPackageStartupMessages({
  library(MASS)
  library(metafor)
})

ctl <- glm.control(epsilon = 1e-13, maxit = 500)
out <- function(key, ...) cat(key, sprintf("%.17g", c(...)), "\n")

fit_case <- function(name, x, n, y, link, target, conf = 0.95) {
  fam <- binomial(link = link)
  fit <- glm(cbind(y, n - y) ~ x, family = fam, control = ctl)
  b <- coef(fit)
  v <- vcov(fit)
  g <- fam$linkfun(target)
  dp <- dose.p(fit, cf = 1:2, p = target)
  theta <- as.numeric(dp)
  se <- as.numeric(attr(dp, "SE"))
  z <- qnorm(1 - (1 - conf) / 2)
  # Fieller: roots of (b0 + b1 t - g)^2 - z^2 (v00 + 2 t v01 + t^2 v11).
  cf <- c((b[1] - g)^2 - z^2 * v[1, 1],
          2 * (b[2] * (b[1] - g) - z^2 * v[1, 2]),
          b[2]^2 - z^2 * v[2, 2])
  fr <- sort(Re(polyroot(cf)))
  # Profile likelihood of the level: the slope refitted with the level held at t.
  pdev <- function(t) {
    u <- x - t
    # Far from the estimate (only the root bracket's ends) the refit may hit rates of 0 or 1.
    suppressWarnings(glm(cbind(y, n - y) ~ 0 + u, offset = rep(g, length(x)), family = fam,
                         control = ctl, start = b[2])$deviance)
  }
  crit <- qchisq(conf, 1)
  f <- function(t) pdev(t) - deviance(fit) - crit
  lo <- uniroot(f, c(theta - 15 * se, theta), tol = 1e-13)$root
  hi <- uniroot(f, c(theta, theta + 15 * se), tol = 1e-13)$root
  cat("case", name, link, sprintf("%.17g", target), "\n")
  out("levels", x)
  out("trials", n)
  out("successes", y)
  out("coef", b)
  out("vcov", v[1, 1], v[1, 2], v[2, 2])
  out("deviance", deviance(fit), fit$null.deviance, df.residual(fit))
  pear <- sum(residuals(fit, type = "pearson")^2)
  out("pearson", pear)
  out("gof", pchisq(deviance(fit), df.residual(fit), lower.tail = FALSE),
      pchisq(pear, df.residual(fit), lower.tail = FALSE))
  out("dose", theta, se)
  out("fieller", fr)
  out("profile", lo, hi)
  out("profile_mid", pdev((theta + hi) / 2))
  cat("end\n")
  invisible(list(theta = theta, se = se))
}

# Bliss (1935) beetle mortality: adult flour beetles killed after five hours' exposure to gaseous
# carbon disulphide; dose is log10(CS2 mg/l). As tabulated in Dobson and Barnett, An Introduction
# to Generalized Linear Models (3rd ed., 2008), Table 7.2.
beetle_x <- c(1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839)
beetle_n <- c(59, 60, 62, 56, 63, 59, 62, 60)
beetle_y <- c(6, 13, 18, 28, 52, 53, 61, 60)
fit_case("beetle", beetle_x, beetle_n, beetle_y, "logit", 0.5)
fit_case("beetle", beetle_x, beetle_n, beetle_y, "cloglog", 0.5)
fit_case("beetle", beetle_x, beetle_n, beetle_y, "logit", 0.9)

# Generated sweeps: unlock success falling with attenuation (dB), 20 sessions per level.
set.seed(20261203)
sweep <- function(levels, n, mid, scale, link) {
  eta <- (mid - levels) / scale
  p <- if (link == "logit") plogis(eta) else 1 - exp(-exp(eta))
  rbinom(length(levels), n, p)
}
lv <- seq(50, 90, by = 2)
nn <- rep(20, length(lv))
ys <- sweep(lv, nn, 74, 2.5, "logit")
fit_case("sweep", lv, nn, ys, "logit", 0.99)
fit_case("sweep", lv, nn, ys, "cloglog", 0.99)
fit_case("sweep", lv, nn, ys, "logit", 0.9)
yc <- sweep(lv, nn, 72, 3, "cloglog")
fit_case("sweep_cll", lv, nn, yc, "cloglog", 0.99)

# A two-version comparison on two door materials: the candidate loses about 3 dB on steel.
compare <- function(link, target) {
  strata <- list(
    list(label = "steel", cmid = 68, bmid = 71),
    list(label = "wood", cmid = 76, bmid = 76))
  cat("compare materials", link, sprintf("%.17g", target), "\n")
  d <- c(); s <- c()
  for (st in strata) {
    yc <- sweep(lv, nn, st$cmid, 2.5, "logit")
    yb <- sweep(lv, nn, st$bmid, 2.5, "logit")
    cat("stratum", st$label, "\n")
    out("candidate_successes", yc)
    out("baseline_successes", yb)
    fc <- glm(cbind(yc, nn - yc) ~ lv, family = binomial(link), control = ctl)
    fb <- glm(cbind(yb, nn - yb) ~ lv, family = binomial(link), control = ctl)
    dc <- dose.p(fc, p = target)
    db <- dose.p(fb, p = target)
    di <- as.numeric(dc) - as.numeric(db)
    si <- sqrt(attr(dc, "SE")^2 + attr(db, "SE")^2)
    out("stratum_difference", di, si)
    d <- c(d, di); s <- c(s, si)
  }
  m <- rma(yi = d, sei = s, method = "FE")
  out("pooled", m$b, m$se, m$ci.lb, m$ci.ub, m$QE, m$QEp)
  cat("end\n")
}
out("levels", lv)
out("trials", nn)
compare("logit", 0.99)
compare("cloglog", 0.9)
