{#- 二手/废旧物品交易 One row per registered trade. The shop's district comes from the key-business
    registry, by shop code else by USCC (when one entry has it). Sellers are not carried: person-level linkage
    lives in the entity-resolution marts, whose columns the access policy masks. -#}
with registry as (
    select * from {{ ref('stg_reference__key_businesses') }}
),

registry_by_uscc as (
    -- A USCC links a trade only when one entry has it (as in int_places_clustered): a USCC on several entries
    -- would give the trade a row per entry.
    select uscc, min(business_code) as business_code, min(district_code) as district_code
    from registry
    where uscc is not null
    group by uscc
    having count(*) = 1
)

select
    t.trade_id,
    coalesce(by_code.business_code, by_uscc.business_code, t.shop_code) as shop_code,
    t.industry,
    t.item_category,
    t.amount_yuan,
    {{ to_utc('t.trade_at') }} as trade_at_utc,
    t.trade_date,
    coalesce(by_code.district_code, by_uscc.district_code) as jurisdiction_code,
    t.batch_id
from {{ ref('stg_trade__trades') }} as t
left join registry as by_code on by_code.business_code = t.shop_code
left join registry_by_uscc as by_uscc on by_code.business_code is null and by_uscc.uscc = t.shop_uscc
