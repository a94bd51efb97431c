{#- The comparison levels of every candidate pair (twin of huitong.er.person_comparisons): id number, name, phone,
    birth date, gender, address, plus the pair's name frequency and whether two valid resident IDs conflict. No
    parameters: EM training reads these levels, and a retrained model rebuilds only int_persons_scored. Distances
    count characters on both engines (er_levenshtein). A batch build (var er_incremental) compares the batch's
    new pairs only. -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='append') }}
with pairs as (
    select * from {{ ref('int_persons_blocked') }}
    {%- if er_batch_run() %}
    where {{ er_pending_batch() }}
    {%- endif %}
),

-- The compared fields only: DuckDB materialises a CTE read twice with every column it selects.
records as (
    select
        record_key, std_id_number, resident_id_valid, std_full_name, name_pinyin, name_pinyin_sorted, name_frequency,
        std_phone, birth_date, gender, std_address
    from {{ ref('int_person_records') }}
)

select
    p.record_key_l, p.record_key_r, p.blocking_rule, p.er_batch,
    case when l.std_id_number is null or r.std_id_number is null then 'null'
         when l.std_id_number = r.std_id_number then 'exact'
         when length(l.std_id_number) = length(r.std_id_number)
              and {{ er_levenshtein('l.std_id_number', 'r.std_id_number') }} <= 2 then 'fuzzy'
         else 'different' end as id_number_level,
    case when l.std_full_name is null or r.std_full_name is null then 'null'
         when l.std_full_name = r.std_full_name then 'exact'
         when l.name_pinyin = r.name_pinyin or l.name_pinyin_sorted = r.name_pinyin_sorted then 'pinyin'
         when {{ er_levenshtein_similarity('l.std_full_name', 'r.std_full_name') }} >= {{ var('er_name_fuzzy_similarity', 0.66) }}
              or {{ er_levenshtein_similarity('l.name_pinyin', 'r.name_pinyin') }} >= {{ var('er_pinyin_fuzzy_similarity', 0.75) }}
            then 'fuzzy'
         else 'different' end as name_level,
    case when l.std_phone is null or r.std_phone is null then 'null'
         when l.std_phone = r.std_phone then 'exact'
         when length(l.std_phone) = length(r.std_phone)
              and {{ er_levenshtein('l.std_phone', 'r.std_phone') }} <= 1 then 'fuzzy'
         else 'different' end as phone_level,
    case when l.birth_date is null or r.birth_date is null then 'null'
         when l.birth_date = r.birth_date then 'exact'
         when {{ er_levenshtein('cast(l.birth_date as varchar)', 'cast(r.birth_date as varchar)') }} <= 1 then 'fuzzy'
         else 'different' end as birth_date_level,
    case when l.gender is null or r.gender is null then 'null'
         when l.gender = r.gender then 'exact'
         else 'different' end as gender_level,
    case when l.std_address is null or r.std_address is null then 'null'
         when l.std_address = r.std_address then 'exact'
         when {{ er_levenshtein_similarity('l.std_address', 'r.std_address') }} >= {{ var('er_address_fuzzy_similarity', 0.7) }} then 'fuzzy'
         else 'different' end as address_level,
    greatest(l.name_frequency, r.name_frequency) as name_frequency,
    l.resident_id_valid and r.resident_id_valid and l.std_id_number <> r.std_id_number as resident_id_conflict
from pairs as p
inner join records as l on l.record_key = p.record_key_l
inner join records as r on r.record_key = p.record_key_r
