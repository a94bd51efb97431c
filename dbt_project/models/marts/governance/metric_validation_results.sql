{#- 数据质量：校验 Per source entity, check and day: how many batches ran the check, how many failed it, and the
    unexpected rows it found. Pipeline-wide: jurisdiction_code is null. -#}
select
    validated_date,
    source,
    entity,
    source_entity,
    check_name,
    cast(count(*) as bigint) as runs,
    cast(sum(case when success then 0 else 1 end) as bigint) as failures,
    cast(sum(coalesce(unexpected_count, 0)) as bigint) as unexpected_rows,
    cast(null as varchar) as jurisdiction_code
from {{ ref('stg_ops__validation_results') }}
group by validated_date, source, entity, source_entity, check_name
