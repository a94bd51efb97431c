{#- 报告期 The reporting calendar every period figure uses, one row. The report date (exclusive) is the dbt var
    `report_date` when given, else the day after the newest police export day: the figures run up to the data,
    not up to the clock (today's date only while no export has arrived). "This year" is [1 Jan, report date); "the same period last year" is [1 Jan last year,
    the same month-day last year). -#}
with newest as (
    select max(export_date) as newest_export_date
    from (
        select export_date from {{ ref('stg_public_safety__incidents') }}
        union all
        select export_date from {{ ref('stg_public_safety__disputes') }}
    ) as exports
),

report as (
    select
        {% if var('report_date', none) %}
            cast('{{ var("report_date") }}' as date)
        {% else %}
            coalesce({{ add_days('newest_export_date', 1) }}, current_date)
        {% endif %} as report_date
    from newest
)

select
    report_date,
    {{ add_days('report_date', -1) }} as last_day,
    {{ year_start(add_days('report_date', -1)) }} as this_year_start,
    {{ add_years(year_start(add_days('report_date', -1)), -1) }} as last_year_start,
    {{ add_years('report_date', -1) }} as last_year_same_day,
    {{ month_start(add_days('report_date', -1)) }} as report_month_start,
    {{ add_days('report_date', -var('recent_days', 30)) }} as recent_start,
    {{ add_years(add_days('report_date', -var('recent_days', 30)), -1) }} as last_year_recent_start
from report
