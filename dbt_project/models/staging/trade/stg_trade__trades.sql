{#- One row per trade: the latest version a shop uploaded, typed; industry spelled one way. -#}
with source as (
    select * from {{ source('trade', 'trades') }}
),

latest as (
    {{ latest_per_key('select * from source', 'trade_id', '_watermark_at desc, _ingested_at desc, _record_hash') }}
)

select
    trade_id,
    shop_code,
    shop_name,
    nullif(upper(trim(shop_uscc)), '') as shop_uscc,
    case
        when lower(trim(industry)) in ('second_hand', '二手') then 'second_hand'
        when lower(trim(industry)) in ('scrap', '废旧物品', '废品收购') then 'scrap'
    end as industry,
    seller_name,
    seller_id_type,
    seller_id_number,
    seller_id_number_token as seller_id_token,
    seller_phone,
    seller_phone_token,
    item_category,
    try_cast(trim(amount_yuan) as decimal(12, 2)) as amount_yuan,
    {{ parse_iso_timestamp('trade_time') }} as trade_at,
    {{ local_date(parse_iso_timestamp('trade_time')) }} as trade_date,
    {{ parse_iso_timestamp('updated_at') }} as source_updated_at,
    _batch_id as batch_id,
    _ingested_at as ingested_at
from latest
