{#- 警情案件 One row per incident (criminal or public-order case) in its latest exported state. No person appears:
    the records system exports cases, not parties. jurisdiction_code (the district) is the policy's row filter. -#}
select
    incident_id,
    category,
    category = 'criminal' as is_criminal,
    category = 'public_order' as is_public_order,
    is_two_robberies_one_theft,
    case_type,
    {{ to_utc('occurred_at') }} as occurred_at_utc,
    occurred_date,
    reported_date,
    is_cleared,
    cleared_date,
    district_code as jurisdiction_code,
    police_station_code,
    batch_id
from {{ ref('stg_public_safety__incidents') }}
where occurred_date is not null
