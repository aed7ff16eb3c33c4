-- Mean outcome per arm and month of the study sample (not the subgroups),
-- with its 95% Wald interval ($z_975) and what its disclosure needs: persons
-- with the outcome for a share ($binary_outcomes), the money dominance, the
-- sample and its size in the arm.
-- Grain: one row per weighting x arm x outcome x event month.
-- Reads: arm_means, money_dominance, sample_sizes. Writes: export_curves.
create or replace table export_curves as
with
means as (
    select arm_means.*, case weighting when 'matched' then 'matched' else 'cohort' end as sample
    from arm_means
    where subgroup = ''
)
select
    weighting,
    case means.treated when 1 then $treated_arm else $control_arm end as arm,
    outcome,
    event_month,
    round(mean, 10) as mean,
    round(mean - $z_975 * sqrt(variance_of_mean), 10) as ci_low,
    round(mean + $z_975 * sqrt(variance_of_mean), 10) as ci_high,
    persons,
    persons_positive,
    list_contains($binary_outcomes, outcome) as is_binary,
    money_dominance.top_share,
    sample,
    case means.treated when 1 then sizes.sample_treated else sizes.sample_control end as sample_persons
from means
left join money_dominance using (weighting, outcome, event_month, treated)
left join sample_sizes as sizes using (sample);
