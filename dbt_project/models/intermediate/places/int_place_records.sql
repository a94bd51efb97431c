{#- Every record that names a key-industry business (a hotel registration's hotel, a trade's shop, a waybill's
    outlet, an agency contract's agency, a key_businesses register entry) in one documented column set:
      source, record_id, business_code, business_name, uscc, district_code, business_address, industry, seen_at
    with match keys: the USCC (18 characters of the code alphabet) and its check-character validity, the name
    cleaned (traditional folded, no spaces) and its core (no brackets, legal form or trade suffix), the district
    (stated, else from a GB-style business code 'XX' + 6-digit district + serial), the standardised address. -#}
with register as (
    select
        'reference' as source, business_code as record_id, business_code, business_name, uscc, district_code,
        business_address, industry, snapshot_at as seen_at
    from {{ ref('stg_reference__key_businesses') }}
),

hotels as (
    select
        'hotel' as source, registration_id as record_id, hotel_code as business_code, hotel_name as business_name,
        hotel_uscc as uscc, district_code, cast(null as varchar) as business_address, 'hotel' as industry,
        source_updated_at as seen_at
    from {{ ref('stg_hotel__registrations') }}
),

shops as (
    select
        'trade' as source, trade_id as record_id, shop_code as business_code, shop_name as business_name,
        shop_uscc as uscc, cast(null as varchar) as district_code, cast(null as varchar) as business_address,
        industry, source_updated_at as seen_at
    from {{ ref('stg_trade__trades') }}
),

outlets as (
    select
        'parcel' as source, waybill_no as record_id, outlet_code as business_code, outlet_name as business_name,
        cast(null as varchar) as uscc, cast(null as varchar) as district_code,
        cast(null as varchar) as business_address, 'logistics' as industry, source_updated_at as seen_at
    from {{ ref('stg_parcel__waybills') }}
),

agencies as (
    select
        'rental' as source, contract_id as record_id, agency_code as business_code, agency_name as business_name,
        agency_uscc as uscc, district_code, cast(null as varchar) as business_address,
        'rental_agency' as industry, source_updated_at as seen_at
    from {{ ref('stg_rental__contracts') }}
    where agency_code is not null or agency_name is not null or agency_uscc is not null
),

documented as (
    select * from register
    union all select * from hotels
    union all select * from shops
    union all select * from outlets
    union all select * from agencies
),

-- Identity tuples repeat on every record (a hotel's thousands of registrations): standardise each tuple once.
tuples as (
    select distinct
        nullif(upper(trim(business_code)), '') as business_code, business_name, uscc, district_code,
        business_address
    from documented
),

standardised as (
    select
        t.*,
        {{ er_uscc('t.uscc') }} as std_uscc,
        {{ er_business_name_std('t.business_name') }} as name_std,
        {{ er_address_std('t.business_address') }} as std_address
    from tuples as t
    cross join {{ er_char_lookup() }} as er_lkp
),

keyed as (
    select
        s.*,
        {{ er_uscc_valid('s.std_uscc') }} as uscc_valid,
        {{ er_business_core('s.name_std') }} as name_core,
        coalesce(
            s.district_code,
            case when {{ er_regexp_like('s.business_code', "'^[A-Z]{2}[0-9]{10}$'") }} then substr(s.business_code, 3, 6) end
        ) as std_district_code
    from standardised as s
)

select
    d.source || ':' || d.record_id as record_key,
    d.source, d.record_id, d.industry, d.seen_at, d.business_name, d.business_address,
    k.business_code, k.std_uscc, k.uscc_valid, k.name_std, k.name_core, k.std_district_code, k.std_address
from documented as d
inner join keyed as k
    on k.business_code is not distinct from nullif(upper(trim(d.business_code)), '')
   and k.business_name is not distinct from d.business_name
   and k.uscc is not distinct from d.uscc
   and k.district_code is not distinct from d.district_code
   and k.business_address is not distinct from d.business_address
