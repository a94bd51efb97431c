{#- 房屋租赁 One row per live rental contract (soft-deleted ones are gone). Landlords appear only as the housing
    system's id; the house address is not carried into the mart. -#}
select
    contract_id,
    landlord_id,
    agency_code,
    agency_uscc,
    via_agency,
    start_date,
    end_date,
    monthly_rent_yuan,
    {{ to_utc('created_at') }} as created_at_utc,
    {{ local_date('created_at') }} as created_date,
    district_code as jurisdiction_code,
    police_station_code,
    batch_id
from {{ ref('stg_rental__contracts') }}
