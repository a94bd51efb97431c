{#- 数据质量：批次 Per source entity and day the batches finished: batches, rows landed / loaded / quarantined, failed
    batches, and the newest source record the lake holds. Pipeline-wide, not per district: jurisdiction_code is null
    (a district-scoped role sees no rows). -#}
select
    finished_date,
    source,
    entity,
    source_entity,
    cast(count(*) as bigint) as batches,
    cast(sum(case when status <> 'loaded' then 1 else 0 end) as bigint) as batches_not_loaded,
    cast(sum(landed) as bigint) as rows_landed,
    cast(sum(loaded) as bigint) as rows_loaded,
    cast(sum(quarantined) as bigint) as rows_quarantined,
    {{ safe_ratio('sum(quarantined)', 'sum(landed)') }} as quarantine_rate,
    max(newest_record_at) as newest_record_at,
    max(finished_at) as last_finished_at,
    cast(null as varchar) as jurisdiction_code
from {{ ref('stg_ops__batch_ledger') }}
group by finished_date, source, entity, source_entity
