{#- The persisted person id map, append-only: one row per record and change of its entity id (macro er_id_history:
    which cluster keeps an id, merges, splits). `--full-refresh` leaves it alone (full_refresh=false): rebuilding
    it would renumber entities that departments already hold ids of. -#}
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{{ er_id_history(ref('int_persons_clustered'), 'record_key', 'first_record_key', 'entity_id', 'P', 'person') }}
