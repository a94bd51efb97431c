{#- The one place where DuckDB and Trino differ. Models call these; never engine-specific SQL directly. -#}

{#- ISO 8601 text with an offset -> timestamp with time zone; NULL when unparseable. -#}
{% macro parse_iso_timestamp(column) -%}{{ adapter.dispatch('parse_iso_timestamp', 'huitong')(column) }}{%- endmacro %}
{% macro duckdb__parse_iso_timestamp(column) -%}try_cast({{ column }} as timestamptz){%- endmacro %}
{% macro trino__parse_iso_timestamp(column) -%}try(from_iso8601_timestamp({{ column }})){%- endmacro %}

{#- A timestamp with time zone -> the local calendar date in the city's time zone. -#}
{% macro local_date(ts) -%}{{ adapter.dispatch('local_date', 'huitong')(ts) }}{%- endmacro %}
{% macro duckdb__local_date(ts) -%}cast(timezone('{{ var("city_timezone") }}', {{ ts }}) as date){%- endmacro %}
{% macro trino__local_date(ts) -%}cast(at_timezone({{ ts }}, '{{ var("city_timezone") }}') as date){%- endmacro %}

{#- Timestamp with time zone -> UTC timestamp without zone, the type our marts store. -#}
{% macro to_utc(ts) -%}{{ adapter.dispatch('to_utc', 'huitong')(ts) }}{%- endmacro %}
{% macro duckdb__to_utc(ts) -%}timezone('UTC', {{ ts }}){%- endmacro %}
{% macro trino__to_utc(ts) -%}cast(at_timezone({{ ts }}, 'UTC') as timestamp(6)){%- endmacro %}

{#- Keep the latest row per key: DuckDB has QUALIFY, Trino does not. -#}
{% macro latest_per_key(relation_sql, key, order_by) -%}
select * from (
    select *, row_number() over (partition by {{ key }} order by {{ order_by }}) as _row_rank
    from ({{ relation_sql }}) as ranked_input
) as ranked
where _row_rank = 1
{%- endmacro %}
