{#- 视频监控点位 One row per registered device (GB/T 28181 code) as its platform last listed it. A device is current
    when its platform's newest snapshot still lists it. The same physical camera registered by two programmes is two
    rows here (one per registration): per-programme counts are what each programme reports; camera_id names the
    physical camera (int_camera_entities, dim_physical_camera) for counts of distinct cameras. -#}
with devices as (
    select * from {{ ref('stg_camera__devices') }}
),

latest as (
    {{ latest_per_key('select * from devices', 'device_id', 'snapshot_date desc, ingested_at desc') }}
),

newest_snapshot as (
    select platform_id, max(snapshot_date) as newest_snapshot_date
    from devices
    group by platform_id
),

first_seen as (
    select device_id, min(snapshot_date) as first_listed_date
    from devices
    group by device_id
)

select
    l.device_id,
    l.programme,
    l.platform_id,
    l.device_type,
    l.device_name,
    l.civil_code,
    j.jurisdiction_level as civil_code_level,
    coalesce(j.town_code, l.town_code) as town_code,
    -- A missing civil code is only warned about; the code's centre (GB/T 28181: the registering centre's admin
    -- division, first 6 digits the district) still places the camera, as the access policy needs.
    coalesce(l.district_code, substr(l.device_id, 1, 6)) as jurisdiction_code,
    l.status as last_status,
    l.is_online,
    l.snapshot_date as last_listed_date,
    f.first_listed_date,
    l.snapshot_date = n.newest_snapshot_date as is_current,
    l.longitude,
    l.latitude,
    l.centre_matches_civil_code,
    c.camera_id,
    c.cluster_size as camera_registrations
from latest as l
inner join newest_snapshot as n on n.platform_id = l.platform_id
inner join first_seen as f on f.device_id = l.device_id
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = l.civil_code
left join {{ ref('int_camera_entities') }} as c on c.source = 'camera' and c.record_id = l.device_id
