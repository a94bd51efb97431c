{#- Online/offline changes, one row per platform and event id (the latest delivery), typed. -#}
with source as (
    select * from {{ source('camera', 'status_events') }}
),

latest as (
    {#- Each platform numbers its own events: an id alone may name two platforms' events. -#}
    {{ latest_per_key('select * from source', 'trim(platform_id), trim(event_id)',
                      '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    trim(event_id) as event_id,
    trim(device_id) as device_id,
    trim(platform_id) as platform_id,
    -- platform_id is only warn-checked on events; the device code (error-checked) carries the same industry digits.
    coalesce({{ camera_programme('trim(platform_id)') }}, {{ camera_programme('trim(device_id)') }}) as programme,
    case upper(trim(event)) when 'ON' then 'online' when 'OFF' then 'offline' end as status,
    {{ parse_iso_timestamp('event_time') }} as event_at,
    {{ local_date(parse_iso_timestamp('event_time')) }} as event_date,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
