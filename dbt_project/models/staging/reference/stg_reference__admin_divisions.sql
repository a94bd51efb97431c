{#- The newest snapshot of the division registry. -#}
with source as (
    select * from {{ source('reference', 'admin_divisions') }}
),

newest as (
    select max(_watermark_at) as snapshot_at from source
)

select
    trim(division_code) as division_code,
    trim(name) as division_name,
    lower(trim(level)) as division_level,
    nullif(trim(parent_code), '') as parent_code,
    source._watermark_at as snapshot_at
from source
inner join newest on source._watermark_at = newest.snapshot_at
