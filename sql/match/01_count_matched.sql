-- Adds the matching step to the attrition table: persons with a matching
-- weight above zero.
-- Grain: one row added to attrition. Reads: matches. Writes: attrition.
insert into attrition
select
    (select max(step_no) + 1 from attrition),
    'matched (weight > 0)',
    'persons',
    count(*),
    count(*) filter (where treated = 1),
    count(*) filter (where treated = 0)
from matches
where weight > 0
