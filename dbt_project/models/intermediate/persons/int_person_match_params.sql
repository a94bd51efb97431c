{#- The m / u parameters the person model scores with: trained rows from ops.er_person_params (written by
    `huitong er train`) when that table exists, the committed defaults otherwise; a level the training did not
    estimate keeps its default. -#}
{%- set trained = source('er_params', 'er_person_params') -%}
with defaults as (
    select field, level, cast(m as double) as m, cast(u as double) as u
    from {{ ref('er_person_params_default') }}
)
{%- if er_relation_exists(trained) %},

trained as (
    select field, level, cast(m as double) as m, cast(u as double) as u from {{ trained }}
)

select
    d.field, d.level,
    coalesce(t.m, d.m) as m,
    coalesce(t.u, d.u) as u,
    case when t.m is not null then 'trained' else 'default' end as origin
from defaults as d
left join trained as t on t.field = d.field and t.level = d.level
{%- else %}

select field, level, m, u, 'default' as origin from defaults
{%- endif %}
