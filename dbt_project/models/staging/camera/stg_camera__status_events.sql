{#- Online/offline changes, one row per event id (the latest delivery), typed. -#}
with source as (
    select * from {{ source('camera', 'status_events') }}
),

latest as (
    {{ latest_per_key('select * from source', 'event_id', '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    trim(event_id) as event_id,
    trim(device_id) as device_id,
    trim(platform_id) as platform_id,
    {{ camera_programme('trim(platform_id)') }} as programme,
    case upper(trim(event)) when 'ON' then 'online' when 'OFF' then 'offline' end as status,
    {{ parse_iso_timestamp('event_time') }} as event_at,
    {{ local_date(parse_iso_timestamp('event_time')) }} as event_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
