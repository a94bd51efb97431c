{#- A physical camera holds at most one registration per programme (each programme registers a camera once). -#}
{{ config(severity='warn') }}
select camera_id, programme, count(*) as registrations
from {{ ref('int_cameras_clustered') }}
where programme is not null
group by camera_id, programme
having count(*) > 1
