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

{#- A date shifted by whole days / years, still a date (DuckDB's date + interval is a timestamp). 29 Feb minus
    one year is 28 Feb in both engines. -#}
{% macro add_days(d, n) -%}{{ adapter.dispatch('add_days', 'huitong')(d, n) }}{%- endmacro %}
{% macro duckdb__add_days(d, n) -%}cast({{ d }} + to_days(cast({{ n }} as integer)) as date){%- endmacro %}
{% macro trino__add_days(d, n) -%}date_add('day', {{ n }}, {{ d }}){%- endmacro %}

{% macro add_years(d, n) -%}{{ adapter.dispatch('add_years', 'huitong')(d, n) }}{%- endmacro %}
{% macro duckdb__add_years(d, n) -%}cast({{ d }} + to_years(cast({{ n }} as integer)) as date){%- endmacro %}
{% macro trino__add_years(d, n) -%}date_add('year', {{ n }}, {{ d }}){%- endmacro %}

{#- The first day of the date's month / year, as a date. -#}
{% macro month_start(d) -%}cast(date_trunc('month', {{ d }}) as date){%- endmacro %}
{% macro year_start(d) -%}cast(date_trunc('year', {{ d }}) as date){%- endmacro %}

{#- Every day from first to last (both included), as a list to unnest: `cross join unnest(...) as t(day)`. -#}
{% macro day_sequence(first, last) -%}{{ adapter.dispatch('day_sequence', 'huitong')(first, last) }}{%- endmacro %}
{% macro duckdb__day_sequence(first, last) -%}
list_transform(generate_series(cast({{ first }} as timestamp), cast({{ last }} as timestamp), interval 1 day), x -> cast(x as date))
{%- endmacro %}
{% macro trino__day_sequence(first, last) -%}sequence({{ first }}, {{ last }}, interval '1' day){%- endmacro %}

{#- Hours from one instant to another, fractional. -#}
{% macro hours_between(a, b) -%}date_diff('second', {{ a }}, {{ b }}) / 3600.0{%- endmacro %}

{#- a / b as a double, null when b is 0 or null. -#}
{% macro safe_ratio(a, b) -%}cast({{ a }} as double) / nullif(cast({{ b }} as double), 0){%- endmacro %}
