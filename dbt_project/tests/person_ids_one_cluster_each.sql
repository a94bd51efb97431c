{#- The id map never gives one id to two clusters, nor two ids to one cluster, and a run appends at most one row
    per record (a singular test: `er link` copies the person models without the project's generic tests). -#}
{%- set one_to_one = [('id in two clusters', 'e.entity_id', 'c.first_record_key'),
                      ('cluster with two ids', 'c.first_record_key', 'e.entity_id')] -%}
{%- for problem, key, other in one_to_one %}
select '{{ problem }}' as problem, {{ key }} as key
from {{ ref('int_person_entities') }} as e
inner join {{ ref('int_persons_clustered') }} as c on c.record_key = e.record_key
group by {{ key }}
having count(distinct {{ other }}) > 1
union all
{%- endfor %}
select 'two rows in one run' as problem, record_key as key
from {{ ref('int_person_id_history') }}
group by record_key, run_seq
having count(*) > 1
