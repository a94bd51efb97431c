{#- Registration -> physical camera. Clustering that one bad link cannot chain:

    1. A programme registers a camera once: pairs of one programme are never compared (int_cameras_scored).
    2. Only kept links count (int_cameras_scored.is_kept_link): above the threshold and, per other programme, the
       strongest pair of both ends (mutual best), so a registration joins at most one registration of each other
       programme and a wrong second candidate cannot bridge two cameras.
    3. Components over the kept links by label propagation (each registration takes the smallest record_key among
       its neighbours), `er_label_iterations` rounds unrolled in portable SQL; the singular test
       camera_components_converged fails if that was not enough.

    camera_id here is the cluster's PROPOSED id, the hash of its first-seen registration (first_seen_at, then
    record_key); the id a registration has is the persisted map's (int_camera_id_history -> int_camera_entities). -#}
{%- set iterations = var('er_label_iterations', 6) -%}
with records as (
    select record_key, source, record_id, programme, first_seen_at from {{ ref('int_camera_records') }}
),

edges as (
    select record_key_l as a, record_key_r as b from {{ ref('int_cameras_scored') }} where is_kept_link
    union all
    select record_key_r as a, record_key_l as b from {{ ref('int_cameras_scored') }} where is_kept_link
),

{{ er_label_propagation('records', 'edges', iterations) }}
clustered as (
    select
        r.record_key, r.source, r.record_id, r.programme, r.first_seen_at, a.label as cluster_key,
        first_value(r.record_key) over (
            partition by a.label order by r.first_seen_at nulls last, r.record_key
            rows between unbounded preceding and unbounded following) as first_record_key,
        count(*) over (partition by a.label) as cluster_size
    from records as r
    inner join label_{{ iterations }} as a on a.record_key = r.record_key
)

select
    record_key, source, record_id, programme, first_seen_at, cluster_size, first_record_key,
    'K' || substr({{ er_md5_hex("'camera|' || first_record_key") }}, 1, 15) as camera_id
from clustered
