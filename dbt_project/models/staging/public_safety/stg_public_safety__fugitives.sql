{#- One row per fugitive record (追逃): its state in the latest export that carried it, typed. The key is the records
    system's opaque pseudonymous record key; no person-level field is exported. -#}
with source as (
    select * from {{ source('public_safety', 'fugitives') }}
),

latest as (
    {{ latest_per_key('select * from source', 'fugitive_key',
                      '_watermark_at desc, ' ~ parse_iso_timestamp('updated_at')
                      ~ ' desc nulls last, _ingested_at desc, _record_hash') }}
)

select
    trim(fugitive_key) as fugitive_key,
    nullif(trim(wanted_type), '') as wanted_type,
    {{ parse_iso_timestamp('registered_at') }} as registered_at,
    {{ local_date(parse_iso_timestamp('registered_at')) }} as registered_date,
    trim(district_code) as district_code,
    nullif(trim(police_station_code), '') as police_station_code,
    coalesce(trim(caught) in ('1', 'true'), false) as is_caught,
    {{ parse_iso_timestamp('caught_at') }} as caught_at,
    {{ local_date(parse_iso_timestamp('caught_at')) }} as caught_date,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    cast(export_date as date) as export_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
