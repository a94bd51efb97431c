{#- One row per contract: the latest version, unless the housing system soft-deleted it. -#}
with latest as (
    {{ latest_per_key('select * from ' ~ source('rental', 'contracts'), 'contract_id',
                      '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    contract_id,
    landlord_id,
    house_address,
    district_code,
    police_station_code,
    agency_code,
    agency_name,
    nullif(upper(trim(agency_uscc)), '') as agency_uscc,
    agency_code is not null as via_agency,
    try_cast(start_date as date) as start_date,
    try_cast(end_date as date) as end_date,
    try_cast(monthly_rent as integer) as monthly_rent_yuan,
    {{ parse_iso_timestamp('created_at') }} as created_at,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
where coalesce(lower(is_deleted), 'false') <> 'true'
