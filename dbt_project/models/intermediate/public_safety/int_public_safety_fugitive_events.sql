{#- 追逃 Fugitive registrations (上网) and catches (抓获) counted per day and district: the only shape in which
    fugitive records leave staging. A period's wanted count follows from these (registered before its end minus
    caught before its start), so the marts never hold a record, let alone a list of who is at large. -#}
with fugitives as (
    select * from {{ ref('stg_public_safety__fugitives') }}
)

select registered_date as event_date, district_code as jurisdiction_code, 'registered' as event, count(*) as events
from fugitives
where registered_date is not null
group by registered_date, district_code

union all

select caught_date as event_date, district_code as jurisdiction_code, 'caught' as event, count(*) as events
from fugitives
where is_caught and caught_date is not null and registered_date is not null
group by caught_date, district_code
