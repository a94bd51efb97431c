{#- The camera id map never gives one id to two physical cameras, nor two ids to one, and a run appends at most one
    row per registration. -#}
{{ er_id_map_problems(ref('int_camera_entities'), ref('int_cameras_clustered'), ref('int_camera_id_history'), 'camera_id') }}
