{#- 人员 One golden record per resolved person. Survivorship: each attribute comes from the best record that has it,
    best = source priority (var er_source_priority; hotel desks check the ID card) then most recent (seen_at).
    Identifiers appear only as keyed tokens; full_name is masked or nulled by the access policy for every role but
    data engineers; jurisdiction_code (district of the most recent record) is the policy's row filter. The birth
    date is kept to its year: with gender, district and a name initial, a full date would point at one person, and
    the exact date stays in int_person_records. -#}
{%- set priority = var('er_source_priority', ['hotel', 'rental', 'trade', 'parcel']) -%}
with members as (
    select
        c.entity_id, r.*,
        row_number() over (
            partition by c.entity_id
            order by {{ er_source_rank('r.source', priority) }},
                     r.seen_at desc nulls last, r.record_key
        ) as survivor_rank,
        row_number() over (partition by c.entity_id order by r.seen_at desc nulls last, r.record_key) as recency_rank
    from {{ ref('int_person_entities') }} as c
    inner join {{ ref('int_person_records') }} as r on r.record_key = c.record_key
)

select
    entity_id,
    {{ er_survivor('std_full_name') }} as full_name,
    {{ er_survivor('gender') }} as gender,
    cast(extract(year from cast({{ er_survivor('birth_date') }} as date)) as integer) as birth_year,
    -- a token of a valid resident ID beats one of a mistyped number
    {{ er_survivor('id_token', prefer='resident_id_valid') }} as id_token,
    {{ er_survivor('phone_token') }} as phone_token,
    {{ er_survivor('jurisdiction_code', 'recency_rank') }} as jurisdiction_code,
    max(case when resident_id_valid then 1 else 0 end) = 1 as has_resident_id,
    {{ er_record_counts(priority) }}
from members
group by entity_id
