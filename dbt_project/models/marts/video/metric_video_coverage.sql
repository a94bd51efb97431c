{#- 视频监控覆盖 Per district: villages (行政村) with at least one current camera of any programme registered to
    them (civil code), and towns / streets (乡镇街道) with at least one current camera anywhere inside them.
    City-wide coverage is sum(villages_covered) / sum(villages). -#}
with divisions as (
    select * from {{ ref('dim_jurisdiction') }}
),

cameras as (
    select * from {{ ref('dim_camera') }}
    where is_current
),

villages as (
    select
        v.district_code,
        v.jurisdiction_code as village_code,
        max(case when c.device_id is not null then 1 else 0 end) as is_covered
    from divisions as v
    left join cameras as c on c.civil_code = v.jurisdiction_code
    where v.jurisdiction_level = 'village'
    group by v.district_code, v.jurisdiction_code
),

towns as (
    select
        t.district_code,
        t.jurisdiction_code as town_code,
        max(case when c.device_id is not null then 1 else 0 end) as is_covered
    from divisions as t
    left join cameras as c on c.town_code = t.jurisdiction_code
    where t.jurisdiction_level = 'town'
    group by t.district_code, t.jurisdiction_code
),

village_counts as (
    select district_code, cast(count(*) as bigint) as villages, cast(sum(is_covered) as bigint) as villages_covered
    from villages
    group by district_code
),

town_counts as (
    select district_code, cast(count(*) as bigint) as towns, cast(sum(is_covered) as bigint) as towns_covered
    from towns
    group by district_code
)

select
    d.jurisdiction_code,
    d.jurisdiction_name,
    coalesce(v.villages, 0) as villages,
    coalesce(v.villages_covered, 0) as villages_covered,
    {{ safe_ratio('v.villages_covered', 'v.villages') }} as village_coverage,
    coalesce(t.towns, 0) as towns,
    coalesce(t.towns_covered, 0) as towns_covered,
    {{ safe_ratio('t.towns_covered', 't.towns') }} as town_coverage,
    (select cast(count(*) as bigint) from cameras as c where c.jurisdiction_code = d.jurisdiction_code) as cameras
from divisions as d
left join village_counts as v on v.district_code = d.jurisdiction_code
left join town_counts as t on t.district_code = d.jurisdiction_code
where d.jurisdiction_level = 'district'
