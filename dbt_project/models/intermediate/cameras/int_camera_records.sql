{#- Every camera registration (one device code of one programme) in one documented column set, standardised for
    matching. Columns (any may be NULL but record_id):
      source, record_id, programme, device_code, device_name, civil_code, longitude, latitude, first_seen_at
    From the warehouse: each device as its platform last listed it (stg_camera__devices), first_seen_at = the first
    snapshot that listed it. With var er_camera_input=true the same columns come from er_input.camera_records
    (`huitong er link --entity camera`). -#}
with
{%- if var('er_camera_input', false) %}
documented as (
    select
        cast(source as varchar) as source, cast(record_id as varchar) as record_id,
        cast(programme as varchar) as programme, cast(device_code as varchar) as device_code,
        cast(device_name as varchar) as device_name, cast(civil_code as varchar) as civil_code,
        cast(longitude as double) as longitude, cast(latitude as double) as latitude,
        cast(first_seen_at as timestamp) as first_seen_at
    from {{ source('er_link_camera', 'camera_records') }}
),
{%- else %}
devices as (
    select * from {{ ref('stg_camera__devices') }}
),

latest as (
    {{ latest_per_key('select * from devices', 'device_id', 'snapshot_date desc, ingested_at desc') }}
),

first_seen as (
    select device_id, min(snapshot_date) as first_listed_date from devices group by device_id
),

documented as (
    select
        'camera' as source, l.device_id as record_id, l.programme, l.device_id as device_code,
        l.device_name, l.civil_code, l.longitude, l.latitude,
        cast(f.first_listed_date as timestamp) as first_seen_at
    from latest as l
    inner join first_seen as f on f.device_id = l.device_id
),
{%- endif %}

cleaned as (
    select
        d.source || ':' || d.record_id as record_key,
        d.source, d.record_id, d.programme, d.device_code, d.device_name, d.civil_code, d.first_seen_at,
        -- coordinates outside the WGS-84 range are survey slips, not places
        case when d.longitude between -180 and 180 and d.latitude between -90 and 90 then d.longitude end as longitude,
        case when d.longitude between -180 and 180 and d.latitude between -90 and 90 then d.latitude end as latitude,
        {{ er_clean_text('d.device_name') }} as name_std
    from documented as d
    cross join {{ er_char_lookup() }} as er_lkp
),

parsed as (
    select
        c.*,
        -- GB/T 28181: the first 8 digits are the registering centre (admin division), the same for every
        -- programme's code of one camera; industry, type and serial differ by programme
        case when {{ er_regexp_like('c.device_code', "'^[0-9]{8}'") }} then substr(c.device_code, 1, 8) end as centre_code,
        -- the place in a camera's name is '<road><number>号', written after a district / community name (天网,
        -- 雪亮) or before one (慧眼): the number is the digits before the first 号, the road what precedes them
        -- once everything up to the last division word (社区 村 区 县 市 镇 乡 街道) is dropped
        {{ er_regexp_group('c.name_std', "'([0-9]+)号'", 1) }} as house_number,
        {{ er_regexp_group('c.name_std', "'^([^0-9]*?)[0-9]+号'", 1) }} as name_prefix
    from cleaned as c
)

select
    record_key, source, record_id, programme, device_code, device_name, name_std, civil_code, first_seen_at,
    longitude, latitude, centre_code, house_number,
    nullif({{ er_regexp_replace('name_prefix', "'^.*(社区|街道|村|区|县|市|镇|乡)'", "''") }}, '') as road_name
from parsed
