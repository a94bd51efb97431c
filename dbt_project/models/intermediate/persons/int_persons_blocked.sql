{#- Candidate pairs: two records are compared only when a blocking rule puts them together.

    Each rule is a key; records sharing a key form a block. Blocks are not fully paired: within a block, ordered by
    record_key, each record is paired with the next `er_block_window` records (a sorted neighbourhood). A block of n
    records gives at most n * window pairs, so a common name or a shared switchboard phone cannot explode the pair
    count, and a frequent guest's hundreds of stays still form one connected chain. Rules overlap on purpose:
    a pair missed by one (typo in the ID, missing phone) is caught by another.
    Records of one profile (equal on every compared field, int_person_records.profile_record_key) compare alike
    with every other record: only the profile's first record enters the blocks, and each of the others is paired
    with it alone (rule same_profile). A profile of k records costs k - 1 pairs instead of up to 20 k per rule, so
    a frequent guest's stays no longer crowd others out of the window.
    A batch build (var er_incremental) ranks again only the blocks the batch's new profiles' keys fall in and adds
    their pairs with a new profile on either side, and pairs a batch record of a profile the base holds with that
    profile's first record (macros/er/er_batches.sql). -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='append') }}
{%- set window = var('er_block_window', 20) -%}
{%- set rules = [
    ('id_number', ['std_id_number']),
    ('phone', ['std_phone']),
    ('pinyin_birth_year', ['name_pinyin', 'cast(year(birth_date) as varchar)']),
    ('pinyin_sorted_birth_year', ['name_pinyin_sorted', 'cast(year(birth_date) as varchar)']),
    ('name_phone_prefix', ['std_full_name', 'phone_prefix']),
    ('name_address', ['std_full_name', 'std_address']),
] -%}
{%- set batch_run = er_batch_run() %}
-- The keys' fields only: DuckDB materialises a CTE read more than once with every column it selects.
with records as (
    select
        record_key, profile_record_key, er_batch, std_id_number, std_phone, name_pinyin, name_pinyin_sorted,
        birth_date, std_full_name, phone_prefix, std_address
    from {{ ref('int_person_records') }}
    {%- if batch_run %}
    -- a batch reads the profiles' first records (the blocks) and its own records (same_profile)
    where record_key = profile_record_key or er_batch = {{ er_current_batch() }}
    {%- endif %}
),
{%- if batch_run %}

batch as (
    select * from records where {{ er_pending_batch() }}
),

batch_profiles as (
    select * from batch where record_key = profile_record_key
),
{%- endif %}
{% for name, parts in rules %}
{%- set key = parts | join(" || '|' || ") %}
{%- set has_key %}{% for p in parts %}{{ p }} is not null{{ ' and ' if not loop.last }}{% endfor %}{% endset %}
block_{{ name }} as (
    select
        record_key,
        {{ key }} as block_key,
        row_number() over (partition by {{ parts | join(', ') }} order by record_key) as block_rank
        {%- if batch_run %},
        record_key in (select record_key from batch_profiles) as is_new
        {%- endif %}
    from records
    where record_key = profile_record_key and {{ has_key }}
    {%- if batch_run %}
      and {{ key }} in (select {{ key }} from batch_profiles where {{ has_key }})
    {%- endif %}
),

pairs_{{ name }} as (
    select a.record_key as record_key_l, b.record_key as record_key_r, '{{ name }}' as blocking_rule
    from block_{{ name }} as a
    inner join block_{{ name }} as b
        on a.block_key = b.block_key and b.block_rank > a.block_rank and b.block_rank <= a.block_rank + {{ window }}
    {%- if batch_run %}
    where a.is_new or b.is_new
    {%- endif %}
),
{% endfor %}
all_pairs as (
{%- for name, parts in rules %}
    select * from pairs_{{ name }}{{ ' union all' if not loop.last }}
{%- endfor %}
)

select
    record_key_l,
    record_key_r,
    min(blocking_rule) as blocking_rule,
    count(*) as blocking_rule_count,
    {{ er_current_batch() }} as er_batch
from all_pairs
group by record_key_l, record_key_r

union all

-- A profile's other records with its first one: no rule above pairs them (they enter no block), so no group-by.
select
    profile_record_key as record_key_l,
    record_key as record_key_r,
    'same_profile' as blocking_rule,
    1 as blocking_rule_count,
    {{ er_current_batch() }} as er_batch
from {{ 'batch' if batch_run else 'records' }}
where record_key <> profile_record_key
