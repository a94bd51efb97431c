{#- 重点行业采集覆盖率 Per month, industry and district: the registered key-industry businesses (hotels, logistics
    outlets, second-hand shops, scrap stations, rental agencies) and how many reported at least one record that month.
    Months are those in which any source reported anything; a registered business that sent nothing counts in the
    denominator. The registry is its newest snapshot (it keeps no history): a business registered this month counts
    in earlier months too. -#}
with registry as (
    select * from {{ ref('stg_reference__key_businesses') }}
),

records as (
    select * from {{ ref('int_industry_collection_records') }}
),

months as (
    select distinct {{ month_start('record_date') }} as month_start from records
),

reported as (
    select
        {{ month_start('record_date') }} as month_start,
        business_code,
        cast(count(*) as bigint) as records
    from records
    where business_code is not null
    group by {{ month_start('record_date') }}, business_code
)

select
    m.month_start,
    b.industry,
    b.district_code as jurisdiction_code,
    j.jurisdiction_name,
    cast(count(*) as bigint) as registered_businesses,
    cast(count(r.business_code) as bigint) as reporting_businesses,
    {{ safe_ratio('count(r.business_code)', 'count(*)') }} as coverage,
    cast(coalesce(sum(r.records), 0) as bigint) as records
from months as m
cross join registry as b
left join reported as r on r.month_start = m.month_start and r.business_code = b.business_code
left join {{ ref('dim_jurisdiction') }} as j on j.jurisdiction_code = b.district_code
group by m.month_start, b.industry, b.district_code, j.jurisdiction_name
