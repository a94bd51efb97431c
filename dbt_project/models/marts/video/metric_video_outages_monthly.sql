{#- 故障与修复月度 Outages begun and outages repaired per month, programme and district, with the repair hours:
    mean time to repair for any selection is sum(repair_hours) / sum(repairs). A device no snapshot lists has no
    district, and a device code of no known programme no programme: null keys are groups too. -#}
with outages as (
    select * from {{ ref('fct_camera_outages') }}
),

begun as (
    select {{ month_start('offline_date') }} as month_start, programme, jurisdiction_code,
           cast(count(*) as bigint) as outages
    from outages
    group by {{ month_start('offline_date') }}, programme, jurisdiction_code
),

repaired as (
    select {{ month_start('repaired_date') }} as month_start, programme, jurisdiction_code,
           cast(count(*) as bigint) as repairs, sum(repair_hours) as repair_hours
    from outages
    where is_repaired
    group by {{ month_start('repaired_date') }}, programme, jurisdiction_code
),

keys as (
    select month_start, programme, jurisdiction_code from begun
    union
    select month_start, programme, jurisdiction_code from repaired
)

select
    k.month_start,
    k.programme,
    k.jurisdiction_code,
    j.jurisdiction_name,
    coalesce(b.outages, 0) as outages,
    coalesce(r.repairs, 0) as repairs,
    coalesce(r.repair_hours, 0) as repair_hours,
    {{ safe_ratio('r.repair_hours', 'r.repairs') }} as mean_time_to_repair_hours
from keys as k
left join begun as b
    on b.month_start = k.month_start and b.programme is not distinct from k.programme
    and b.jurisdiction_code is not distinct from k.jurisdiction_code
left join repaired as r
    on r.month_start = k.month_start and r.programme is not distinct from k.programme
    and r.jurisdiction_code is not distinct from k.jurisdiction_code
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = k.jurisdiction_code
