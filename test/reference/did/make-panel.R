# Writes the small matched panel the event-study DiD is checked on (R never
# runs in CI: the CSV files are committed, this script shows how they were made).
#   matches.csv                 person_id, treated, subclass, weight, ps: exact-matching
#                               ATT weights (unequal for controls; 0 = unmatched)
#   panel.csv                   person_id x event_month -24..36, the six panel outcomes
#                               (booleans as 0/1, money and hours with 2 decimals)
#   dropped-person-months.csv   person_id, event_month: rows removed for the unbalanced
#                               variant (scattered gaps, a missing reference month, attrition)
# Run from anywhere: Rscript test/reference/did/make-panel.R
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
set.seed(20261121)

n_treated <- 50
n_control <- 150
person_id <- sprintf("p%03d", seq_len(n_treated + n_control))
treated <- rep(c(1L, 0L), c(n_treated, n_control))
# Stratum 5 holds controls only, so they stay unmatched (weight 0).
stratum <- ifelse(treated == 1,
                  sample(1:4, length(treated), replace = TRUE, prob = c(0.4, 0.3, 0.2, 0.1)),
                  sample(1:5, length(treated), replace = TRUE, prob = c(0.15, 0.2, 0.25, 0.3, 0.1)))
treated_in <- tabulate(stratum[treated == 1], 5)
controls_in <- tabulate(stratum[treated == 0], 5)
matched <- treated_in[stratum] > 0 & controls_in[stratum] > 0
matched_treated <- sum(treated == 1 & matched)
matched_controls <- sum(treated == 0 & matched)
weight <- ifelse(!matched, 0,
                 ifelse(treated == 1, 1,
                        treated_in[stratum] / controls_in[stratum] * matched_controls / matched_treated))
subclass <- ifelse(matched, match(stratum, sort(unique(stratum[matched]))), NA)
matches <- data.frame(person_id, treated, subclass, weight = sprintf("%.17g", weight), ps = NA)
write.csv(matches, file.path(here, "matches.csv"), row.names = FALSE, quote = FALSE, na = "")

months <- -24:36
grid <- expand.grid(event_month = months, person = seq_along(person_id))
person_effect <- rnorm(length(person_id), sd = 0.8) + 0.25 * stratum
after_index <- grid$event_month >= 0
linear_work <- -1.6 + person_effect[grid$person] + 0.004 * grid$event_month +
  treated[grid$person] * after_index * 0.9 * pmin(grid$event_month, 12) / 12
employed_any <- rbinom(nrow(grid), 1, plogis(linear_work))
hours <- employed_any * round(runif(nrow(grid), 4, 172), 2)
wage_eur <- round(hours * runif(nrow(grid), 12, 28), 2)
on_benefit <- rbinom(nrow(grid), 1, plogis(1.2 - 0.6 * employed_any - 0.01 * grid$event_month))
benefit_eur <- on_benefit * round(runif(nrow(grid), 650, 1900), 2)
panel <- data.frame(
  person_id = person_id[grid$person],
  event_month = grid$event_month,
  employed_any,
  employed_48h = as.integer(hours >= 48),
  hours = sprintf("%.2f", hours),
  wage_eur = sprintf("%.2f", wage_eur),
  on_benefit,
  benefit_eur = sprintf("%.2f", benefit_eur)
)
write.csv(panel, file.path(here, "panel.csv"), row.names = FALSE, quote = FALSE)

# Unbalanced variant: 12 persons with scattered gaps, 4 without the reference
# month, 6 who leave the panel early; every person keeps at least 20 months.
scattered <- sample(person_id[weight > 0], 12)
no_reference <- sample(setdiff(person_id[weight > 0], scattered), 4)
attrition <- sample(setdiff(person_id[weight > 0], c(scattered, no_reference)), 6)
dropped <- rbind(
  do.call(rbind, lapply(scattered, function(id) data.frame(person_id = id, event_month = sort(sample(months, sample(1:6, 1)))))),
  data.frame(person_id = no_reference, event_month = -1L),
  do.call(rbind, lapply(attrition, function(id) data.frame(person_id = id, event_month = seq(sample(0:30, 1), 36))))
)
dropped <- dropped[order(dropped$person_id, dropped$event_month), ]
write.csv(dropped, file.path(here, "dropped-person-months.csv"), row.names = FALSE, quote = FALSE)
