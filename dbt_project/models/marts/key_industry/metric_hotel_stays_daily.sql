{#- 每日旅馆住宿 Hotel stays per district per day. A guest without a resident-ID token counts once per stay. -#}
with stays as (
    select * from {{ ref('fct_hotel_stays') }}
),

districts as (
    select jurisdiction_code, jurisdiction_name
    from {{ ref('dim_jurisdiction') }}
    where jurisdiction_level = 'district'
)

select
    stays.stay_date,
    stays.district_code,
    stays.district_code as jurisdiction_code,
    coalesce(districts.jurisdiction_name, '未知 unknown') as district_name,
    count(*) as stays,
    count(distinct coalesce(stays.guest_id_token, stays.registration_id)) as guests
from stays
left join districts on districts.jurisdiction_code = stays.district_code
group by stays.stay_date, stays.district_code, coalesce(districts.jurisdiction_name, '未知 unknown')
