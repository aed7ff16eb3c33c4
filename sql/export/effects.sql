-- Effects with what their disclosure needs: the sample an estimate rests on
-- ('cohort' for the unadjusted difference, 'matched' otherwise, the DiD
-- included) and its size per arm, and for money outcomes the larger of the
-- two arms' shares held by the largest persons (sql/disclosure/01).
-- Grain: one row per outcome x estimator x event month.
-- Reads: effects, money_dominance, sample_sizes. Writes: export_effects.
create or replace table export_effects as
with
estimates as (
    select effects.*, case estimator when 'unadjusted' then 'cohort' else 'matched' end as sample
    from effects
)
select
    estimates.*,
    greatest(treated_share.top_share, control_share.top_share) as top_share,
    sizes.sample_treated,
    sizes.sample_control
from estimates
left join sample_sizes as sizes using (sample)
left join money_dominance as treated_share
    on treated_share.treated = 1 and treated_share.outcome = estimates.outcome and treated_share.event_month = estimates.event_month
    and treated_share.weighting = case estimates.sample when 'cohort' then 'unweighted' else 'matched' end
left join money_dominance as control_share
    on control_share.treated = 0 and control_share.outcome = estimates.outcome and control_share.event_month = estimates.event_month
    and control_share.weighting = case estimates.sample when 'cohort' then 'unweighted' else 'matched' end;
