{#- One row per audited query, whichever path it took (`huitong query`, Superset's query log, Trino's event
    listener). The logs are append-only; a record landed twice (a re-run window) is one query. -#}
with source as (
    select * from {{ source('audit', 'queries') }}
),

deduplicated as (
    {{ latest_per_key('select * from source', '_record_hash', '_ingested_at') }}
)

select
    _record_hash as query_key,
    {{ parse_iso_timestamp('"at"') }} as queried_at,
    {{ local_date(parse_iso_timestamp('"at"')) }} as query_date,
    "user" as user_name,
    profile,
    engine,
    -- Lines written before the path was recorded all came from `huitong query`.
    coalesce("path", 'cli') as access_path,
    coalesce(client, 'huitong-query') as client,
    lower(allowed) = 'true' as is_allowed,
    tables as tables_json,
    coalesce(lower(person_level) = 'true', false) as is_person_level,
    cast(nullif("rows", '') as bigint) as rows_returned,
    error as refusal_reason,
    cast(nullif(duration_ms, '') as double) as duration_ms,
    "sql" as query_sql,
    _batch_id as batch_id
from deduplicated
