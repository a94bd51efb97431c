{#- 旅馆住宿 One row per hotel stay registered with the police. Guests appear only as keyed tokens. -#}
select
    r.registration_id,
    r.hotel_code,
    r.hotel_uscc,
    r.guest_id_token,
    r.guest_phone_token,
    r.gender as guest_gender,
    {{ to_utc('r.checkin_at') }} as checkin_at_utc,
    {{ to_utc('r.checkout_at') }} as checkout_at_utc,
    r.checkin_date as stay_date,
    r.district_code,
    r.district_code as jurisdiction_code,
    r.police_station_code,
    r.batch_id
from {{ ref('stg_hotel__registrations') }} as r
