{#- 场所 One golden record per resolved key-industry business (int_places_clustered). Survivorship: each attribute
    from the best record that has it, best = source priority (var er_place_source_priority: the register first,
    then the systems in the order they check documents) then most recent (seen_at); a valid USCC beats an invalid
    one. jurisdiction_code (the district) is the access policy's row filter. -#}
{%- set priority = var('er_place_source_priority', ['reference', 'hotel', 'rental', 'trade', 'parcel']) -%}
with members as (
    select
        c.*,
        row_number() over (
            partition by c.place_id
            order by {{ er_source_rank('c.source', priority) }},
                     c.seen_at desc nulls last, c.record_key
        ) as survivor_rank,
        r.business_name
    from {{ ref('int_places_clustered') }} as c
    inner join {{ ref('int_place_records') }} as r on r.record_key = c.record_key
)

select
    place_id,
    {{ er_survivor('business_code') }} as business_code,
    {{ er_survivor('business_name') }} as business_name,
    {{ er_survivor('name_core') }} as name_core,
    {{ er_survivor('std_uscc', prefer='uscc_valid') }} as uscc,
    max(case when uscc_valid then 1 else 0 end) = 1 as has_valid_uscc,
    {{ er_survivor('industry') }} as industry,
    {{ er_survivor('std_district_code') }} as jurisdiction_code,
    max(case when source = 'reference' then 1 else 0 end) = 1 as is_registered,
    min_by(link_kind, survivor_rank) as link_kind,
    {{ er_record_counts(priority) }}
from members
group by place_id
