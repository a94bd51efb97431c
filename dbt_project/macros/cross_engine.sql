{#- The one place where DuckDB and Trino differ. Models call these; never engine-specific SQL directly. -#}

{#- ISO 8601 text -> timestamp with time zone; NULL when unparseable. Reads what the quality gate accepts
    (huitong.quality.checks.parse_iso_datetime) and nothing else: 'T' or a space, seconds and 1-6 decimals optional,
    an offset Z / +HH / +HHMM / +HH:MM, or none, meaning the city's time zone. Neither engine's own parser agrees
    with the gate (DuckDB reads a missing offset in the session zone, UTC, and refuses HH:MM before an offset;
    Trino's from_iso8601_timestamp refuses the space, uses the server's zone and keeps milliseconds), so only the
    wall-clock time is cast and the offset applied here. -#}
{% macro parse_iso_timestamp(column) -%}{{ adapter.dispatch('parse_iso_timestamp', 'huitong')(column) }}{%- endmacro %}
{#- The usual spelling ('2026-02-25T10:20:30+08:00', what every simulated and most real systems send) is one the
    engine's own parser reads as the gate does: it skips the pattern, which is far dearer (by hand on DuckDB, 2M
    values: 4.3 s through the pattern, 0.3 s with this path). -#}
{% macro iso_datetime_usual(text) -%}{{ text }} like '____-__-__T__:__:__+__:__'{%- endmacro %}
{% macro duckdb__parse_iso_timestamp(column) -%}
{%- set text = 'trim(' ~ column ~ ')' -%}
case when {{ iso_datetime_usual(text) }} then try_cast({{ text }} as timestamptz)
when regexp_matches({{ text }}, {{ iso_datetime_pattern() }}) then
    case when {{ iso_datetime_offset(text) }} is null
        then timezone('{{ var("city_timezone") }}', try_cast({{ iso_datetime_wall_clock(text) }} as timestamp))
        else timezone('UTC', try_cast({{ iso_datetime_wall_clock(text) }} as timestamp))
             - to_minutes({{ iso_datetime_offset_minutes(text) }})
    end
end
{%- endmacro %}
{% macro trino__parse_iso_timestamp(column) -%}
{%- set text = 'trim(' ~ column ~ ')' -%}
case when {{ iso_datetime_usual(text) }} then try(cast(from_iso8601_timestamp({{ text }}) as timestamp(6) with time zone))
when regexp_like({{ text }}, {{ iso_datetime_pattern() }}) then
    case when {{ iso_datetime_offset(text) }} is null
        then with_timezone(try(cast({{ iso_datetime_wall_clock(text) }} as timestamp(6))), '{{ var("city_timezone") }}')
        else date_add('minute', -({{ iso_datetime_offset_minutes(text) }}),
                      with_timezone(try(cast({{ iso_datetime_wall_clock(text) }} as timestamp(6))), 'UTC'))
    end
end
{%- endmacro %}

{#- The gate's pattern (checks._ISO_DATETIME) with the ranges datetime.fromisoformat enforces: year 1-9999, hour 0-23,
    minute and second 0-59, an offset under 24 h (its minutes may exceed 59: +08:60 is +09:00). The calendar
    (30 February) is left to the cast. -#}
{% macro iso_datetime_pattern() -%}
{%- set day = '([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}' -%}
{%- set clock = '([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?' -%}
{%- set offset = '(Z|[+-](([01][0-9]|2[0-2])(:?[0-9]{2})?|23(:?[0-5][0-9])?))?' -%}
'^{{ day }}[T ]{{ clock }}{{ offset }}$'
{%- endmacro %}
{#- The parts of a date-time the pattern matched (a regexp_extract that finds nothing is '' on DuckDB, NULL on Trino):
    'YYYY-MM-DD HH:MM:SS[.ffffff]', the offset as written (NULL when none), and the offset in minutes east. -#}
{% macro iso_datetime_wall_clock(text) -%}
substr({{ text }}, 1, 10) || ' ' || substr({{ text }}, 12, 5)
|| coalesce(nullif(regexp_extract({{ text }}, '^.{16}(:[0-9.]+)', 1), ''), ':00')
{%- endmacro %}
{% macro iso_datetime_offset(text) -%}nullif(regexp_extract({{ text }}, '(Z|[+-][0-9:]+)$', 1), ''){%- endmacro %}
{% macro iso_datetime_offset_minutes(text) -%}
{#- Z / +HH / +HHMM / +HH:MM -> +HHMM00 or longer: sign, then hours and minutes at fixed places. -#}
{%- set o = "(replace(replace(" ~ iso_datetime_offset(text) ~ ", ':', ''), 'Z', '+00') || '00')" -%}
(case substr({{ o }}, 1, 1) when '-' then -1 else 1 end)
* (cast(substr({{ o }}, 2, 2) as integer) * 60 + cast(substr({{ o }}, 4, 2) as integer))
{%- endmacro %}

{#- A timestamp with time zone -> the local calendar date in the city's time zone. -#}
{% macro local_date(ts) -%}{{ adapter.dispatch('local_date', 'huitong')(ts) }}{%- endmacro %}
{% macro duckdb__local_date(ts) -%}cast(timezone('{{ var("city_timezone") }}', {{ ts }}) as date){%- endmacro %}
{% macro trino__local_date(ts) -%}cast(at_timezone({{ ts }}, '{{ var("city_timezone") }}') as date){%- endmacro %}

{#- Timestamp with time zone -> UTC timestamp without zone, the type our marts store. -#}
{% macro to_utc(ts) -%}{{ adapter.dispatch('to_utc', 'huitong')(ts) }}{%- endmacro %}
{% macro duckdb__to_utc(ts) -%}timezone('UTC', {{ ts }}){%- endmacro %}
{% macro trino__to_utc(ts) -%}cast(at_timezone({{ ts }}, 'UTC') as timestamp(6)){%- endmacro %}

{#- A timestamp with time zone -> its UTC instant as text 'YYYY-MM-DD HH:MM:SS.ffffff', the same characters on
    both engines (a cast to varchar is not: DuckDB drops a zero fraction, Trino prints six places). -#}
{% macro utc_text(ts) -%}{{ adapter.dispatch('utc_text', 'huitong')(ts) }}{%- endmacro %}
{% macro duckdb__utc_text(ts) -%}strftime({{ to_utc(ts) }}, '%Y-%m-%d %H:%M:%S.%f'){%- endmacro %}
{% macro trino__utc_text(ts) -%}cast({{ to_utc(ts) }} as varchar){%- endmacro %}

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

{#- Hours from one instant to another, fractional. A double: Trino's bigint / 3600.0 is a decimal of one place. -#}
{% macro hours_between(a, b) -%}cast(date_diff('second', {{ a }}, {{ b }}) as double) / 3600{%- endmacro %}

{#- a / b as a double, null when b is 0 or null. -#}
{% macro safe_ratio(a, b) -%}cast({{ a }} as double) / nullif(cast({{ b }} as double), 0){%- endmacro %}
