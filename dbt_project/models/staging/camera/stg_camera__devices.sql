{#- Every kept Catalog snapshot: one row per device per snapshot day, typed, with the GB/T 28181 code taken apart. -#}
with source as (
    select * from {{ source('camera', 'devices') }}
),

deduplicated as (
    {{ latest_per_key('select * from source', 'trim(device_id), trim(snapshot_date)',
                      '_ingested_at desc, _source_part, _source_offset') }}
),

typed as (
    select
        trim(device_id) as device_id,
        cast(trim(snapshot_date) as date) as snapshot_date,
        trim(platform_id) as platform_id,
        nullif(trim(civil_code), '') as civil_code,
        upper(trim(status)) as status_code,
        name,
        manufacturer,
        model,
        owner,
        address,
        longitude,
        latitude,
        _batch_id,
        _ingested_at
    from deduplicated
)

select
    device_id || '@' || cast(snapshot_date as varchar) as device_snapshot_key,
    device_id,
    snapshot_date,
    platform_id,
    {{ camera_programme('platform_id') }} as programme,
    substr(device_id, 1, 8) as centre_code,
    substr(device_id, 9, 2) as industry_code,
    substr(device_id, 11, 3) as device_type_code,
    case substr(device_id, 11, 3) when '131' then 'camera' when '132' then 'ip_camera' end as device_type,
    trim(name) as device_name,
    nullif(trim(manufacturer), '') as manufacturer,
    nullif(trim(model), '') as model,
    nullif(trim(owner), '') as owner,
    nullif(trim(address), '') as address,
    civil_code,
    substr(civil_code, 1, 6) as district_code,
    case when length(civil_code) >= 9 then substr(civil_code, 1, 9) end as town_code,
    case when length(civil_code) = 12 then civil_code end as neighbourhood_code,
    case
        when status_code in ('ON', 'ONLINE') then 'online'
        when status_code in ('OFF', 'OFFLINE') then 'offline'
    end as status,
    status_code in ('ON', 'ONLINE') as is_online,
    try_cast(trim(longitude) as double) as longitude,
    try_cast(trim(latitude) as double) as latitude,
    substr(device_id, 1, 6) = substr(civil_code, 1, 6) as centre_matches_civil_code,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from typed
