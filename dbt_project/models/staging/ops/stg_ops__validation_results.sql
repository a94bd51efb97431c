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
    {{ local_date('validated_at') }} as validated_date  -- the city's day, as every date in the marts
from {{ source('ops', 'validation_results') }}
