{#- 采集时效 Per industry and district, as of the newest record any key-industry source delivered: registered
    businesses, those that reported in the last `freshness_days` days (default 7), the newest record date and how
    many days it lags the as-of date. A source that stopped delivering shows as a growing lag. -#}
{%- set days = var('freshness_days', 7) -%}
with registry as (
    select * from {{ ref('stg_reference__key_businesses') }}
),

records as (
    select * from {{ ref('int_industry_collection_records') }}
),

as_of as (
    select max(record_date) as as_of_date from records
),

last_record as (
    select business_code, max(record_date) as last_record_date
    from records
    where business_code is not null
    group by business_code
)

select
    b.industry,
    b.district_code as jurisdiction_code,
    j.jurisdiction_name,
    a.as_of_date,
    cast(count(*) as bigint) as registered_businesses,
    cast(sum(case when l.last_record_date > {{ add_days('a.as_of_date', -days) }} then 1 else 0 end) as bigint)
        as reported_recently,
    {{ safe_ratio('sum(case when l.last_record_date > ' ~ add_days('a.as_of_date', -days) ~ ' then 1 else 0 end)', 'count(*)') }}
        as recent_coverage,
    max(l.last_record_date) as newest_record_date,
    date_diff('day', max(l.last_record_date), a.as_of_date) as days_behind
from registry as b
cross join as_of as a
left join last_record as l on l.business_code = b.business_code
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = b.district_code
group by b.industry, b.district_code, j.jurisdiction_name, a.as_of_date
