# Reference standard errors for the matched ATT (sql/estimate/03_difference_in_means.sql),
# written to units.csv and fixtures.json; test/estimate/matched-att-reference.test.ts
# compares with them, so R never runs in CI.
#
# The matched ATT of a month is the coefficient of treated in the weighted regression
# lm(y ~ treated, weights = weight) on the matched persons observed in it. Its primary
# standard error is cluster-robust by matched set (the stratum for exact matching, the
# pair or set for nearest neighbour), as MatchIt's "Estimating effects" vignette does
# with marginaleffects' vcov = ~subclass: sandwich::vcovCL(fit, cluster = ~subclass),
# whose default for lm is type "HC1" with cadjust: G/(G-1) x (n-1)/(n-k), k = 2.
#
# Designs: exact strata (controls weighted T_s/C_s x C/T, many strata of unequal size),
# 1:2 sets with some treated matched to one control (weights 1/2 and 1), and 1:1 pairs;
# a binary and a skewed amount outcome each.
#
# Run: Rscript test/reference/matched-att/make-fixtures.R   (needs sandwich, jsonlite)
suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
set.seed(20261129)

design_exact <- function() {
  strata <- 1:40
  rows <- do.call(rbind, lapply(strata, function(s) {
    t_s <- sample(1:6, 1)
    c_s <- sample(1:15, 1)
    data.frame(subclass = s, treated = c(rep(1, t_s), rep(0, c_s)))
  }))
  t_total <- sum(rows$treated)
  c_total <- sum(rows$treated == 0)
  sizes <- aggregate(treated ~ subclass, rows, function(x) c(sum(x), sum(1 - x)))
  t_s <- sizes$treated[match(rows$subclass, sizes$subclass), 1]
  c_s <- sizes$treated[match(rows$subclass, sizes$subclass), 2]
  rows$weight <- ifelse(rows$treated == 1, 1, (t_s / c_s) * (c_total / t_total))
  rows
}

design_sets <- function(pairs, ratio) {
  do.call(rbind, lapply(seq_len(pairs), function(s) {
    controls <- if (ratio == 1) 1 else sample(1:ratio, 1, prob = c(0.25, 0.75))
    data.frame(subclass = s, treated = c(1, rep(0, controls)), weight = c(1, rep(1 / controls, controls)))
  }))
}

designs <- list(exact = design_exact(), sets_1to2 = design_sets(150, 2), pairs_1to1 = design_sets(120, 1))

units <- do.call(rbind, lapply(names(designs), function(name) {
  d <- designs[[name]]
  n <- nrow(d)
  d$design <- name
  d$person_id <- sprintf("%s-%04d", name, seq_len(n))
  # Outcomes that depend on the set, so the clustering matters.
  set_effect <- rnorm(max(d$subclass))[d$subclass]
  d$employed_any <- as.integer(runif(n) < plogis(-0.5 + 0.6 * d$treated + set_effect))
  d$wage_eur <- round(ifelse(runif(n) < 0.4, exp(6 + set_effect + rnorm(n)), 0), 2)
  d
}))
units$weight <- round(units$weight, 12)

fixtures <- lapply(split(units, units$design), function(d) {
  lapply(c(employed_any = "employed_any", wage_eur = "wage_eur"), function(outcome) {
    fit <- lm(reformulate("treated", outcome), data = d, weights = weight)
    vc <- vcovCL(fit, cluster = ~subclass)
    # The same by hand: HC0 cluster meat x G/(G-1) x (n-1)/(n-k).
    g <- length(unique(d$subclass)); n <- nrow(d)
    vc0 <- vcovCL(fit, cluster = ~subclass, type = "HC0", cadjust = FALSE)
    stopifnot(isTRUE(all.equal(vc, vc0 * g / (g - 1) * (n - 1) / (n - 2))))
    list(estimate = unname(coef(fit)["treated"]), se = sqrt(vc["treated", "treated"]), clusters = g, persons = n)
  })
})

write.csv(units[, c("design", "person_id", "subclass", "treated", "weight", "employed_any", "wage_eur")],
          file.path(here, "units.csv"), row.names = FALSE)
writeLines(toJSON(list(r = R.version.string, sandwich = as.character(packageVersion("sandwich")), designs = fixtures),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "fixtures.json"))
