# Runs MatchIt on the reference data sets and writes one JSON fixture per
# case (<case>.json, next to the data), read by
# test/match/reference-agreement.test.ts. CI never runs R; it reads these.
#
# Everything in a fixture is MatchIt's own output: the PS model
# (`distance = "glm", link = "linear.logit"`, so matching is on the logit
# of the PS, as the engine does), match.matrix, weights, subclass and
# summary(). Nothing is re-implemented or patched.
#
# Needs MatchIt 4.7.2 in the private library that
# ../shared/r-reference/install.sh builds. From the repository root:
#   R_LIBS_USER=$HOME/.local/lib/R-matchit Rscript test/reference/matching/make-fixtures.R
# (`make reference` does this). Made with R 4.2.2, MatchIt 4.7.2, jsonlite 1.8.4.
#
# Levels of string covariates are sorted in the C locale, as the engine does.
MATCHIT_VERSION <- "4.7.2"
if (!requireNamespace("MatchIt", quietly = TRUE) || packageVersion("MatchIt") != MATCHIT_VERSION) {
  stop(sprintf("MatchIt %s not found in %s; run ../shared/r-reference/install.sh",
               MATCHIT_VERSION, paste(.libPaths(), collapse = ":")), call. = FALSE)
}
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))
dir <- "test/reference/matching"

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
    ps <- distance <- rep(NA_real_, nrow(df))
  } else {
    m <- matchit(formula, data = df, method = "nearest", distance = "glm", link = "linear.logit",
                 ratio = case$ratio, replace = case$replace, m.order = case$order,
                 caliper = if (is.na(case$caliper)) NULL else case$caliper,
                 exact = if (length(case$exact)) reformulate(case$exact) else NULL)
    stopifnot(m$model$converged)
    coefficients <- coef(m$model)
    names(coefficients) <- engine_coefficient_names(df, case$covariates, names(coefficients))
    out$coefficients <- as.list(coefficients)
    # the caliper in SD units becomes logit units: case$caliper * sd(linear predictor)
    out$caliper_logit <- if (is.null(m$caliper)) NA else unname(m$caliper)
    ps <- unname(fitted(m$model))
    distance <- unname(m$distance) # what MatchIt matched on: the logit of ps
    # match.matrix: one row per treated unit in data order, controls by column, as row names
    mm <- m$match.matrix
    out$matches <- lapply(seq_len(nrow(mm)), function(row) {
      controls <- mm[row, !is.na(mm[row, ])]
      list(treated = df$id[match(rownames(mm)[row], rownames(df))],
           controls = I(df$id[match(controls, rownames(df))]))
    })
  }
  subclass <- if (is.null(m$subclass)) rep(NA_integer_, nrow(df)) else as.integer(as.character(m$subclass))
  out$units <- list(id = I(df$id), ps = I(ps), distance = I(distance), weight = I(unname(m$weights)), subclass = I(subclass))
  extra_exact <- setdiff(case$exact, case$covariates)
  out$balance <- balance_table(m, df, c(case$covariates, extra_exact))
  path <- file.path(dir, paste0(case$name, ".json"))
  write_json(out, path, digits = NA, auto_unbox = TRUE, na = "null", null = "null")
  cat(sprintf("%s: %d treated matched, %d controls matched\n", path,
              sum(m$weights[df[[case$treatment]] == 1] > 0), sum(m$weights[df[[case$treatment]] == 0] > 0)))
}

invisible(lapply(cases, run_case))
