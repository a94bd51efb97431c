{#- Every reporting period for every district: the grid the period metrics fill, so a district with no case in a
    period still shows a zero. -#}
select p.*, d.jurisdiction_code, d.jurisdiction_name
from {{ ref('int_reporting_periods') }} as p
cross join {{ ref('dim_jurisdiction') }} as d
where d.jurisdiction_level = 'district'
