{#- 查询审计 Who queried what through the access policy, by which path: one row per query, allowed or refused. Read by the auditor
    role only (policy: marts.audit_*). The SQL text is kept as typed, for review. -#}
select
    query_key,
    {{ to_utc('queried_at') }} as queried_at_utc,
    query_date,
    user_name,
    profile,
    engine,
    access_path,
    case access_path
        when 'cli' then '命令行 huitong query'
        when 'superset_chart' then 'Superset 图表 chart'
        when 'superset_sql_lab' then 'Superset SQL Lab'
        when 'superset_api' then 'Superset API'
        when 'trino' then 'Trino'
    end as access_path_label,
    client,
    is_allowed,
    case when is_allowed then '允许 allowed' else '拒绝 refused' end as outcome,
    tables_json,
    is_person_level,
    rows_returned,
    refusal_reason,
    duration_ms,
    query_sql
from {{ ref('stg_audit__queries') }}
