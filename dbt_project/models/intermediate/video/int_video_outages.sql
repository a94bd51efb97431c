{#- 故障 One row per outage: an offline event and the device's next event, which is the repair when it is an
    online event. Platforms report a device down at most once at a time, so events alternate per device. -#}
with events as (
    select
        device_id,
        programme,
        status,
        event_at,
        event_date,
        lead(status) over (partition by device_id order by event_at, status, event_id) as next_status,
        lead(event_at) over (partition by device_id order by event_at, status, event_id) as next_event_at,
        lead(event_date) over (partition by device_id order by event_at, status, event_id) as next_event_date
    from {{ ref('stg_camera__status_events') }}
    where status is not null and event_at is not null
)

select
    device_id || '@' || {{ utc_text('event_at') }} as outage_key,
    device_id,
    programme,
    event_at as offline_at,
    event_date as offline_date,
    case when next_status = 'online' then next_event_at end as repaired_at,
    case when next_status = 'online' then next_event_date end as repaired_date,
    case when next_status = 'online' then {{ hours_between('event_at', 'next_event_at') }} end as repair_hours
from events
where status = 'offline'
