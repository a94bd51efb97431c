{#- 采集记录 Every record a key-industry business reported, attributed to its registry entry: one row per record.
    Each source names the business by its own code (hotel_code, outlet_code, shop_code, agency_code, which the
    registry uses as business_code); when the code is unknown, the USCC links it instead, if one entry has it.
    The sources collected are the dbt var `collection_sources` (default all four), so a deployment without a source
    still builds. -#}
{%- set sources = var('collection_sources', ['hotel', 'parcel', 'trade', 'rental']) -%}
{%- set records = {
    'hotel': ("select registration_id as record_id, hotel_code as business_code, hotel_uscc as uscc, "
              ~ "checkin_at as record_at, checkin_date as record_date from " ~ ref('stg_hotel__registrations')),
    'parcel': ("select waybill_no as record_id, outlet_code as business_code, cast(null as varchar) as uscc, "
               ~ "event_at as record_at, event_date as record_date from " ~ ref('stg_parcel__waybills')),
    'trade': ("select trade_id as record_id, shop_code as business_code, shop_uscc as uscc, "
              ~ "trade_at as record_at, trade_date as record_date from " ~ ref('stg_trade__trades')),
    'rental': ("select contract_id as record_id, agency_code as business_code, agency_uscc as uscc, "
               ~ "created_at as record_at, " ~ local_date('created_at') ~ " as record_date from "
               ~ ref('stg_rental__contracts') ~ " where agency_code is not null or agency_uscc is not null"),
} -%}
with registry as (
    select * from {{ ref('stg_reference__key_businesses') }}
),

registry_by_uscc as (
    -- A USCC links a record only when one entry has it (as in int_places_clustered): a USCC on several entries
    -- would give the record a row per entry.
    select uscc, min(business_code) as business_code, min(industry) as industry, min(district_code) as district_code
    from registry
    where uscc is not null
    group by uscc
    having count(*) = 1
),

records as (
    {% for source in sources %}
        select '{{ source }}' as source, * from ({{ records[source] }}) as {{ source }}_records
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    records.source,
    records.record_id,
    coalesce(by_code.business_code, by_uscc.business_code) as business_code,
    coalesce(by_code.industry, by_uscc.industry) as industry,
    coalesce(by_code.district_code, by_uscc.district_code) as district_code,
    records.record_at,
    records.record_date
from records
left join registry as by_code on by_code.business_code = records.business_code
left join registry_by_uscc as by_uscc on by_code.business_code is null and by_uscc.uscc = records.uscc
where records.record_date is not null
