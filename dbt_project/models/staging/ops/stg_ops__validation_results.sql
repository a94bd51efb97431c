{#- Great Expectations results: one row per check per batch. -#}
select
    batch_id,
    source,
    entity,
    source || '.' || entity as source_entity,
    check_name,
    unexpected_count,
    success,
    validated_at,
    cast(validated_at as date) as validated_date
from {{ source('ops', 'validation_results') }}
