{#- Registration -> persisted camera_id (int_camera_id_history), for every registration int_cameras_clustered holds
    now. -#}
select
    c.record_key, c.source, c.record_id, c.programme, c.first_seen_at, c.cluster_size, ids.entity_id as camera_id
from {{ ref('int_cameras_clustered') }} as c
inner join ({{ er_latest_ids(ref('int_camera_id_history')) }}) as ids on ids.record_key = c.record_key
