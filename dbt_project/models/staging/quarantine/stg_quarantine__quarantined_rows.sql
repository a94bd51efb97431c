{#- Quarantined rows without their raw payload (which stays in the restricted quarantine layer). -#}
select
    _batch_id as batch_id,
    source,
    entity,
    source || '.' || entity as source_entity,
    rules,
    reason,
    _ingested_at as ingested_at,
    {{ local_date('_ingested_at') }} as ingested_date  -- the city's day, as every date in the marts
from {{ source('quarantine', 'quarantined_rows') }}
