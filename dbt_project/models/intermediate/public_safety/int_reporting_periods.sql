{#- 报告期间 Every period the reports compare with the same period a year before: each calendar year and month
    from the start of last year to the report date. A period still running ends at the report date (exclusive), and
    its comparison window is the same days a year before, so a year-to-date figure compares like with like. -#}
with calendar as (
    select * from {{ ref('int_reporting_period') }}
),

days as (
    select calendar.report_date, day
    from calendar
    cross join unnest({{ day_sequence('calendar.last_year_start', 'calendar.last_day') }}) as t (day)
),

starts as (
    select 'year' as period_type, day as period_start, {{ year_start(add_days('day', 366)) }} as next_start, report_date
    from days
    where day = {{ year_start('day') }}
    union all
    select 'month' as period_type, day as period_start, {{ month_start(add_days('day', 32)) }} as next_start, report_date
    from days
    where day = {{ month_start('day') }}
)

select
    period_type,
    period_start,
    -- 2026年 for a year, 2026-03 for a month: sorted descending, the newest year comes first
    case when period_type = 'year' then substr(cast(period_start as varchar), 1, 4) || '年'
         else substr(cast(period_start as varchar), 1, 7) end as period_label,
    case when next_start < report_date then next_start else report_date end as period_end,
    {{ add_years('period_start', -1) }} as last_year_start,
    {{ add_years('case when next_start < report_date then next_start else report_date end', -1) }} as last_year_end,
    next_start >= report_date as is_current,
    next_start > report_date as is_partial
from starts
