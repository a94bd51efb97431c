{#- Quarantined rows without their raw payload (which stays in the restricted quarantine layer). -#}
select
    _batch_id as batch_id,
    source,
    entity,
    source || '.' || entity as source_entity,
    rules,
    reason,
    _ingested_at as ingested_at,
    cast(_ingested_at as date) as ingested_date
from {{ source('quarantine', 'quarantined_rows') }}
