{#- Every reporting period for every district: the grid the period metrics fill, so a district with no case in a
    period still shows a zero. Districts come from staging (intermediate models never read marts). -#}
select p.*, d.division_code as jurisdiction_code, d.division_name as jurisdiction_name
from {{ ref('int_reporting_periods') }} as p
cross join {{ ref('stg_reference__admin_divisions') }} as d
where d.division_level = 'district'
