# Writes the reference data sets for the matching fixtures (committed CSVs).
#
#   lalonde.csv    MatchIt's `lalonde` (614 rows), with an `id` column 1..614
#   synthetic.csv  400 rows, string covariates (sex, region with mixed-case
#                  levels whose order differs between the C and other locales)
#   ties.csv       300 rows of only discrete covariates: 16 distinct
#                  propensity scores, so tie-breaking decides the matches
#
# Every file starts with an integer `id` column and is sorted by it, so the
# engine's canonical row order (full row content, columns left to right)
# equals the file order MatchIt sees: ties are broken the same way.
# Numbers have at most 2 decimals so R and DuckDB parse them identically.
#
# Run from the repository root: Rscript test/reference/matching/make-data.R
suppressPackageStartupMessages(library(MatchIt))
dir <- "test/reference/matching"

write_data <- function(df, name) {
  write.csv(df, file.path(dir, name), row.names = FALSE, na = "")
}

data("lalonde", package = "MatchIt")
lalonde <- data.frame(
  id = seq_len(nrow(lalonde)),
  treat = lalonde$treat,
  age = lalonde$age,
  educ = lalonde$educ,
  race = as.character(lalonde$race),
  married = lalonde$married,
  nodegree = lalonde$nodegree,
  re74 = round(lalonde$re74, 2),
  re75 = round(lalonde$re75, 2),
  re78 = round(lalonde$re78, 2)
)
write_data(lalonde, "lalonde.csv")

set.seed(20261124)
n <- 400
age <- sample(18:64, n, replace = TRUE)
sex <- sample(c("F", "M"), n, replace = TRUE)
region <- sample(c("Noord", "Oost", "West", "midden"), n, replace = TRUE, prob = c(0.3, 0.2, 0.3, 0.2))
benefit_months <- pmin(rpois(n, 18), 60)
worked_12m <- rbinom(n, 1, 0.35)
wage_eur_12m <- ifelse(worked_12m == 1, round(rlnorm(n, log(9000), 0.6), 2), 0)
region_effect <- c(Noord = 0, Oost = 0.4, West = -0.3, midden = 0.6)[region]
logit <- -1.2 + 0.03 * (age - 40) + 0.5 * (sex == "F") + region_effect -
  0.02 * (benefit_months - 18) + 0.7 * worked_12m + 0.00003 * (wage_eur_12m - 3000)
synthetic <- data.frame(
  id = seq_len(n),
  treated = rbinom(n, 1, plogis(logit)),
  age = age,
  sex = sex,
  region = region,
  benefit_months = benefit_months,
  worked_12m = worked_12m,
  wage_eur_12m = wage_eur_12m
)
write_data(synthetic, "synthetic.csv")

set.seed(20261125)
n <- 300
age_band <- sample(1:4, n, replace = TRUE)
sex <- sample(c("F", "M"), n, replace = TRUE)
worked_12m <- rbinom(n, 1, 0.4)
ties <- data.frame(
  id = seq_len(n),
  treated = rbinom(n, 1, plogis(-0.9 + 0.3 * (age_band - 2) + 0.6 * (sex == "F") + 0.5 * worked_12m)),
  age_band = age_band,
  sex = sex,
  worked_12m = worked_12m
)
write_data(ties, "ties.csv")
