{#- Label propagation in int_persons_clustered ran enough rounds: no above-threshold link joins two entities
    except where the anti-chaining rules cut it (different valid IDs; a record attached to its strongest anchor). -#}
select s.record_key_l, s.record_key_r
from {{ ref('int_persons_scored') }} as s
inner join {{ ref('int_persons_clustered') }} as l on l.record_key = s.record_key_l
inner join {{ ref('int_persons_clustered') }} as r on r.record_key = s.record_key_r
where s.match_probability >= {{ var('er_person_threshold', 0.99) }}
  and l.link_kind in ('root', 'linked') and r.link_kind in ('root', 'linked')
  and l.entity_id <> r.entity_id
