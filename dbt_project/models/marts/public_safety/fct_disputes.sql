{#- 矛盾纠纷 One row per dispute found, with whether and when it was resolved (latest exported state). -#}
select
    dispute_id,
    dispute_type,
    found_date,
    is_resolved,
    resolved_date,
    district_code as jurisdiction_code,
    police_station_code,
    batch_id
from {{ ref('stg_public_safety__disputes') }}
where found_date is not null
