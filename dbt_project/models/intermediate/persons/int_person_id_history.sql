{#- The persisted person id map, append-only: one row per record and change of its entity id (macro er_id_history:
    which cluster keeps an id, merges, splits). `--full-refresh` leaves it alone (full_refresh=false): rebuilding
    it would renumber entities that departments already hold ids of. -#}
{#- Records that left every source (retention, a source's delete) are unlinked after each full build
    (er_retire_departed). Not in `huitong er link` (var er_keep_departed): its inputs are files, not sources, and a
    batch build (er_incremental) holds only the batch's clusters. -#}
{%- set keep = var('er_incremental', false) or var('er_keep_departed', false) %}
{%- set retire = [] if keep else ["{{ er_retire_departed(this, ref('int_persons_clustered')) }}"] %}
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false, post_hook=retire) }}
{#- A batch build (var er_incremental) reads only the records int_persons_clustered re-clustered: whole entities. -#}
{%- set clustered %}
{%- if var('er_incremental', false) -%}
(select * from {{ ref('int_persons_clustered') }} where er_batch = {{ er_current_batch() }}) as batch_clusters
{%- else -%}
{{ ref('int_persons_clustered') }}
{%- endif %}
{%- endset %}
{{ er_id_history(clustered, 'record_key', 'first_record_key', 'entity_id', 'P', 'person', part=var('er_incremental', false)) }}
