-- The weight of a person in its matched set's event month, as
-- 00_weight_observed_months.sql defines it: persons censored in a set change
-- its balance, so each month a treated person weighs 1 and each observed
-- control the set's observed treated over its observed controls
-- (set_month_weight); the set enters the month only with an observed person
-- in each arm (set_month_compared). Defined once, for 00 and 01.
-- Reads: (none). Writes: (the macros set_month_weight and set_month_compared).
create or replace macro set_month_weight(treated, treated_observed, control_observed) as
    case when treated = 1 then 1.0 else treated_observed / control_observed end;
create or replace macro set_month_compared(treated_observed, control_observed) as
    treated_observed > 0 and control_observed > 0
