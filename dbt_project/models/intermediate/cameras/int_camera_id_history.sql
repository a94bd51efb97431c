{#- The persisted camera id map, append-only (macro er_id_history; docs/er.md, Stable ids): a camera keeps its id
    when a programme registers it later, when its first-listed registration changes, and through merges and
    splits, which are logged. `--full-refresh` leaves it alone. -#}
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{{ er_id_history(ref('int_cameras_clustered'), 'record_key', 'first_record_key', 'camera_id', 'K', 'camera') }}
