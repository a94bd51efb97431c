{#- 人员 One golden record per resolved person. Survivorship: each attribute comes from the best record that has it,
    best = source priority (var er_source_priority; hotel desks check the ID card) then most recent (seen_at).
    Identifiers appear only as keyed tokens; full_name is masked or nulled by the access policy for every role but
    data engineers; jurisdiction_code (district of the most recent record) is the policy's row filter. -#}
{%- set priority = var('er_source_priority', ['hotel', 'rental', 'trade', 'parcel']) -%}
with members as (
    select
        c.entity_id, r.*,
        row_number() over (
            partition by c.entity_id
            order by case r.source {% for s in priority %}when '{{ s }}' then {{ loop.index }} {% endfor %}else {{ priority | length + 1 }} end,
                     r.seen_at desc nulls last, r.record_key
        ) as survivor_rank,
        row_number() over (partition by c.entity_id order by r.seen_at desc nulls last, r.record_key) as recency_rank
    from {{ ref('int_persons_clustered') }} as c
    inner join {{ ref('int_person_records') }} as r on r.record_key = c.record_key
)

select
    entity_id,
    min_by(std_full_name, case when std_full_name is not null then survivor_rank end) as full_name,
    min_by(gender, case when gender is not null then survivor_rank end) as gender,
    cast(min_by(birth_date, case when birth_date is not null then survivor_rank end) as date) as birth_date,
    -- a token of a valid resident ID beats one of a mistyped number
    min_by(id_token, case when id_token is not null then survivor_rank - case when resident_id_valid then 1000000 else 0 end end) as id_token,
    min_by(phone_token, case when phone_token is not null then survivor_rank end) as phone_token,
    min_by(jurisdiction_code, case when jurisdiction_code is not null then recency_rank end) as jurisdiction_code,
    max(case when resident_id_valid then 1 else 0 end) = 1 as has_resident_id,
    cast(count(*) as bigint) as record_count,
    {%- for s in priority %}
    cast(sum(case when source = '{{ s }}' then 1 else 0 end) as bigint) as {{ s }}_record_count,
    {%- endfor %}
    min(seen_at) as first_seen_at,
    max(seen_at) as last_seen_at
from members
group by entity_id
