{#- Helpers of the entity resolution models (models/intermediate/persons, cameras). -#}

{#- Lower-case hex MD5 of a text value, the same string on both engines (stable entity ids). -#}
{% macro er_md5_hex(s) %}{{ return(adapter.dispatch('er_md5_hex')(s)) }}{% endmacro %}
{% macro default__er_md5_hex(s) %}lower(to_hex(md5(to_utf8({{ s }})))){% endmacro %}
{% macro duckdb__er_md5_hex(s) %}md5({{ s }}){% endmacro %}

{#- Whether a relation exists at run time. Offline compiles (no server) answer false, so the model compiles its
    fallback branch; a real run asks the catalog. -#}
{% macro er_relation_exists(relation) -%}
{%- if not execute or var('offline_compile', false) -%}{{ return(false) }}{%- endif -%}
{%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
{{ return(found is not none) }}
{%- endmacro %}

{#- One row per distinct value of `column` in `relation` (NULL too) with `expression`, written on v.<column>, as
    `alias`: a costly standardiser run once per value, for the caller to join back null-safely (so NULL maps as
    the expression maps it). With `lookup` the character lookup er_lkp is in scope. -#}
{% macro er_per_distinct(relation, column, expression, alias, lookup=false) -%}
select v.{{ column }}, {{ expression }} as {{ alias }}
    from (select distinct {{ column }} from {{ relation }}) as v
    {%- if lookup %}
    cross join {{ er_char_lookup() }} as er_lkp
    {%- endif %}
{%- endmacro %}

{#- Connected components by label propagation, unrolled `iterations` rounds in portable SQL (no recursive CTE):
    CTEs label_0 .. label_<iterations>, each (record_key, label), every node taking the smallest label among itself
    and its neighbours. `nodes` has record_key; `edges` has (a, b) in both directions. Emits the CTEs followed by a
    comma: call it inside a WITH list and read label_<iterations> after it. Used by persons and cameras. -#}
{% macro er_label_propagation(nodes, edges, iterations) -%}
label_0 as (
    select record_key, record_key as label from {{ nodes }}
),
{% for i in range(1, iterations + 1) %}
label_{{ i }} as (
    select l.record_key, least(l.label, coalesce(min(n.label), l.label)) as label
    from label_{{ i - 1 }} as l
    left join {{ edges }} as e on e.a = l.record_key
    left join label_{{ i - 1 }} as n on n.record_key = e.b
    group by l.record_key, l.label
),
{% endfor %}
{%- endmacro %}

{#- Survivorship helpers of the golden records (dim_person, dim_place). `er_source_rank`: the position of `source`
    in the priority list (unlisted sources last). `er_survivor`: the value of `column` from the best-ranked member
    that has one (rank: 1 = best); with `prefer` (a condition), members meeting it come first. -#}
{% macro er_source_rank(source, priority) -%}
case {{ source }} {% for s in priority %}when '{{ s }}' then {{ loop.index }} {% endfor %}else {{ priority | length + 1 }} end
{%- endmacro %}

{% macro er_survivor(column, rank='survivor_rank', prefer=none) -%}
min_by({{ column }}, case when {{ column }} is not null then {{ rank }}{% if prefer %} - case when {{ prefer }} then 1000000 else 0 end{% endif %} end)
{%- endmacro %}

{#- A golden record's provenance, for GROUP BY entity over its records (with `source` and `seen_at`): how many
    records, how many from each source in `sources` (<source>_record_count), first and last seen. -#}
{% macro er_record_counts(sources) -%}
cast(count(*) as bigint) as record_count,
    {%- for s in sources %}
    cast(sum(case when source = '{{ s }}' then 1 else 0 end) as bigint) as {{ s }}_record_count,
    {%- endfor %}
    min(seen_at) as first_seen_at,
    max(seen_at) as last_seen_at
{%- endmacro %}
