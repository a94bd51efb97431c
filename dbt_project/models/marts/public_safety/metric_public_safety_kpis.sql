{#- 治安主要指标 The leadership's public-safety figures for every reporting period (calendar year, calendar month;
    the current one runs to the report date) and district, with the same period a year before.

    Counts are additive, so any set of districts sums up; the ratios here are per row, and a dashboard over several
    rows recomputes them from the summed counts (sum(x) / sum(x_last_year) - 1), never by averaging ratios.
    - incidents by occurrence date; criminal, public_order, robbery_theft (两抢一盗, a subset of criminal);
    - clearance: of the period's incidents, those cleared by the report date (现案破案率);
    - sense of security: answers 很安全 / 比较安全 among the period's survey answers;
    - law-enforcement satisfaction: answers 满意 / 比较满意 among the period's answers to that question;
    - fugitives (追逃): caught in the period (and the same period last year), registered in the period, and wanted
      at some time in it (registered before its end, not caught before its start); catch rate = caught / wanted. -#}
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
                     {'survey_responses': 'true', 'feeling_safe': 'is_feeling_safe',
                      'satisfaction_responses': 'is_satisfied is not null', 'satisfied': 'is_satisfied'}) }}
),

{%- set fugitive_events = ref('int_public_safety_fugitive_events') %}

fugitives as (
    {{ period_counts(fugitive_events, 'event_date',
                     {'fugitives_registered': "event = 'registered'", 'fugitives_caught': "event = 'caught'"},
                     value='events') }}
),

fugitives_last_year as (
    {{ period_counts(fugitive_events, 'event_date', {'fugitives_caught': "event = 'caught'"},
                     window='last_year', value='events') }}
),

fugitives_wanted as (
    -- at large at some time in the period: registered before its end, minus those caught before its start
    select
        p.period_type, p.period_start, f.jurisdiction_code,
        cast(sum(case when f.event = 'registered' then f.events
                      when f.event_date < p.period_start then -f.events else 0 end) as bigint) as fugitives_wanted
    from {{ ref('int_reporting_periods') }} as p
    inner join {{ fugitive_events }} as f on f.event_date < p.period_end
    group by p.period_type, p.period_start, f.jurisdiction_code
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
    {{ safe_ratio('s.feeling_safe', 's.survey_responses') }} as sense_of_security,
    coalesce(s.satisfaction_responses, 0) as satisfaction_responses,
    coalesce(s.satisfied, 0) as satisfied,
    {{ safe_ratio('s.satisfied', 's.satisfaction_responses') }} as law_enforcement_satisfaction,
    coalesce(fu.fugitives_registered, 0) as fugitives_registered,
    coalesce(fu.fugitives_caught, 0) as fugitives_caught,
    coalesce(fl.fugitives_caught, 0) as fugitives_caught_last_year,
    {{ safe_ratio('coalesce(fu.fugitives_caught, 0) - fl.fugitives_caught', 'fl.fugitives_caught') }} as fugitives_caught_yoy,
    coalesce(fw.fugitives_wanted, 0) as fugitives_wanted,
    {{ safe_ratio('coalesce(fu.fugitives_caught, 0)', 'fw.fugitives_wanted') }} as fugitive_catch_rate
from {{ ref('int_reporting_period_districts') }} as g
{{ period_join('this_period', 't') }}
{{ period_join('last_year', 'l') }}
{{ period_join('survey', 's') }}
{{ period_join('fugitives', 'fu') }}
{{ period_join('fugitives_last_year', 'fl') }}
{{ period_join('fugitives_wanted', 'fw') }}
