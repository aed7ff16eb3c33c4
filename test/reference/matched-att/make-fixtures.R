# Reference standard errors for the matched ATT (sql/estimate/03_difference_in_means.sql),
# written to units.csv, replacement-units.csv, replacement-pairs.csv and fixtures.json;
# test/estimate/matched-att-reference.test.ts
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
# Matching with replacement (designs replace_1to1 and replace_1to2, drawn after the others so
# their values stay as they were): there are no sets, so the SE is the one MatchIt 4.7.2's
# vignette "Estimating effects" (section "Matching with replacement") describes for pair
# membership and control reuse (Austin & Cafri 2020): the regression on get_matches() rows
# (one row per unit per pair, a control once for every treated unit it serves, weight 1 for
# the treated unit and 1/k for each of its k controls), two-way cluster-robust by pair and
# unit: sandwich::vcovCL(fit, cluster = ~subclass + id). Each treated unit takes its 1 (or,
# for 1:2, mostly 2) nearest controls on a latent score, so controls near the treated are
# reused. replacement-pairs.csv holds those rows at baseline; replacement-units.csv one row
# per person (weight: MatchIt's match_data() weight, 0 for an unused control) with
# `observed`: in the month, a pair is kept when its treated unit and at least one of its
# controls are observed, each observed control then weighing 1 / (the pair's observed
# controls), as sql/estimate/00 does; 1:2 has persons not observed, 1:1 none.
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

design_replace <- function(name, treated_n, controls_n, ratio, censored_share) {
  x_t <- rnorm(treated_n, 0.6)
  x_c <- rnorm(controls_n)
  controls_of <- lapply(seq_len(treated_n), function(i) {
    k <- if (ratio == 1) 1 else sample(1:ratio, 1, prob = c(0.25, 0.75))
    order(abs(x_c - x_t[i]))[seq_len(k)]
  })
  ids <- c(sprintf("%s-t%03d", name, seq_len(treated_n)), sprintf("%s-c%03d", name, seq_len(controls_n)))
  x <- c(x_t, x_c)
  treated <- rep(c(1L, 0L), c(treated_n, controls_n))
  pairs <- do.call(rbind, lapply(seq_len(treated_n), function(i) {
    k <- length(controls_of[[i]])
    data.frame(design = name, subclass = i, person_id = ids[c(i, treated_n + controls_of[[i]])],
               treated = c(1L, rep(0L, k)), pair_weight = c(1, rep(1 / k, k)))
  }))
  # match_data()'s weights: a control's 1/k summed over its pairs, scaled to sum to the matched controls
  served <- tapply(pairs$pair_weight[pairs$treated == 0], pairs$person_id[pairs$treated == 0], sum)
  weight <- ifelse(treated == 1, 1, 0)
  weight[match(names(served), ids)] <- served * length(served) / sum(served)
  n <- length(ids)
  units <- data.frame(design = name, person_id = ids, treated = treated, weight = round(weight, 12),
                      employed_any = as.integer(runif(n) < plogis(-0.5 + 0.6 * treated + 0.8 * x)),
                      wage_eur = round(ifelse(runif(n) < 0.4, exp(6 + 0.5 * x + rnorm(n)), 0), 2),
                      observed = as.integer(runif(n) >= censored_share))
  list(units = units, pairs = pairs)
}

replace_designs <- list(replace_1to1 = design_replace("replace_1to1", 120, 100, 1, 0),
                        replace_1to2 = design_replace("replace_1to2", 150, 160, 2, 0.15))

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

# The get_matches() rows observed in the month, with the pair weights taken up: a pair needs
# its treated unit and at least one control observed.
observed_pairs <- function(design) {
  gm <- merge(design$pairs, design$units[, c("person_id", "observed", "employed_any", "wage_eur")], by = "person_id")
  gm <- gm[gm$observed == 1, ]
  treated_in <- tapply(gm$treated, gm$subclass, sum)
  controls_in <- tapply(1 - gm$treated, gm$subclass, sum)
  kept <- names(treated_in)[treated_in == 1 & controls_in > 0]
  gm <- gm[as.character(gm$subclass) %in% kept, ]
  gm$weight <- ifelse(gm$treated == 1, 1, 1 / controls_in[as.character(gm$subclass)])
  gm[order(gm$subclass, -gm$treated, gm$person_id), ]
}

replace_fixtures <- lapply(replace_designs, function(design) {
  gm <- observed_pairs(design)
  lapply(c(employed_any = "employed_any", wage_eur = "wage_eur"), function(outcome) {
    fit <- lm(reformulate("treated", outcome), data = gm, weights = weight)
    vc <- vcovCL(fit, cluster = ~subclass + person_id)
    # The same by hand: (n-1)/(n-k) x [P/(P-1) V_pair + N/(N-1) V_id - n/(n-1) V_row], V_x the HC0
    # cluster meat without adjustment (multi0 = FALSE: the intersection of pair and id is each row).
    n <- nrow(gm); p <- length(unique(gm$subclass)); persons <- length(unique(gm$person_id))
    v0 <- function(cluster) vcovCL(fit, cluster = cluster, type = "HC0", cadjust = FALSE)
    by_hand <- (n - 1) / (n - 2) * (p / (p - 1) * v0(~subclass) + persons / (persons - 1) * v0(~person_id) -
                                    n / (n - 1) * v0(seq_len(n)))
    stopifnot(isTRUE(all.equal(vc, by_hand)))
    list(estimate = unname(coef(fit)["treated"]), se = sqrt(vc["treated", "treated"]),
         # one-way alternatives, to show the two-way SE is not one of them
         se_pair = sqrt(vcovCL(fit, cluster = ~subclass)["treated", "treated"]),
         se_person = sqrt(vcovCL(fit, cluster = ~person_id)["treated", "treated"]),
         pairs = p, persons = persons, rows = n,
         n_treated = sum(gm$treated), n_control = length(unique(gm$person_id[gm$treated == 0])))
  })
})

write.csv(units[, c("design", "person_id", "subclass", "treated", "weight", "employed_any", "wage_eur")],
          file.path(here, "units.csv"), row.names = FALSE)
write.csv(do.call(rbind, lapply(replace_designs, `[[`, "units")), file.path(here, "replacement-units.csv"), row.names = FALSE)
write.csv(do.call(rbind, lapply(replace_designs, `[[`, "pairs")), file.path(here, "replacement-pairs.csv"), row.names = FALSE)
writeLines(toJSON(list(r = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                       designs = c(fixtures, replace_fixtures)),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "fixtures.json"))
