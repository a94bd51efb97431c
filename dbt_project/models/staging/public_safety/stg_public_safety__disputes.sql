{#- One row per dispute: its state in the latest export that carried it, typed. -#}
with source as (
    select * from {{ source('public_safety', 'disputes') }}
),

latest as (
    {{ latest_per_key('select * from source', 'dispute_id',
                      '_watermark_at desc, ' ~ parse_iso_timestamp('updated_at')
                      ~ ' desc nulls last, _ingested_at desc, _record_hash') }}
)

select
    trim(dispute_id) as dispute_id,
    nullif(trim(dispute_type), '') as dispute_type,
    {{ parse_iso_timestamp('found_at') }} as found_at,
    {{ local_date(parse_iso_timestamp('found_at')) }} as found_date,
    trim(district_code) as district_code,
    nullif(trim(police_station_code), '') as police_station_code,
    coalesce(trim(resolved) in ('1', 'true'), false) as is_resolved,
    {{ parse_iso_timestamp('resolved_at') }} as resolved_at,
    {{ local_date(parse_iso_timestamp('resolved_at')) }} as resolved_date,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    cast(export_date as date) as export_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
