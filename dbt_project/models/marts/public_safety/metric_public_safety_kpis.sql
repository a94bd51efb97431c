{#- 治安主要指标 The leadership's public-safety figures for every reporting period (calendar year, calendar month;
    the current one runs to the report date) and district, with the same period a year before.

    Counts are additive, so any set of districts sums up; the ratios here are per row, and a dashboard over several
    rows recomputes them from the summed counts (sum(x) / sum(x_last_year) - 1), never by averaging ratios.
    - incidents by occurrence date; criminal, public_order, robbery_theft (两抢一盗, a subset of criminal);
    - clearance: of the period's incidents, those cleared by the report date (现案破案率);
    - sense of security: answers 很安全 / 比较安全 among the period's survey answers. -#}
{%- set kinds = {
    'incidents': 'true',
    'criminal': 'is_criminal',
    'public_order': 'is_public_order',
    'robbery_theft': 'is_two_robberies_one_theft',
} -%}
{%- set incidents = ref('fct_incidents') -%}
with this_period as (
    {{ period_counts(incidents, 'occurred_date',
                     dict(kinds, cleared='is_cleared', criminal_cleared='is_cleared and is_criminal')) }}
),

last_year as (
    {{ period_counts(incidents, 'occurred_date', kinds, window='last_year') }}
),

survey as (
    {{ period_counts(ref('fct_survey_responses'), 'survey_date',
                     {'survey_responses': 'true', 'feeling_safe': 'is_feeling_safe'}) }}
)

select
    g.period_type,
    g.period_start,
    g.period_label,
    g.period_end,
    g.last_year_start,
    g.last_year_end,
    g.is_current,
    g.is_partial,
    g.jurisdiction_code,
    g.jurisdiction_name,
    {%- for name in kinds %}
    coalesce(t.{{ name }}, 0) as {{ name }},
    coalesce(l.{{ name }}, 0) as {{ name }}_last_year,
    {{ safe_ratio('coalesce(t.' ~ name ~ ', 0) - l.' ~ name, 'l.' ~ name) }} as {{ name }}_yoy,
    {%- endfor %}
    coalesce(t.cleared, 0) as cleared,
    {{ safe_ratio('t.cleared', 't.incidents') }} as clearance_rate,
    coalesce(t.criminal_cleared, 0) as criminal_cleared,
    {{ safe_ratio('t.criminal_cleared', 't.criminal') }} as criminal_clearance_rate,
    coalesce(s.survey_responses, 0) as survey_responses,
    coalesce(s.feeling_safe, 0) as feeling_safe,
    {{ safe_ratio('s.feeling_safe', 's.survey_responses') }} as sense_of_security
from {{ ref('int_reporting_period_districts') }} as g
{{ period_join('this_period', 't') }}
{{ period_join('last_year', 'l') }}
{{ period_join('survey', 's') }}
