{#- One row per waybill: the latest version the platform wrote; of identical copies (a file delivered twice),
    the first to arrive. -#}
with source as (
    select * from {{ source('parcel', 'waybills') }}
),

latest as (
    {{ latest_per_key('select * from source', 'waybill_no',
                      parse_iso_timestamp('updated_at') ~ ' desc nulls last, _watermark_at, _ingested_at, _record_hash') }}
)

select
    waybill_no,
    outlet_code,
    outlet_name,
    sender_name,
    sender_id_type,
    sender_id_number,
    sender_id_number_token as sender_id_token,
    sender_phone,
    sender_phone_token,
    recipient_name,
    recipient_phone,
    recipient_phone_token,
    recipient_address,
    {{ parse_iso_timestamp('event_time') }} as event_at,
    {{ local_date(parse_iso_timestamp('event_time')) }} as event_date,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    _watermark_at as arrived_hour_at,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
