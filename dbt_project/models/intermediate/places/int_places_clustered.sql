{#- Record -> business entity (place_id). The register (key_businesses) anchors: each entry is one entity, and a
    record joins the entry that shares, in this order,
      1. its business code (the register's code, which every source system carries when it carries one),
      2. else its USCC, when the check character is valid and exactly one entry has it,
      3. else its name core (no brackets, legal form or trade suffix) in the same district, when exactly one
         entry has them.
    A record that joins no entry is an unregistered business, keyed by its code, else its valid USCC, else name
    core + district (a record with none of them is its own entity). Rules, not weights: the identifiers are strong, and a rule cannot chain two entries together
    (a record joins one entry at most). Resolution runs on distinct identity tuples (a hotel's thousands of
    registrations share one), then every record takes its tuple's entity.

    place_id = 'B' + md5('place|' + key)[1:15], the key being 'code|<business code>' for register entries, so a
    new record never renumbers an entity. -#}
with records as (
    select * from {{ ref('int_place_records') }}
),

tuples as (
    select distinct business_code, std_uscc, uscc_valid, name_core, std_district_code, source = 'reference' as is_register
    from records
),

register as (
    select distinct business_code, std_uscc, uscc_valid, name_core, std_district_code
    from tuples where is_register and business_code is not null
),

register_by_uscc as (
    select std_uscc, min(business_code) as business_code
    from register where uscc_valid group by std_uscc having count(distinct business_code) = 1
),

register_by_name as (
    select name_core, std_district_code, min(business_code) as business_code
    from register where name_core is not null and std_district_code is not null
    group by name_core, std_district_code having count(distinct business_code) = 1
),

resolved as (
    select
        t.business_code, t.std_uscc, t.uscc_valid, t.name_core, t.std_district_code,
        case
            when rc.business_code is not null then 'code|' || rc.business_code
            when ru.business_code is not null then 'code|' || ru.business_code
            when rn.business_code is not null then 'code|' || rn.business_code
            when t.business_code is not null then 'code|' || t.business_code
            when t.uscc_valid then 'uscc|' || t.std_uscc
            when t.name_core is not null then 'name|' || t.name_core || '|' || coalesce(t.std_district_code, '')
        end as entity_key,
        case
            when rc.business_code is not null then 'register_code'
            when ru.business_code is not null then 'register_uscc'
            when rn.business_code is not null then 'register_name'
            else 'unregistered'
        end as link_kind
    from (select distinct business_code, std_uscc, uscc_valid, name_core, std_district_code from tuples) as t
    left join (select distinct business_code from register) as rc on rc.business_code = t.business_code
    left join register_by_uscc as ru on t.uscc_valid and ru.std_uscc = t.std_uscc
    left join register_by_name as rn on rn.name_core = t.name_core and rn.std_district_code = t.std_district_code
)

select
    r.record_key, r.source, r.record_id, r.industry, r.seen_at, r.business_code, r.std_uscc, r.uscc_valid,
    r.name_std, r.name_core, r.std_district_code, r.std_address,
    x.link_kind, coalesce(x.entity_key, 'record|' || r.record_key) as entity_key,
    'B' || substr({{ er_md5_hex("'place|' || coalesce(x.entity_key, 'record|' || r.record_key)") }}, 1, 15) as place_id
from records as r
inner join resolved as x
    on x.business_code is not distinct from r.business_code
   and x.std_uscc is not distinct from r.std_uscc
   and x.uscc_valid = r.uscc_valid
   and x.name_core is not distinct from r.name_core
   and x.std_district_code is not distinct from r.std_district_code
