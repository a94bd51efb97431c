{#- Period figures: count a fact's rows per reporting period (int_reporting_periods) and jurisdiction_code.
    measures: {column name: boolean SQL expression over the fact}; the count of rows where it holds.
    window='this' counts the period itself, 'last_year' the same period a year before. value: what each matching
    row adds (default 1; a column such as `events` when the relation is already counted, e.g. per day). -#}
{% macro period_counts(relation, date_column, measures, window='this', value='1') -%}
{%- set lo, hi = ('period_start', 'period_end') if window == 'this' else ('last_year_start', 'last_year_end') -%}
select
    p.period_type, p.period_start, f.jurisdiction_code,
    {%- for name, condition in measures.items() %}
    cast(sum(case when {{ condition }} then {{ value }} else 0 end) as bigint) as {{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('int_reporting_periods') }} as p
inner join {{ relation }} as f on f.{{ date_column }} >= p.{{ lo }} and f.{{ date_column }} < p.{{ hi }}
group by p.period_type, p.period_start, f.jurisdiction_code
{%- endmacro %}

{#- Join a period_counts CTE to the period x district grid `g`. -#}
{% macro period_join(cte, alias) -%}
left join {{ cte }} as {{ alias }}
    on {{ alias }}.period_type = g.period_type and {{ alias }}.period_start = g.period_start
    and {{ alias }}.jurisdiction_code = g.jurisdiction_code
{%- endmacro %}
