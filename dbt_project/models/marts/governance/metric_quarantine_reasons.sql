{#- 数据质量：隔离 Quarantined rows per source entity, rule and day they arrived (reasons, not payloads).
    Pipeline-wide: jurisdiction_code is null. -#}
select
    ingested_date,
    source,
    entity,
    source_entity,
    rules,
    cast(count(*) as bigint) as quarantined_rows,
    min(reason) as example_reason,
    cast(null as varchar) as jurisdiction_code
from {{ ref('stg_ops__quarantined_rows') }}
group by ingested_date, source, entity, source_entity, rules
