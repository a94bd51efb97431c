{#- One row per registration: the latest version the API sent, typed and with codes standardised. -#}
with source as (
    select * from {{ source('hotel', 'registrations') }}
),

latest as (
    {{ latest_per_key('select * from source', 'reg_id', '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    reg_id as registration_id,
    hotel_code,
    hotel_name,
    nullif(upper(trim(hotel_uscc)), '') as hotel_uscc,
    guest_name,
    id_type,
    id_number,
    id_number_token as guest_id_token,
    phone_token as guest_phone_token,
    case
        when lower(trim(gender)) in ('男', 'm', '1', 'male') then 'M'
        when lower(trim(gender)) in ('女', 'f', '2', 'female') then 'F'
    end as gender,
    birth_date as birth_date_text,
    phone,
    address,
    room_no,
    {{ parse_iso_timestamp('checkin_time') }} as checkin_at,
    {{ parse_iso_timestamp('checkout_time') }} as checkout_at,
    {{ local_date(parse_iso_timestamp('checkin_time')) }} as checkin_date,
    district_code,
    police_station_code,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
