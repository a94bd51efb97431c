{#- Why two records were linked: every pair above the threshold that ended in the same person, with each field's
    comparison level and match weight (log2 m/u), the name's term-frequency adjustment, the prior and the total.
    Only record keys, levels and numbers: no names or identifiers, so Superset can show it to district analysts
    (row filter on jurisdiction_code, the district of the left record). -#}
{%- set fields = ['id_number', 'name', 'phone', 'birth_date', 'gender', 'address'] -%}
select
    l.entity_id,
    s.record_key_l, s.record_key_r,
    l.source as source_l, r.source as source_r,
    s.blocking_rule,
    {%- for f in fields %}
    s.{{ f }}_level, s.{{ f }}_weight,
    {%- endfor %}
    s.name_tf_adjustment, s.prior_weight, s.match_weight, s.match_probability,
    rec.jurisdiction_code
from {{ ref('int_persons_scored') }} as s
inner join {{ ref('int_person_entities') }} as l on l.record_key = s.record_key_l
inner join {{ ref('int_person_entities') }} as r on r.record_key = s.record_key_r
inner join {{ ref('int_person_records') }} as rec on rec.record_key = s.record_key_l
where s.match_probability >= {{ var('er_person_threshold', 0.99) }} and l.entity_id = r.entity_id
