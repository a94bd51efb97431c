{#- Record -> persisted entity id (int_person_id_history), for every record int_persons_clustered holds now.
    A batch build (var er_incremental) replaces the rows of the records it clustered again. -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='delete+insert', unique_key='record_key') }}
{%- if var('er_incremental', false) %}
-- depends_on: {{ ref('int_person_records') }} (the batch number)
{% endif %}
{%- set batch_run = er_batch_run() %}
with clustered as (
    select * from {{ ref('int_persons_clustered') }}
    {%- if batch_run %}
    where er_batch = {{ er_current_batch() }}
    {%- endif %}
)

select
    c.record_key, c.source, c.record_id, c.seen_at, c.link_kind, c.cluster_size, ids.entity_id
from clustered as c
inner join (
    {%- if batch_run %}
    {{ er_latest_ids('(select * from ' ~ ref('int_person_id_history') ~ ' where record_key in (select record_key from clustered))') }}
    {%- else %}
    {{ er_latest_ids(ref('int_person_id_history')) }}
    {%- endif %}
) as ids on ids.record_key = c.record_key
