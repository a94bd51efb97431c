{#- 寄递实名 One row per waybill, senders and recipients only as keyed phone tokens. The waybill names its
    outlet; the outlet's district comes from the key-business registry (jurisdiction_code is null for an outlet
    the registry does not know). -#}
select
    w.waybill_no,
    w.outlet_code,
    w.sender_phone_token,
    w.recipient_phone_token,
    {{ to_utc('w.event_at') }} as event_at_utc,
    w.event_date,
    b.district_code as jurisdiction_code,
    b.police_station_code,
    w.batch_id
from {{ ref('stg_parcel__waybills') }} as w
left join {{ ref('stg_reference__key_businesses') }} as b on b.business_code = w.outlet_code
