-- Adds the matching step to the attrition table: persons with a matching
-- weight above zero.
-- Grain: one row added to attrition. Reads: matches. Writes: attrition.
insert into attrition by name
select
    (select max(step_no) + 1 from attrition) as step_no,
    'matched' as step_key,
    'matched (weight > 0)' as step,
    'persons' as unit,
    count(*) as n,
    count(*) filter (where treated = 1) as n_treated,
    count(*) filter (where treated = 0) as n_control,
    'matched' as sample
from matches
where weight > 0
