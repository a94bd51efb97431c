{#- Merges and splits of person entities, one row per run and (old id -> new id); engineers' log. -#}
{{ config(materialized='view') }}
{{ er_id_changes(ref('int_person_id_history')) }}
