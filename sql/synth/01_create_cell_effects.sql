-- The selection and job-finding model: one coefficient per level of each
-- coarse matching cell. Selection into IPS and the control-world job hazard
-- depend on these cells only (plus independent noise), so exact matching on
-- them identifies the planted effect; both favour the young, recent workers
-- and short benefit durations, so a naive IPS-TVR comparison overstates it.
-- Grain: one row per covariate x level.
-- Reads: nothing. Writes: synth_cell_effect.
create or replace table synth_cell_effect as
with
coefficients (covariate, level, ips_log_odds, job_log_hazard) as (
    values
        ('intercept', '', -2.05, -4.95),
        ('age_band', '18-29', 1.0, 0.5),
        ('age_band', '30-39', 0.4, 0.2),
        ('age_band', '40-49', 0.0, 0.0),
        ('age_band', '50-66', -0.7, -0.6),
        ('age_band', 'under-18', 1.0, 0.5),
        ('age_band', 'over-66', -0.7, -0.6),
        ('sex', 'F', 0.1, 0.0),
        ('sex', 'M', 0.0, 0.0),
        ('sex', 'X', 0.0, 0.0),
        ('benefit_type', 'ZW', 0.2, 0.3),
        ('benefit_type', 'WGA', 0.0, 0.0),
        ('benefit_type', 'WAJONG', 0.3, -0.2),
        ('benefit_type', 'IVA', -0.6, -1.0),
        ('benefit_type', 'WAO', -0.8, -0.8),
        ('benefit_type', 'WW', -0.5, 0.4),
        ('benefit_type', 'BIJSTAND', -0.3, 0.0),
        ('benefit_months_band', '0-11', 0.6, 0.5),
        ('benefit_months_band', '12-23', 0.3, 0.25),
        ('benefit_months_band', '24-59', 0.0, 0.0),
        ('benefit_months_band', '60+', -0.6, -0.5),
        ('prior_work_band', '0', 0.0, 0.0),
        ('prior_work_band', '1-6', 0.6, 0.6),
        ('prior_work_band', '7-12', 1.1, 1.0),
        ('index_year', '2011', -0.9, 0.0),
        ('index_year', '2012', -0.6, 0.0),
        ('index_year', '2013', -0.3, 0.05),
        ('index_year', '2014', 0.0, 0.1),
        ('index_year', '2015', 0.2, 0.15),
        ('index_year', '2016', 0.4, 0.2),
        ('index_year', '2017', 0.5, 0.2)
)
select * from coefficients
