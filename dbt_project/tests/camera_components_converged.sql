{#- Label propagation in int_cameras_clustered ran enough rounds: no kept link joins two cameras. -#}
select s.pair_key
from {{ ref('int_cameras_scored') }} as s
inner join {{ ref('int_cameras_clustered') }} as l on l.record_key = s.record_key_l
inner join {{ ref('int_cameras_clustered') }} as r on r.record_key = s.record_key_r
where s.is_kept_link and l.camera_id <> r.camera_id
