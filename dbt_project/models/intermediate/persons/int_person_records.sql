{#- Every person record of every source in one documented column set, standardised for matching.

    Adding a source is one CTE in `documented` below giving exactly these columns (any may be NULL):
      source, record_id, full_name, id_number, phone, birth_date (text), gender (text), address  -- matched on
      seen_at (timestamp, UTC), jurisdiction_code (6-digit district), id_token, phone_token      -- carried along
    then one more `union all`. Sources: hotel guests; rental landlords and tenants; parcel senders and recipients;
    second-hand / scrap sellers (trade). With var er_person_input=true the model reads the same columns from the
    er_link.person_records source instead (`huitong er link`). With var er_incremental (`er link --state`) a build
    adds only the records the table does not hold yet, as a new er_batch (macros/er/er_batches.sql). -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='append') }}
{#- The fields the comparisons read (the pinyin keys, name frequency and ID validity follow from them): records
    equal on all of them are one profile, compared once (profile_record_key; int_persons_blocked). -#}
{%- set profile = ['std_full_name', 'std_id_number', 'std_phone', 'birth_date', 'gender', 'std_address'] %}
with
{%- if var('er_person_input', false) %}
documented as (
    select
        cast(source as varchar) as source, cast(record_id as varchar) as record_id,
        cast(full_name as varchar) as full_name, cast(id_number as varchar) as id_number,
        cast(phone as varchar) as phone, cast(birth_date as varchar) as birth_date,
        cast(gender as varchar) as gender, cast(address as varchar) as address,
        cast(null as timestamp) as seen_at, cast(null as varchar) as jurisdiction_code,
        cast(null as varchar) as id_token, cast(null as varchar) as phone_token
    from {{ source('er_link', 'person_records') }}
),
{%- else %}
hotel_guests as (
    select
        'hotel' as source, registration_id as record_id, guest_name as full_name, id_number, phone,
        birth_date_text as birth_date, gender, address,
        -- a broken check-in time falls back to when the hotel sent the record, so ordering never sees NULL
        {{ to_utc('coalesce(checkin_at, source_updated_at)') }} as seen_at, district_code as jurisdiction_code,
        guest_id_token as id_token, guest_phone_token as phone_token
    from {{ ref('stg_hotel__registrations') }}
),

-- Rental: the housing system keeps no birth date, gender or tenant home address (the rented house is where the
-- tenant lives now, not a stated identity field). The jurisdiction is the district of the (latest) contract.
rental_contracts as (
    select contract_id, landlord_id, district_code, created_at from {{ ref('stg_rental__contracts') }}
),

landlord_districts as (
    select landlord_id, max_by(district_code, created_at) as district_code from rental_contracts group by landlord_id
),

rental_landlords as (
    select
        'rental' as source, l.landlord_id as record_id, l.landlord_name as full_name, l.id_number, l.phone,
        cast(null as varchar) as birth_date, cast(null as varchar) as gender, l.address,
        {{ to_utc('coalesce(l.created_at, l.source_updated_at)') }} as seen_at,
        ld.district_code as jurisdiction_code, l.landlord_id_token as id_token, l.phone_token
    from {{ ref('stg_rental__landlords') }} as l
    left join landlord_districts as ld on ld.landlord_id = l.landlord_id
),

rental_tenants as (
    select
        'rental' as source, t.tenant_id as record_id, t.tenant_name as full_name, t.id_number, t.phone,
        cast(null as varchar) as birth_date, cast(null as varchar) as gender, cast(null as varchar) as address,
        {{ to_utc('coalesce(t.created_at, t.source_updated_at)') }} as seen_at, c.district_code as jurisdiction_code,
        t.tenant_id_token as id_token, t.phone_token
    from {{ ref('stg_rental__tenants') }} as t
    left join rental_contracts as c on c.contract_id = t.contract_id
),

-- Parcel and trade records are collected at a business counter: the jurisdiction is the registered district of
-- the outlet or shop.
registry as (
    select business_code, district_code from {{ ref('stg_reference__key_businesses') }}
),

-- A waybill holds two people: record_id is `<waybill_no>:sender` / `:recipient` (unique within the source; `huitong
-- er evaluate` keys the truth's parcel rows the same way).
parcel_senders as (
    select
        'parcel' as source, w.waybill_no || ':sender' as record_id, w.sender_name as full_name,
        w.sender_id_number as id_number, w.sender_phone as phone,
        cast(null as varchar) as birth_date, cast(null as varchar) as gender, cast(null as varchar) as address,
        {{ to_utc('coalesce(w.event_at, w.source_updated_at)') }} as seen_at, b.district_code as jurisdiction_code,
        w.sender_id_token as id_token, w.sender_phone_token as phone_token
    from {{ ref('stg_parcel__waybills') }} as w
    left join registry as b on b.business_code = w.outlet_code
),

-- Recipients carry no ID: name, phone and the delivery address only.
parcel_recipients as (
    select
        'parcel' as source, w.waybill_no || ':recipient' as record_id, w.recipient_name as full_name,
        cast(null as varchar) as id_number, w.recipient_phone as phone,
        cast(null as varchar) as birth_date, cast(null as varchar) as gender, w.recipient_address as address,
        {{ to_utc('coalesce(w.event_at, w.source_updated_at)') }} as seen_at, b.district_code as jurisdiction_code,
        cast(null as varchar) as id_token, w.recipient_phone_token as phone_token
    from {{ ref('stg_parcel__waybills') }} as w
    left join registry as b on b.business_code = w.outlet_code
),

trade_sellers as (
    select
        'trade' as source, t.trade_id as record_id, t.seller_name as full_name, t.seller_id_number as id_number,
        t.seller_phone as phone, cast(null as varchar) as birth_date, cast(null as varchar) as gender,
        cast(null as varchar) as address,
        {{ to_utc('coalesce(t.trade_at, t.source_updated_at)') }} as seen_at, b.district_code as jurisdiction_code,
        t.seller_id_token as id_token, t.seller_phone_token as phone_token
    from {{ ref('stg_trade__trades') }} as t
    left join registry as b on b.business_code = t.shop_code
),

documented as (
    select * from hotel_guests
    union all select * from rental_landlords
    union all select * from rental_tenants
    union all select * from parcel_senders
    union all select * from parcel_recipients
    union all select * from trade_sellers
),
{%- endif %}

incoming as (
    select d.source || ':' || d.record_id as record_key, d.*
    from documented as d
    {%- if er_batch_run() %}
    -- not exists, not `not in`: DuckDB builds the hash table of a `not in` over the whole base (0.05-0.09 s at 1M),
    -- of an anti join over the batch (0.015 s)
    where d.source || ':' || d.record_id is not null
      and not exists (select 1 from {{ this }} as t where t.record_key = d.source || ':' || d.record_id)
    {%- endif %}
),

-- The costliest standardisers are functions of one raw column each: they run once per distinct value (a regular
-- guest's name, ID and address recur on every stay: of the bench city's first 1M person records 28% of names, 46%
-- of IDs and 41% of addresses are distinct, of its first 5M 9-22%) and join back null-safely, so NULL maps as the
-- function maps it.
std_names as (
    {{ er_per_distinct('incoming', 'full_name', er_name_std('v.full_name'), 'std_full_name', lookup=true) }}
),

std_ids as (
    select
        r.*,
        {{ er_resident_id_valid('r.id18') }} as id_valid,
        {{ er_resident_id_birth_date('r.id18') }} as id_birth_date,
        {{ er_resident_id_gender('r.id18') }} as id_gender
    from (
        select
            v.id_number,
            {{ er_resident_id18('v.id_number') }} as id18,
            {{ er_resident_id_upgraded('v.id_number') }} as id_upgraded,
            nullif(upper({{ er_regexp_replace(er_clean_basic('v.id_number'), er_pattern__id_junk(), "''") }}), '') as id_other
        from (select distinct id_number from incoming) as v
    ) as r
),

std_birth_dates as (
    {{ er_per_distinct('incoming', 'birth_date', er_date('v.birth_date'), 'birth_date_stated') }}
),

std_addresses as (
    {{ er_per_distinct('incoming', 'address', er_address_std('v.address'), 'std_address', lookup=true) }}
),

cleaned as (
    select
        d.record_key, d.source, d.record_id, d.seen_at, d.jurisdiction_code, d.id_token, d.phone_token,
        d.full_name, n.std_full_name,
        i.id18, i.id_upgraded, i.id_other, i.id_valid, i.id_birth_date, i.id_gender,
        {{ er_phone('d.phone') }} as std_phone,
        b.birth_date_stated,
        {{ er_gender('d.gender') }} as gender_stated,
        a.std_address
    from incoming as d
    left join std_names as n on n.full_name is not distinct from d.full_name
    left join std_ids as i on i.id_number is not distinct from d.id_number
    left join std_birth_dates as b on b.birth_date is not distinct from d.birth_date
    left join std_addresses as a on a.address is not distinct from d.address
),

-- Per distinct name (NULL too): its records, for the name frequency (a group-by, not a window over the whole
-- batch), and its pinyin keys, the costliest expressions, both from one mapping of the characters.
name_counts as (
    select std_full_name, count(*) as records from cleaned group by std_full_name
),

name_spelled as (
    select n.std_full_name, n.records, {{ er_name_pinyin_spaced('n.std_full_name') }} as pinyin_spaced
    from name_counts as n
    cross join {{ er_char_lookup() }} as er_lkp
),

names as (
    select
        std_full_name, records,
        {{ er_pinyin_key_ordered_of_spaced('pinyin_spaced') }} as name_pinyin,
        {{ er_pinyin_key_sorted_of_spaced('pinyin_spaced') }} as name_pinyin_sorted
    from name_spelled
){%- if er_batch_run() %},

-- The base's records with the names of this batch, for the batch's name frequencies.
base_names as (
    select std_full_name, count(*) as records from {{ this }}
    where std_full_name in (select std_full_name from cleaned)
    group by std_full_name
)
{%- endif %},

standardised as (
    select
        i.record_key, i.source, i.record_id, i.seen_at, i.jurisdiction_code, i.id_token, i.phone_token,
        i.full_name, i.std_full_name, k.name_pinyin, k.name_pinyin_sorted,
        -- One comparable identity number: the 18-character resident ID when the text is one, else the cleaned text
        -- (passports, permits, mistyped IDs of other lengths).
        coalesce(i.id18, i.id_other) as std_id_number,
        i.id_valid as resident_id_valid,
        i.id_upgraded as resident_id_upgraded,
        i.std_phone,
        substr(i.std_phone, 1, 7) as phone_prefix,
        -- Stated values first; a valid resident ID fills the gaps.
        coalesce(i.birth_date_stated, case when i.id_valid then i.id_birth_date end) as birth_date,
        coalesce(i.gender_stated, case when i.id_valid then i.id_gender end) as gender,
        i.std_address,
        -- Share of records with this name, for the term-frequency adjustment of name matches.
        {%- if er_batch_run() %}
        cast(k.records + coalesce(b.records, 0) as double)
            / ((select count(*) from cleaned) + (select count(*) from {{ this }})) as name_frequency,
        (select coalesce(max(er_batch), 0) + 1 from {{ this }}) as er_batch
        {%- else %}
        cast(k.records as double) / (select count(*) from cleaned) as name_frequency,
        1 as er_batch
        {%- endif %}
    from cleaned as i
    left join names as k on k.std_full_name is not distinct from i.std_full_name
{%- if er_batch_run() %}
    left join base_names as b on b.std_full_name = i.std_full_name
{%- endif %}
){%- if er_batch_run() %},

-- The base's profiles this batch repeats, each with the record that stands for it.
base_profiles as (
    select {% for c in profile %}t.{{ c }}, {% endfor %}min(t.profile_record_key) as profile_record_key
    from {{ this }} as t
    inner join (select distinct {{ profile | join(', ') }} from standardised) as s
        on {% for c in profile %}s.{{ c }} is not distinct from t.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
    group by {% for c in profile %}t.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
)
{%- endif %}

select
    s.*,
    {%- if er_batch_run() %}
    coalesce(
        b.profile_record_key,
        min(s.record_key) over (partition by {% for c in profile %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
    ) as profile_record_key
    {%- else %}
    min(s.record_key) over (partition by {% for c in profile %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %}) as profile_record_key
    {%- endif %}
from standardised as s
{%- if er_batch_run() %}
left join base_profiles as b on {% for c in profile %}b.{{ c }} is not distinct from s.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
{%- endif %}

