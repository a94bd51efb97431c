{#- 设备故障 One row per outage (an offline event) with its repair (the device's next, online event) and the hours
    between; open outages have no repair. jurisdiction_code is the device's district. -#}
select
    o.outage_key,
    o.device_id,
    o.programme,
    {{ to_utc('o.offline_at') }} as offline_at_utc,
    o.offline_date,
    {{ to_utc('o.repaired_at') }} as repaired_at_utc,
    o.repaired_date,
    o.repair_hours,
    o.repaired_at is not null as is_repaired,
    c.jurisdiction_code
from {{ ref('int_video_outages') }} as o
left join {{ ref('dim_camera') }} as c on c.device_id = o.device_id
