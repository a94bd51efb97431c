{#- 矛盾纠纷排查化解 Disputes found and resolved per reporting period and district: found in the period, of those
    resolved by the report date (化解率), resolved during the period whenever found, and the same period last year. -#}
{%- set disputes = ref('fct_disputes') -%}
with found as (
    {{ period_counts(disputes, 'found_date', {'disputes_found': 'true', 'found_and_resolved': 'is_resolved'}) }}
),

resolved as (
    {{ period_counts(disputes, 'resolved_date', {'disputes_resolved': 'is_resolved'}) }}
),

found_last_year as (
    {{ period_counts(disputes, 'found_date', {'disputes_found': 'true'}, window='last_year') }}
)

select
    g.period_type,
    g.period_start,
    g.period_label,
    g.period_end,
    g.is_current,
    g.jurisdiction_code,
    g.jurisdiction_name,
    coalesce(f.disputes_found, 0) as disputes_found,
    coalesce(f.found_and_resolved, 0) as found_and_resolved,
    {{ safe_ratio('f.found_and_resolved', 'f.disputes_found') }} as resolution_rate,
    coalesce(r.disputes_resolved, 0) as disputes_resolved,
    coalesce(l.disputes_found, 0) as disputes_found_last_year,
    {{ safe_ratio('coalesce(f.disputes_found, 0) - l.disputes_found', 'l.disputes_found') }} as disputes_found_yoy
from {{ ref('int_reporting_period_districts') }} as g
{{ period_join('found', 'f') }}
{{ period_join('resolved', 'r') }}
{{ period_join('found_last_year', 'l') }}
