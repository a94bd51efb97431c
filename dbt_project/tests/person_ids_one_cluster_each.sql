{#- The person id map never gives one id to two clusters, nor two ids to one cluster, and a run appends at most one
    row per record. -#}
{{ er_id_map_problems(ref('int_person_entities'), ref('int_persons_clustered'), ref('int_person_id_history'), 'entity_id') }}
