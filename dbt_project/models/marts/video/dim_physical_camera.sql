{#- 物理摄像机 One row per physical camera resolved from its programmes' registrations (int_camera_entities).
    Survivorship: name, coordinates and civil code from the most precise programme's registration (天网 surveys to
    6 decimals, 雪亮 too, 慧眼 rounds to 4), ties to the first listed. -#}
with registrations as (
    select
        d.*,
        row_number() over (
            partition by d.camera_id
            order by case d.programme when '天网' then 1 when '雪亮' then 2 when '慧眼' then 3 else 4 end,
                     d.first_listed_date, d.device_id
        ) as precision_rank
    from {{ ref('dim_camera') }} as d
    where d.camera_id is not null
),

per_camera as (
    select
        camera_id,
        count(*) as registrations,
        max(case when programme = '天网' then 1 else 0 end) = 1 as in_tianwang,
        max(case when programme = '雪亮' then 1 else 0 end) = 1 as in_xueliang,
        max(case when programme = '慧眼' then 1 else 0 end) = 1 as in_huiyan,
        max(case when is_current then 1 else 0 end) = 1 as is_current,
        max(case when is_current and is_online then 1 else 0 end) = 1 as is_online,
        min(first_listed_date) as first_listed_date,
        max(last_listed_date) as last_listed_date
    from registrations
    group by camera_id
)

select
    p.camera_id,
    p.registrations,
    p.in_tianwang,
    p.in_xueliang,
    p.in_huiyan,
    r.device_id as primary_device_id,
    r.device_name,
    r.civil_code,
    r.civil_code_level,
    r.town_code,
    r.jurisdiction_code,
    r.longitude,
    r.latitude,
    p.is_current,
    p.is_online,
    p.first_listed_date,
    p.last_listed_date
from per_camera as p
inner join registrations as r on r.camera_id = p.camera_id and r.precision_rank = 1
