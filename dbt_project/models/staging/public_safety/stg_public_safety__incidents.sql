{#- One row per incident: its state in the latest export that carried it, typed. -#}
with source as (
    select * from {{ source('public_safety', 'incidents') }}
),

latest as (
    {{ latest_per_key('select * from source', 'incident_id',
                      '_watermark_at desc, ' ~ parse_iso_timestamp('updated_at')
                      ~ ' desc nulls last, _ingested_at desc, _record_hash') }}
)

select
    trim(incident_id) as incident_id,
    lower(trim(category)) as category,
    coalesce(trim(two_robberies_one_theft) in ('1', 'true'), false) as is_two_robberies_one_theft,
    nullif(trim(case_type), '') as case_type,
    {{ parse_iso_timestamp('occurred_at') }} as occurred_at,
    {{ local_date(parse_iso_timestamp('occurred_at')) }} as occurred_date,
    {{ parse_iso_timestamp('reported_at') }} as reported_at,
    {{ local_date(parse_iso_timestamp('reported_at')) }} as reported_date,
    trim(district_code) as district_code,
    nullif(trim(police_station_code), '') as police_station_code,
    coalesce(trim(cleared) in ('1', 'true'), false) as is_cleared,
    {{ parse_iso_timestamp('cleared_at') }} as cleared_at,
    {{ local_date(parse_iso_timestamp('cleared_at')) }} as cleared_date,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    cast(export_date as date) as export_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
