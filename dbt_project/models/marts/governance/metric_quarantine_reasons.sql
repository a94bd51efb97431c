{#- 数据质量：隔离 Quarantined rows per source entity, rule and day they arrived. Counts by rule only: a reason
    quotes the failing value (a mistyped resident ID is usually a real person's ID one digit off), so reasons and
    payloads stay in the restricted quarantine layer, where data engineers read them. Pipeline-wide:
    jurisdiction_code is null. -#}
select
    ingested_date,
    source,
    entity,
    source_entity,
    rules,
    cast(count(*) as bigint) as quarantined_rows,
    cast(null as varchar) as jurisdiction_code
from {{ ref('stg_quarantine__quarantined_rows') }}
group by ingested_date, source, entity, source_entity, rules
