{#- 视频监控网络 Per programme and district, as of the newest snapshot and the newest status event: current cameras,
    online in the snapshot (在线率), cameras with an outage in the last `video_recent_days` days (default 30) and the
    share of cameras (故障率), outages repaired in that window and their mean time to repair in hours (平均修复时长).
    Sums of the counts over programmes or districts are meaningful; recompute the rates from them. -#}
{%- set recent_days = var('video_recent_days', 30) -%}
with cameras as (
    select * from {{ ref('dim_camera') }}
    where is_current
),

outages as (
    select * from {{ ref('fct_camera_outages') }}
),

as_of as (
    select max(d) as as_of_date
    from (
        select max(offline_date) as d from outages
        union all
        select max(repaired_date) as d from outages
        union all
        select max(last_listed_date) as d from cameras
    ) as newest
),

window_bounds as (
    select as_of_date, {{ add_days('as_of_date', -(recent_days - 1)) }} as window_start
    from as_of
),

camera_counts as (
    select
        programme, jurisdiction_code,
        cast(count(*) as bigint) as cameras,
        cast(sum(case when is_online then 1 else 0 end) as bigint) as online_cameras
    from cameras
    group by programme, jurisdiction_code
),

faults as (
    select
        c.programme, c.jurisdiction_code,
        cast(count(distinct o.device_id) as bigint) as cameras_with_fault,
        cast(count(*) as bigint) as outages
    from outages as o
    inner join cameras as c on c.device_id = o.device_id
    cross join window_bounds as w
    where o.offline_date >= w.window_start and o.offline_date <= w.as_of_date
    group by c.programme, c.jurisdiction_code
),

repairs as (
    select
        c.programme, c.jurisdiction_code,
        cast(count(*) as bigint) as repairs,
        sum(o.repair_hours) as repair_hours
    from outages as o
    inner join cameras as c on c.device_id = o.device_id
    cross join window_bounds as w
    where o.is_repaired and o.repaired_date >= w.window_start and o.repaired_date <= w.as_of_date
    group by c.programme, c.jurisdiction_code
)

select
    cc.programme,
    cc.jurisdiction_code,
    j.jurisdiction_name,
    w.as_of_date,
    w.window_start,
    cc.cameras,
    cc.online_cameras,
    {{ safe_ratio('cc.online_cameras', 'cc.cameras') }} as online_rate,
    coalesce(f.cameras_with_fault, 0) as cameras_with_fault,
    coalesce(f.outages, 0) as outages,
    {{ safe_ratio('coalesce(f.cameras_with_fault, 0)', 'cc.cameras') }} as fault_rate,
    coalesce(r.repairs, 0) as repairs,
    coalesce(r.repair_hours, 0) as repair_hours,
    {{ safe_ratio('r.repair_hours', 'r.repairs') }} as mean_time_to_repair_hours
from camera_counts as cc
cross join window_bounds as w
left join faults as f on f.programme = cc.programme and f.jurisdiction_code = cc.jurisdiction_code
left join repairs as r on r.programme = cc.programme and r.jurisdiction_code = cc.jurisdiction_code
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = cc.jurisdiction_code
