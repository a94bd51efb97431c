{#- 数据融合 Per district (of each person's most recent record): resolved persons, those seen in two or more
    sources (跨源人员), source records, and records linked to at least one other record. -#}
{%- set sources = var('er_source_priority', ['hotel', 'rental', 'trade', 'parcel']) -%}
with persons as (
    select
        *,
        0 {%- for s in sources %} + case when {{ s }}_record_count > 0 then 1 else 0 end{% endfor %} as sources_seen
    from {{ ref('dim_person') }}
)

select
    persons.jurisdiction_code,
    j.jurisdiction_name,
    cast(count(*) as bigint) as persons,
    cast(sum(case when sources_seen >= 2 then 1 else 0 end) as bigint) as persons_multi_source,
    {{ safe_ratio('sum(case when sources_seen >= 2 then 1 else 0 end)', 'count(*)') }} as multi_source_share,
    cast(sum(record_count) as bigint) as records,
    cast(sum(case when record_count >= 2 then record_count else 0 end) as bigint) as records_linked,
    {{ safe_ratio('sum(case when record_count >= 2 then record_count else 0 end)', 'sum(record_count)') }}
        as linked_share
    {%- for s in sources %},
    cast(sum({{ s }}_record_count) as bigint) as {{ s }}_records
    {%- endfor %}
from persons
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = persons.jurisdiction_code
group by persons.jurisdiction_code, j.jurisdiction_name
