{#- The newest snapshot of the key-industry business registry. -#}
with source as (
    select * from {{ source('reference', 'key_businesses') }}
),

newest as (
    select max(_watermark_at) as snapshot_at from source
)

select
    trim(business_code) as business_code,
    trim(name) as business_name,
    lower(trim(industry)) as industry,
    nullif(upper(trim(uscc)), '') as uscc,
    trim(district_code) as district_code,
    nullif(trim(police_station_code), '') as police_station_code,
    address as business_address,
    source._watermark_at as snapshot_at
from source
inner join newest on source._watermark_at = newest.snapshot_at
