{#- Fellegi-Sunter scores of the candidate pairs (levels from int_persons_compared). Each level a match weight
    log2(m / u) from int_person_match_params; an exact name match is term-frequency adjusted (log2(u / frequency of
    the name among records): 张伟 counts for less than 欧阳婧); a missing value weighs 0. total = log2(lambda /
    (1 - lambda)) + the field weights; match_probability = 2^total / (1 + 2^total). A batch build (var
    er_incremental) scores the batch's new pairs only, with the parameters it finds. -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='append') }}
{%- if var('er_incremental', false) %}
-- depends_on: {{ ref('int_person_records') }} (the batch number)
{% endif %}
{%- set fields = ['id_number', 'name', 'phone', 'birth_date', 'gender', 'address'] -%}
with compared as (
    select * from {{ ref('int_persons_compared') }}
    {%- if er_batch_run() %}
    where {{ er_pending_batch() }}
    {%- endif %}
),

params as (
    select * from {{ ref('int_person_match_params') }}
),

weighted as (
    select
        c.*,
        {%- for f in fields %}
        coalesce(log2(p_{{ f }}.m / p_{{ f }}.u), 0.0e0) as {{ f }}_weight,
        {%- endfor %}
        case when c.name_level = 'exact' then log2(p_name.u / c.name_frequency) else 0.0e0 end as name_tf_adjustment,
        log2(prior.m / (1.0e0 - prior.m)) as prior_weight
    from compared as c
    cross join (select m from params where field = '_prior') as prior
    {%- for f in fields %}
    left join params as p_{{ f }} on p_{{ f }}.field = '{{ f }}' and p_{{ f }}.level = c.{{ f }}_level
    {%- endfor %}
),

totalled as (
    select w.*, w.prior_weight + w.name_tf_adjustment{% for f in fields %} + w.{{ f }}_weight{% endfor %} as match_weight
    from weighted as w
)

-- 1 / (1 + 2^-total), the exponent clamped so neither engine overflows (|total| > 60 is certainty anyway)
select t.*, 1.0e0 / (1.0e0 + power(2.0e0, -least(greatest(t.match_weight, -60.0e0), 60.0e0))) as match_probability
from totalled as t
