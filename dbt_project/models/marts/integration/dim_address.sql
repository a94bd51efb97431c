{#- 标准地址 One row per resolved standard address (int_addresses_clustered): its standard form (complete division +
    rest), the division and road parsed from it, and how many records of each source name it. The house number,
    building and room stay in the intermediate layer: with the road they point at one home. standard_address is
    personal data under the access policy (masked). -#}
with members as (
    select * from {{ ref('int_addresses_clustered') }}
),

per_address as (
    select
        address_id,
        min(standard_form) as standard_address,
        cast(sum(case when link_kind = 'abbreviated' then 1 else 0 end) as bigint) as abbreviated_record_count,
        {{ er_record_counts(['hotel', 'rental', 'parcel', 'reference']) }}
    from members
    group by address_id
)

select
    p.address_id,
    p.standard_address,
    nullif({{ er_address_part('p.standard_address', 'division') }}, '') as division,
    {{ er_address_part('p.standard_address', 'road') }} as road,
    p.record_count,
    p.hotel_record_count,
    p.rental_record_count,
    p.parcel_record_count,
    p.reference_record_count,
    p.abbreviated_record_count,
    p.first_seen_at,
    p.last_seen_at
from per_address as p
