{#- The batch ledger: one row per batch, its latest entry (a re-run batch replaces its row). -#}
with latest as (
    {{ latest_per_key('select * from ' ~ source('ops', 'batch_ledger'), 'batch_id', 'finished_at desc') }}
)

select
    batch_id,
    source,
    entity,
    source || '.' || entity as source_entity,
    window_start,
    window_end,
    landed,
    loaded,
    quarantined,
    status,
    message,
    newest_record_at,
    finished_at,
    {{ local_date('finished_at') }} as finished_date  -- the city's day, as every date in the marts
from latest
