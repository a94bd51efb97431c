{#- Merges and splits of physical cameras, one row per run and (old id -> new id); engineers' log. -#}
{{ config(materialized='view') }}
{{ er_id_changes(ref('int_camera_id_history')) }}
