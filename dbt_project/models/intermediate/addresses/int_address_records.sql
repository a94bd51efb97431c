{#- Every address a source records, standardised and parsed (the standard address 一标 is the key joining the other
    entities): hotel guests' and landlords' home addresses, parcel recipients' delivery addresses, rented houses,
    register businesses' addresses. Documented columns: source, record_id, address, seen_at (NULL addresses are
    left out). Standardised once per distinct text: the standard form (er_address_std: traditional folded, building
    / unit / room spellings made one), its admin-division prefix and the rest (road, number, building, unit, room). -#}
with documented as (
    select 'hotel' as source, registration_id as record_id, address, source_updated_at as seen_at
    from {{ ref('stg_hotel__registrations') }}
    union all
    select 'rental' as source, landlord_id as record_id, address, source_updated_at as seen_at
    from {{ ref('stg_rental__landlords') }}
    union all
    select 'rental' as source, contract_id as record_id, house_address as address, source_updated_at as seen_at
    from {{ ref('stg_rental__contracts') }}
    union all
    select 'parcel' as source, waybill_no as record_id, recipient_address as address, source_updated_at as seen_at
    from {{ ref('stg_parcel__waybills') }}
    union all
    select 'reference' as source, business_code as record_id, business_address as address, snapshot_at as seen_at
    from {{ ref('stg_reference__key_businesses') }}
),

texts as (
    select t.address, {{ er_address_std('t.address') }} as address_std
    from (select distinct address from documented where address is not null) as t
    cross join {{ er_char_lookup() }} as er_lkp
),

parsed as (
    select address, address_std, coalesce({{ er_address_part('address_std', 'division') }}, '') as division
    from texts
    where address_std is not null
)

select
    d.source || ':' || d.record_id as record_key,
    d.source, d.record_id, d.seen_at, d.address,
    p.address_std,
    p.division,
    substr(p.address_std, length(p.division) + 1) as address_rest,
    {{ er_address_part('p.address_std', 'road') }} as road,
    {{ er_address_part('p.address_std', 'number') }} as house_number,
    {{ er_address_part('p.address_std', 'building') }} as building,
    {{ er_address_part('p.address_std', 'unit') }} as unit,
    {{ er_address_part('p.address_std', 'room') }} as room
from documented as d
inner join parsed as p on p.address = d.address
