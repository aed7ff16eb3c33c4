# Reference results for the event-study DiD (src/estimate/event-study-did.ts),
# written to fixtures.json; test/estimate/event-study-did.test.ts compares with
# them, so R never runs in CI. Reads the CSV files make-panel.R wrote.
#
# Model, per outcome, on matched persons (weight > 0), weighted by the matching weight:
#   y_it = a_i + sum_{m != -1} g_m 1[month = m] + sum_{m != -1} b_m treated_i 1[month = m] + e_it
# Standard errors: clustered by person, CR1 with K = the 120 slope coefficients
# (person effects absorbed, not counted): G/(G-1) x (N-1)/(N-K), i.e.
#   plm::vcovHC(fe, method = "arellano", type = "sss", cluster = "group").
# plm's vcovHC refuses weighted models, so fe is fitted on sqrt(weight)-scaled
# data: the weight is constant within a person, so scaling commutes with the
# within transformation and OLS on the scaled data is the WLS fit with the same
# clustered scores. Two independent checks run before anything is written:
# plm(..., weights = weight) gives the same coefficients, and
# sandwich::vcovCL(lm(y ~ 0 + factor(person_id) + ..., weights = weight),
# cluster = ~person_id, type = "HC0") x (N-1)/(N-K) gives the same covariance.
# Pre-trend test: Wald chi-square that b_m = 0 for m = -24..-2 (23 df), and
# F = chi-square / 23 on (23, G - 1) df. The pre-period-mean sensitivity: per
# event month, b_m less the mean of the pre-index b_k (b_{-1} = 0) and sqrt(l'Vl).
#
# Run: Rscript test/reference/did/make-fixtures.R   (needs plm, sandwich, data.table, jsonlite)
suppressPackageStartupMessages({
  library(data.table)
  library(plm)
  library(sandwich)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))

REFERENCE_MONTH <- -1L
OUTCOMES <- c("employed_any", "employed_48h", "hours", "wage_eur", "on_benefit", "benefit_eur")

panel <- fread(file.path(here, "panel.csv"))
matches <- fread(file.path(here, "matches.csv"))
dropped <- fread(file.path(here, "dropped-person-months.csv"))
variants <- list(
  balanced = panel,
  unbalanced = panel[!dropped, on = c("person_id", "event_month")]
)

month_label <- function(m) ifelse(m < 0, paste0("m", -m), as.character(m))

fit_event_study <- function(data, outcome) {
  months <- sort(unique(data$event_month))
  slope_months <- setdiff(months, REFERENCE_MONTH)
  month_dummies <- sapply(slope_months, function(m) as.numeric(data$event_month == m))
  colnames(month_dummies) <- paste0("month_", month_label(slope_months))
  treated_dummies <- month_dummies * data$treated
  colnames(treated_dummies) <- paste0("treated_", colnames(month_dummies))
  regressors <- cbind(month_dummies, treated_dummies)
  y <- data[[outcome]]
  root_weight <- sqrt(data$weight)
  slopes <- colnames(regressors)
  rhs <- paste(slopes, collapse = " + ")

  scaled <- data.frame(person_id = data$person_id, event_month = data$event_month,
                       y = root_weight * y, root_weight * regressors)
  fe <- plm(as.formula(paste("y ~", rhs)), data = pdata.frame(scaled, index = c("person_id", "event_month")),
            model = "within")
  vcov_cr1 <- vcovHC(fe, method = "arellano", type = "sss", cluster = "group")

  unscaled <- data.frame(person_id = data$person_id, event_month = data$event_month, y = y,
                         weight = data$weight, regressors)
  fe_weighted <- plm(as.formula(paste("y ~", rhs)), data = pdata.frame(unscaled, index = c("person_id", "event_month")),
                     weights = weight, model = "within")
  stopifnot(isTRUE(all.equal(coef(fe), coef(fe_weighted), tolerance = 1e-10)))

  n_obs <- nrow(data)
  n_slopes <- length(slopes)
  dummies_fit <- lm(as.formula(paste("y ~ 0 + factor(person_id) +", rhs)), data = unscaled, weights = weight)
  vcov_cl <- vcovCL(dummies_fit, cluster = unscaled$person_id, type = "HC0")[slopes, slopes] *
    (n_obs - 1) / (n_obs - n_slopes)
  stopifnot(isTRUE(all.equal(vcov_cl, vcov_cr1[slopes, slopes], tolerance = 1e-8, check.attributes = FALSE)))
  stopifnot(isTRUE(all.equal(coef(dummies_fit)[slopes], coef(fe)[slopes], tolerance = 1e-8)))

  treated_index <- length(slope_months) + seq_along(slope_months)
  pre <- treated_index[slope_months < 0]
  b_pre <- coef(fe)[pre]
  chi2 <- drop(t(b_pre) %*% solve(vcov_cr1[pre, pre], b_pre))
  persons <- length(unique(data$person_id))
  # The sensitivity estimator: b_m less the mean of the pre-index b_k (the reference month's b is 0),
  # for every event month, with the SE of that linear contrast.
  all_months <- sort(c(slope_months, REFERENCE_MONTH))
  pre_months <- sum(all_months < 0)
  contrasts <- t(sapply(all_months, function(m) {
    l <- setNames(numeric(length(coef(fe))), names(coef(fe)))
    l[pre] <- -1 / pre_months
    own <- treated_index[slope_months == m]
    if (length(own)) l[own] <- l[own] + 1
    c(estimate = sum(l * coef(fe)), se = sqrt(drop(t(l) %*% vcov_cr1 %*% l)))
  }))
  list(
    event_month = slope_months,
    estimate = unname(coef(fe)[treated_index]),
    se = unname(sqrt(diag(vcov_cr1)[treated_index])),
    month_effect = unname(coef(fe)[seq_along(slope_months)]),
    wald_chi2 = chi2,
    wald_df = length(pre),
    wald_p = pchisq(chi2, length(pre), lower.tail = FALSE),
    wald_f = chi2 / length(pre),
    wald_f_df2 = persons - 1,
    wald_f_p = pf(chi2 / length(pre), length(pre), persons - 1, lower.tail = FALSE),
    pre_mean_event_month = all_months,
    pre_mean_estimate = unname(contrasts[, "estimate"]),
    pre_mean_se = unname(contrasts[, "se"])
  )
}

fixture_for <- function(panel_variant) {
  data <- merge(panel_variant, matches[weight > 0, .(person_id, treated, weight)], by = "person_id")
  setorder(data, person_id, event_month)
  list(
    observations = nrow(data),
    persons = uniqueN(data$person_id),
    slope_coefficients = 2L * (uniqueN(data$event_month) - 1L),
    outcomes = sapply(OUTCOMES, function(outcome) fit_event_study(data, outcome), simplify = FALSE)
  )
}

# Upper-tail probabilities at the edges the p-value code must get right.
chi2_points <- data.frame(statistic = c(0.5, 22, 23, 60, 150, 400), df = c(23, 23, 23, 23, 23, 1))
f_points <- data.frame(statistic = c(0.05, 1, 1.6, 4, 12), df1 = 23, df2 = c(199, 199, 40, 199, 1000))
distribution_checks <- list(
  chi2 = cbind(chi2_points, p = pchisq(chi2_points$statistic, chi2_points$df, lower.tail = FALSE)),
  f = cbind(f_points, p = pf(f_points$statistic, f_points$df1, f_points$df2, lower.tail = FALSE))
)

fixtures <- list(
  generated_by = "test/reference/did/make-fixtures.R",
  r_version = R.version.string,
  plm_version = as.character(packageVersion("plm")),
  sandwich_version = as.character(packageVersion("sandwich")),
  reference_month = REFERENCE_MONTH,
  vcov = "plm::vcovHC(fe, method = 'arellano', type = 'sss', cluster = 'group') on sqrt(weight)-scaled data",
  variants = lapply(variants, fixture_for),
  distribution_checks = distribution_checks
)
writeLines(toJSON(fixtures, auto_unbox = TRUE, digits = I(17), pretty = TRUE), file.path(here, "fixtures.json"))
