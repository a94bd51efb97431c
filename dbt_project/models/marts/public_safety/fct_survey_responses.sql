{#- 安全感和满意度调查 One row per anonymous survey answer: sense of security and law-enforcement satisfaction (the
    survey records no respondent). -#}
select
    response_id,
    survey_wave,
    survey_date,
    answer,
    is_feeling_safe,
    satisfaction,
    is_satisfied,
    district_code as jurisdiction_code,
    police_station_code,
    batch_id
from {{ ref('stg_public_safety__survey_responses') }}
where survey_date is not null
