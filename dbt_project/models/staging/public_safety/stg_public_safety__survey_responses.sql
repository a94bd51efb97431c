{#- One row per anonymous survey answer (sense of security; law-enforcement satisfaction when asked), typed. -#}
with source as (
    select * from {{ source('public_safety', 'survey_responses') }}
),

latest as (
    {{ latest_per_key('select * from source', 'response_id',
                      '_watermark_at desc, ' ~ parse_iso_timestamp('updated_at')
                      ~ ' desc nulls last, _ingested_at desc, _record_hash') }}
)

select
    trim(response_id) as response_id,
    nullif(upper(trim(survey_wave)), '') as survey_wave,
    try_cast(trim(survey_date) as date) as survey_date,
    trim(district_code) as district_code,
    nullif(trim(police_station_code), '') as police_station_code,
    trim(answer) as answer,
    nullif(trim(satisfaction), '') as satisfaction,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    cast(export_date as date) as export_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
