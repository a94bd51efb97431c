{#- Every division with its district and town, so facts keyed at any level roll up the same way. -#}
with divisions as (
    select * from {{ ref('stg_reference__admin_divisions') }}
)

select
    d.division_code as jurisdiction_code,
    d.division_name as jurisdiction_name,
    d.division_level as jurisdiction_level,
    d.parent_code,
    district.division_code as district_code,
    district.division_name as district_name,
    town.division_code as town_code,
    town.division_name as town_name,
    d.division_level = 'village' as is_village
from divisions as d
left join divisions as district
    on district.division_level = 'district' and district.division_code = substr(d.division_code, 1, 6)
left join divisions as town
    on town.division_level = 'town' and town.division_code = substr(d.division_code, 1, 9)
