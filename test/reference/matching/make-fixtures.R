# Runs R's glm and MatchIt on the reference data sets and writes one JSON
# fixture per case (<case>.json, next to the data), read by
# test/match/reference-agreement.test.ts. CI never runs R; it reads these.
#
# Run from the repository root: Rscript test/reference/matching/make-fixtures.R
# Made with R 4.2.2, MatchIt 4.5.1 and jsonlite 1.8.4 (Debian bookworm).
#
# MatchIt 4.5.1's nearest-neighbour matcher (nn_matchC_vec, new in 4.5.1)
# has two bugs that this script works around:
# 1. It compares |distance differences| with C's integer abs(), which
#    truncates them: with logits it takes the lower-PS control whenever both
#    candidates are within 1 logit and ignores any caliper below 1 logit
#    (distance = c(0.5, 0, 0.9), treatment c(1, 0, 0) matches the control at
#    0). Work-around: MatchIt gets the glm linear predictor (what `distance =
#    "glm", link = "linear.logit"` computes) times 2^26 as `distance`; a
#    power of two keeps every order and tie exact, leaves a truncation of
#    2^-26 (1.5e-8) logit, and scales sd() and so the caliper alike.
# 2. From the second round on (ratio > 1) it skips "controls already matched
#    to this treated unit" by comparing 0-based with 1-based unit indices:
#    it skips the unit just after each earlier match (in data order, within
#    the exact cell) instead, and with replacement it matches the same
#    control to one treated unit again (1:3 gives 254, 254, 254).
#    Work-around: `nearest_reference()` below is an independent R
#    implementation of MatchIt's algorithm (rounds, visiting order, nearest
#    available control below/above in the stable distance sort, lower side on
#    a tie, caliper). Run with `emulate_matchit_4_5_1 = TRUE` (both bugs
#    reproduced) it must return exactly MatchIt's match matrix in every case,
#    which the script checks; run without, on the unscaled logit, it gives
#    the fixture's matches. Weights, subclasses and the balance table then
#    come from MatchIt's own weights.matrix, mm2subclass and summary().
#
# Levels of string covariates are sorted in the C locale, as the engine does.
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))
dir <- "test/reference/matching"
DISTANCE_SCALE <- 2^26
# Gaps closer than this count as a tie (the engine's rule; see src/match/nearest-neighbour.ts).
GAP_TIE_TOLERANCE_LOGIT <- 1e-10

lalonde_covariates <- c("age", "educ", "race", "married", "nodegree", "re74", "re75")
synthetic_covariates <- c("age", "sex", "region", "benefit_months", "worked_12m", "wage_eur_12m")
ties_covariates <- c("age_band", "sex", "worked_12m")

nearest <- function(name, data, treatment, covariates, ratio = 1, caliper = NA, replace = FALSE,
                    order = "largest", exact = character(0)) {
  list(name = name, data = data, treatment = treatment, covariates = covariates, method = "nearest",
       ratio = ratio, caliper = caliper, replace = replace, order = order, exact = exact)
}
exact_strata <- function(name, data, treatment, covariates) {
  list(name = name, data = data, treatment = treatment, covariates = covariates, method = "exact",
       ratio = NA, caliper = NA, replace = NA, order = NA, exact = character(0))
}

cases <- list(
  nearest("lalonde-nearest-1to1", "lalonde.csv", "treat", lalonde_covariates),
  nearest("lalonde-nearest-1to2-caliper", "lalonde.csv", "treat", lalonde_covariates, ratio = 2, caliper = 0.2),
  nearest("lalonde-replace-1to1", "lalonde.csv", "treat", lalonde_covariates, replace = TRUE),
  nearest("lalonde-replace-1to3", "lalonde.csv", "treat", lalonde_covariates, ratio = 3, replace = TRUE),
  nearest("lalonde-exact-race-ps-within", "lalonde.csv", "treat", lalonde_covariates, exact = "race"),
  nearest("lalonde-smallest-caliper", "lalonde.csv", "treat", lalonde_covariates, caliper = 0.1, order = "smallest"),
  nearest("lalonde-data-1to3-caliper", "lalonde.csv", "treat", lalonde_covariates, ratio = 3, caliper = 0.5, order = "data"),
  exact_strata("lalonde-exact", "lalonde.csv", "treat", c("race", "married", "nodegree", "educ")),
  nearest("synthetic-nearest-1to1", "synthetic.csv", "treated", synthetic_covariates),
  nearest("synthetic-nearest-1to2-caliper", "synthetic.csv", "treated", synthetic_covariates, ratio = 2, caliper = 0.2),
  nearest("synthetic-replace-1to2", "synthetic.csv", "treated", synthetic_covariates, ratio = 2, replace = TRUE),
  nearest("synthetic-exact-sex-caliper", "synthetic.csv", "treated", synthetic_covariates, caliper = 0.25, exact = "sex"),
  exact_strata("synthetic-exact", "synthetic.csv", "treated", c("sex", "region", "worked_12m")),
  nearest("ties-nearest-1to1", "ties.csv", "treated", ties_covariates),
  nearest("ties-data-1to2", "ties.csv", "treated", ties_covariates, ratio = 2, order = "data"),
  nearest("ties-replace-1to2", "ties.csv", "treated", ties_covariates, ratio = 2, replace = TRUE),
  nearest("ties-smallest-caliper", "ties.csv", "treated", ties_covariates, caliper = 0.3, order = "smallest"),
  nearest("ties-exact-sex-1to2", "ties.csv", "treated", ties_covariates, ratio = 2, exact = "sex")
)

# Greedy nearest-neighbour matching as MatchIt 4.5 does it, written out
# plainly (O(n^2), fine for a few hundred rows). Units sort by (distance,
# row) as MatchIt's stable sort.list(); treated units are visited in `order`
# in `ratio` rounds; each takes the nearest available control below or
# above it in that sort (below wins a tie, gaps within 1e-10 logit being
# a tie), within its exact cell, never
# one it already has, and none beyond the caliper. Returns the match matrix
# (treated units in data order x rounds; row indices, NA = none).
# `emulate_matchit_4_5_1` reproduces MatchIt 4.5.1's integer abs() and its
# off-by-one "already matched to this treated unit" test.
nearest_reference <- function(distance, treat, ratio, replace, order, caliper, cells, emulate_matchit_4_5_1) {
  n <- length(distance)
  position <- integer(n)
  position[order(distance)] <- seq_len(n)
  cell_index <- ave(seq_len(n), cells, FUN = seq_along) # index within the cell, as MatchIt's per-cell call sees it
  gap <- function(a, b) if (emulate_matchit_4_5_1) abs(trunc(a - b)) else abs(a - b)
  treated <- which(treat == 1)
  visiting <- switch(order,
    largest = treated[order(distance[treated], decreasing = TRUE)],
    smallest = treated[order(distance[treated])],
    data = treated)
  mm <- matrix(NA_integer_, length(treated), ratio, dimnames = list(names(treat)[treated], NULL))
  available <- treat == 0
  for (round in seq_len(ratio)) {
    for (unit in visiting) {
      row <- match(unit, treated)
      earlier <- mm[row, seq_len(round - 1)]
      earlier <- earlier[!is.na(earlier)]
      skipped <- if (emulate_matchit_4_5_1) {
        which(cells == cells[unit] & cell_index %in% (cell_index[earlier] + 1L))
      } else earlier
      candidates <- setdiff(which(available & cells == cells[unit]), skipped)
      below <- candidates[position[candidates] < position[unit]]
      above <- candidates[position[candidates] > position[unit]]
      left <- if (length(below)) below[which.max(position[below])] else NA
      right <- if (length(above)) above[which.min(position[above])] else NA
      if (!is.na(caliper) && !is.na(left) && gap(distance[unit], distance[left]) > caliper) left <- NA
      if (!is.na(caliper) && !is.na(right) && gap(distance[unit], distance[right]) > caliper) right <- NA
      chosen <- if (!is.na(left) && !is.na(right)) {
        tie_tolerance <- if (emulate_matchit_4_5_1) 0 else GAP_TIE_TOLERANCE_LOGIT
        if (gap(distance[left], distance[unit]) <= gap(distance[right], distance[unit]) + tie_tolerance) left else right
      } else if (!is.na(left)) left else right
      if (is.na(chosen)) next
      mm[row, round] <- chosen
      if (!replace) available[chosen] <- FALSE
    }
  }
  mm
}

# (covariate, level) for each row of MatchIt's balance summary: numeric
# covariates by name, string covariates one row per level named covariate + level.
balance_variables <- function(df, variables) {
  do.call(rbind, lapply(variables, function(variable) {
    if (is.character(df[[variable]])) {
      levels <- sort(unique(df[[variable]]))
      data.frame(row = paste0(variable, levels), covariate = variable, level = levels)
    } else {
      data.frame(row = variable, covariate = variable, level = NA_character_)
    }
  }))
}

# R's coefficient names (racehispan) -> the engine's design-matrix names (race=hispan).
engine_coefficient_names <- function(df, covariates, r_names) {
  engine <- r_names
  for (variable in covariates[vapply(covariates, function(v) is.character(df[[v]]), logical(1))]) {
    for (level in sort(unique(df[[variable]]))) {
      engine[r_names == paste0(variable, level)] <- paste0(variable, "=", level)
    }
  }
  engine
}

balance_table <- function(m, df, variables) {
  summary_out <- summary(m, un = TRUE, pair.dist = FALSE)
  rows <- balance_variables(df, variables)
  before <- summary_out$sum.all[rows$row, , drop = FALSE]
  after <- summary_out$sum.matched[rows$row, , drop = FALSE]
  data.frame(
    covariate = rows$covariate,
    level = rows$level,
    mean_treated_before = unname(before[, "Means Treated"]),
    mean_control_before = unname(before[, "Means Control"]),
    smd_before = unname(before[, "Std. Mean Diff."]),
    variance_ratio_before = unname(before[, "Var. Ratio"]),
    ecdf_max_before = unname(before[, "eCDF Max"]),
    mean_treated_after = unname(after[, "Means Treated"]),
    mean_control_after = unname(after[, "Means Control"]),
    smd_after = unname(after[, "Std. Mean Diff."]),
    variance_ratio_after = unname(after[, "Var. Ratio"]),
    ecdf_max_after = unname(after[, "eCDF Max"])
  )
}

run_case <- function(case) {
  df <- read.csv(file.path(dir, case$data), stringsAsFactors = FALSE)
  stopifnot(identical(df$id, seq_len(nrow(df))))
  formula <- reformulate(case$covariates, response = case$treatment)
  out <- list(
    case = case$name, data = case$data, treatment = case$treatment, covariates = I(case$covariates),
    method = case$method, ratio = case$ratio, caliper = case$caliper, replace = case$replace,
    order = case$order, exact = I(case$exact),
    made_with = sprintf("R %s.%s, MatchIt %s, jsonlite %s", R.version$major, R.version$minor,
                        packageVersion("MatchIt"), packageVersion("jsonlite"))
  )
  if (case$method == "exact") {
    m <- matchit(formula, data = df, method = "exact")
    out$coefficients <- NA
    out$caliper_logit <- NA
    ps <- rep(NA_real_, nrow(df))
  } else {
    fit <- glm(formula, data = df, family = binomial())
    stopifnot(fit$converged)
    logit <- unname(predict(fit, type = "link"))
    stopifnot(diff(range(logit)) * DISTANCE_SCALE < .Machine$integer.max)
    m <- matchit(formula, data = df, method = "nearest", distance = logit * DISTANCE_SCALE,
                 ratio = case$ratio, replace = case$replace, m.order = case$order,
                 caliper = if (is.na(case$caliper)) NULL else case$caliper,
                 exact = if (length(case$exact)) reformulate(case$exact) else NULL)
    treat <- m$treat
    cells <- if (length(case$exact)) as.integer(factor(do.call(paste, c(df[case$exact], sep = "\r")))) else rep(1L, nrow(df))
    caliper_scaled <- if (is.null(m$caliper)) NA else unname(m$caliper)
    as_matchit <- nearest_reference(logit * DISTANCE_SCALE, treat, case$ratio, case$replace, case$order,
                                    caliper_scaled, cells, emulate_matchit_4_5_1 = TRUE)
    stopifnot(identical(unname(as_matchit), unname(MatchIt:::charmm2nummm(m$match.matrix, treat))))
    mm <- nearest_reference(logit, treat, case$ratio, case$replace, case$order,
                            caliper_scaled / DISTANCE_SCALE, cells, emulate_matchit_4_5_1 = FALSE)
    out$matchit_4_5_1_differs <- !identical(mm, as_matchit)
    m$match.matrix <- MatchIt:::nummm2charmm(mm, treat)
    m$weights <- MatchIt:::weights.matrix(mm, treat)
    m$subclass <- if (case$replace) NULL else MatchIt:::mm2subclass(mm, treat)
    coefficients <- coef(fit)
    names(coefficients) <- engine_coefficient_names(df, case$covariates, names(coefficients))
    out$coefficients <- as.list(coefficients)
    out$caliper_logit <- if (is.na(caliper_scaled)) NA else caliper_scaled / DISTANCE_SCALE
    ps <- unname(fitted(fit))
    treated_ids <- df$id[treat == 1]
    out$matches <- lapply(seq_along(treated_ids), function(row) {
      controls <- mm[row, ]
      list(treated = treated_ids[row], controls = I(df$id[controls[!is.na(controls)]]))
    })
  }
  subclass <- if (is.null(m$subclass)) rep(NA_integer_, nrow(df)) else as.integer(as.character(m$subclass))
  out$units <- list(id = I(df$id), ps = I(ps), weight = I(unname(m$weights)), subclass = I(subclass))
  extra_exact <- setdiff(case$exact, case$covariates)
  out$balance <- balance_table(m, df, c(case$covariates, extra_exact))
  path <- file.path(dir, paste0(case$name, ".json"))
  write_json(out, path, digits = NA, auto_unbox = TRUE, na = "null", null = "null")
  cat(sprintf("%s: %d treated matched, %d controls matched\n", path,
              sum(m$weights[df[[case$treatment]] == 1] > 0), sum(m$weights[df[[case$treatment]] == 0] > 0)))
}

invisible(lapply(cases, run_case))
