{#- Record -> persisted entity id (int_person_id_history), for every record int_persons_clustered holds now. -#}
select
    c.record_key, c.source, c.record_id, c.seen_at, c.link_kind, c.cluster_size, ids.entity_id
from {{ ref('int_persons_clustered') }} as c
inner join ({{ er_latest_ids(ref('int_person_id_history')) }}) as ids on ids.record_key = c.record_key
