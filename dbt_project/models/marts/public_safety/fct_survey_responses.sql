{#- 安全感和满意度调查 One row per anonymous survey answer: sense of security and law-enforcement satisfaction (the
    survey records no respondent). Which answers count is the KPIs' definition, so it lives here, not in staging. -#}
select
    response_id,
    survey_wave,
    survey_date,
    answer,
    answer in ('很安全', '比较安全') as is_feeling_safe,
    satisfaction,
    -- null when the question was not answered (or not yet asked): the satisfaction rate's denominator skips it
    case when satisfaction is not null then satisfaction in ('满意', '比较满意') end as is_satisfied,
    district_code as jurisdiction_code,
    police_station_code,
    batch_id
from {{ ref('stg_public_safety__survey_responses') }}
where survey_date is not null
