{#- One row per landlord: the latest version, unless the housing system soft-deleted it. -#}
with latest as (
    {{ latest_per_key('select * from ' ~ source('rental', 'landlords'), 'landlord_id',
                      '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    landlord_id,
    name as landlord_name,
    id_type,
    id_number,
    id_number_token as landlord_id_token,
    phone,
    phone_token,
    address,
    {{ parse_iso_timestamp('created_at') }} as created_at,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
where coalesce(lower(is_deleted), 'false') <> 'true'
