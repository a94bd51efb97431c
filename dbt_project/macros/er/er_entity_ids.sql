{#- Persisted entity ids: the id map of an entity type as an append-only history, and merges / splits as rows of it.

    A clustering model proposes a cluster per record (cluster_column: the cluster's first record, so the key is
    stable while the cluster is) and an id for it (proposed_column: a hash of that record). The history model
    (incremental, append) holds one row per record and change of id; a record's id is its latest row.

    In each run, an id of the map stays with ONE new cluster: the one holding most of its records (ties: the one
    whose proposed id it is, i.e. that holds the record it was named after; then cluster key). A cluster keeping
    several ids keeps the oldest (first assigned; ties: the one named after the cluster's first record, as before
    the map; then most records; then the id) - the others were merged into it. A cluster keeping none takes its
    proposed id, or, if that id was ever given to another entity (a split whose larger part kept the id), a hash
    of its key and the run number. So new records join existing entities without renumbering them, and late
    records that sort first in a cluster do not rename it.

    change_kind per appended row: new (a new record, new entity), joined (a new record, existing entity), merged
    (the record's old id is no longer held by anyone: its entity merged into an existing one), moved (the old id
    lives on, the record went to another existing entity), split (the record went to a new entity split off its old
    one). Unchanged records append nothing. -#}

{%- macro er_incremental() -%}
    {#- Offline compiles (no server) render the incremental branch, the one that reads the map, so its SQL is
        checked too; a real run asks dbt. -#}
    {{ return(var('offline_compile', false) or is_incremental()) }}
{%- endmacro -%}

{%- macro er_id_history(clustered, key_column, cluster_column, proposed_column, prefix, entity, part=false) -%}
{#- part: `clustered` holds only some clusters, each a whole entity (a batch run, macros/er/er_batches.sql): the
    history is read for their records and ids only, which gives the same answer as reading all of it. -#}
with clusters as (
    select {{ key_column }} as record_key, {{ cluster_column }} as cluster_key, {{ proposed_column }} as proposed_id
    from {{ clustered }}
),
{%- if er_incremental() %}

run as (
    select coalesce(max(run_seq), 0) + 1 as run_seq from {{ this }}
),
{%- if part %}

latest as (
    {{ er_latest_ids('(select record_key, entity_id, run_seq from ' ~ this ~ ' where record_key in (select record_key from clusters))') }}
),

history as (
    select record_key, entity_id, run_seq from {{ this }}
    where entity_id in (select entity_id from latest union select proposed_id from clusters)
),
{%- else %}

history as (
    select record_key, entity_id, run_seq from {{ this }}
),

latest as (
    {{ er_latest_ids('history') }}
),
{%- endif %}

previous as (
    select c.record_key, c.cluster_key, l.entity_id
    from clusters as c
    inner join latest as l on l.record_key = c.record_key
),

born as (
    select entity_id, min(run_seq) as first_run from history group by entity_id
),

proposed as (
    select distinct cluster_key, proposed_id from clusters
),

votes as (
    select
        p.entity_id, p.cluster_key, count(*) as records,
        max(case when pr.proposed_id = p.entity_id then 1 else 0 end) as holds_anchor
    from previous as p
    inner join proposed as pr on pr.cluster_key = p.cluster_key
    group by p.entity_id, p.cluster_key
),

kept_by as (
    select entity_id, cluster_key, records, holds_anchor from (
        select
            v.*,
            row_number() over (partition by entity_id order by records desc, holds_anchor desc, cluster_key) as pick
        from votes as v
    ) as ranked
    where pick = 1
),

cluster_ids as (
    select cluster_key, entity_id from (
        select
            k.cluster_key, k.entity_id,
            row_number() over (
                partition by k.cluster_key
                order by b.first_run, k.holds_anchor desc, k.records desc, k.entity_id) as pick
        from kept_by as k
        inner join born as b on b.entity_id = k.entity_id
    ) as ranked
    where pick = 1
),

fresh_ids as (
    select
        p.cluster_key,
        case
            when b.entity_id is null then p.proposed_id
            else '{{ prefix }}' || substr({{ er_md5_hex("'" ~ entity ~ "|' || p.cluster_key || '|' || cast(r.run_seq as varchar)") }}, 1, 15)
        end as entity_id
    from proposed as p
    cross join run as r
    left join born as b on b.entity_id = p.proposed_id
    where p.cluster_key not in (select cluster_key from cluster_ids)
),

assigned as (
    select c.record_key, coalesce(ci.entity_id, f.entity_id) as entity_id
    from clusters as c
    left join cluster_ids as ci on ci.cluster_key = c.cluster_key
    left join fresh_ids as f on f.cluster_key = c.cluster_key
),

changed as (
    select a.record_key, a.entity_id, l.entity_id as previous_entity_id
    from assigned as a
    left join latest as l on l.record_key = a.record_key
    where l.entity_id is null or l.entity_id <> a.entity_id
)

select
    ch.record_key,
    ch.entity_id,
    ch.previous_entity_id,
    case
        when ch.entity_id not in (select entity_id from previous)
            then case when ch.previous_entity_id is null then 'new' else 'split' end
        when ch.previous_entity_id is null then 'joined'
        when ch.previous_entity_id in (select entity_id from assigned) then 'moved'
        else 'merged'
    end as change_kind,
    r.run_seq,
    {{ er_run_started_at() }} as assigned_at,
    {{ er_invocation_id() }} as invocation_id
from changed as ch
cross join run as r
{%- else %}

assigned as (
    select record_key, proposed_id as entity_id from clusters
)

select
    record_key,
    entity_id,
    cast(null as varchar) as previous_entity_id,
    'new' as change_kind,
    1 as run_seq,
    {{ er_run_started_at() }} as assigned_at,
    {{ er_invocation_id() }} as invocation_id
from assigned
{%- endif %}
{%- endmacro -%}

{#- When and by which invocation a history row was written. With var er_batch_plan (DuckDB only) they are read from
    session variables instead of compiled in, so `er link --state` can run the same compiled SQL for every later
    batch (huitong.er.batch_plan sets them per batch). -#}
{%- macro er_batch_plan_on() -%}
{%- if var('er_batch_plan', false) and target.type != 'duckdb' -%}
{{ exceptions.raise_compiler_error("var er_batch_plan (huitong er link --state) reads DuckDB session variables; target " ~ target.name ~ " is " ~ target.type ~ ". Build without it there.") }}
{%- endif -%}
{{ return(var('er_batch_plan', false)) }}
{%- endmacro -%}

{%- macro er_run_started_at() -%}
{%- if er_batch_plan_on() -%}
cast(getvariable('er_run_started_at') as timestamp(6))
{%- else -%}
cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp(6))
{%- endif -%}
{%- endmacro -%}

{%- macro er_invocation_id() -%}
{%- if er_batch_plan_on() -%}
cast(getvariable('er_invocation_id') as varchar)
{%- else -%}
'{{ invocation_id }}'
{%- endif -%}
{%- endmacro -%}

{#- Each record's latest id, the current map: an aggregate (max_by on DuckDB and Trino alike), not a window, because
    a window over every record did not fit er link's memory limit at 5M records (DuckDB spills aggregates, not all
    windows). A record has one row per run_seq at most; retired rows (er_retire_departed) belong to no record. -#}
{%- macro er_latest_ids(history) -%}
select record_key, max_by(entity_id, run_seq) as entity_id from {{ history }} where record_key is not null
group by record_key
{%- endmacro -%}

{#- A record that has left every source (retention removed it, or the source deleted it) keeps no link in the id
    map: its history rows lose their record key and stay, anonymous, so the ids they name keep their age (a merge
    keeps the oldest) and are never given to another entity. A record that comes back counts as new. Run after a
    full build (the history model's post-hook). Only records of a source system `clustered` holds records of: a
    source that came out empty (a broken build, its bronze tables being reloaded) unlinks nothing. Record keys are
    '<source>:<record id>', so the guard is per source system, not per table (rental's landlords and tenants are
    one). Uncorrelated subqueries: Trino's UPDATE takes them (record_key is never NULL in
    `clustered`). -#}
{%- macro er_retire_departed(history, clustered) -%}
update {{ history }} set record_key = null
where record_key is not null
  and record_key not in (select record_key from {{ clustered }})
  and split_part(record_key, ':', 1) in (select distinct split_part(record_key, ':', 1) from {{ clustered }})
{%- endmacro -%}

{#- The merge / split log of an id history: per run and (old id, new id), the kind and how many records moved. -#}
{%- macro er_id_changes(history) -%}
select
    run_seq,
    min(assigned_at) as assigned_at,
    change_kind,
    previous_entity_id,
    entity_id,
    count(*) as records
from {{ history }}
where change_kind in ('merged', 'moved', 'split')
group by run_seq, change_kind, previous_entity_id, entity_id
{%- endmacro -%}

{#- Rows for a singular test: an id in two clusters, a cluster with two ids, or two rows of one record in one run
    (singular, not generic: `er link` copies the models without the project's tests). -#}
{%- macro er_id_map_problems(entities, clustered, history, id_column) -%}
{%- set one_to_one = [('id in two clusters', 'e.' ~ id_column, 'c.first_record_key'),
                      ('cluster with two ids', 'c.first_record_key', 'e.' ~ id_column)] -%}
{%- for problem, key, other in one_to_one %}
select '{{ problem }}' as problem, {{ key }} as key
from {{ entities }} as e
inner join {{ clustered }} as c on c.record_key = e.record_key
group by {{ key }}
having count(distinct {{ other }}) > 1
union all
{%- endfor %}
select 'two rows in one run' as problem, record_key as key
from {{ history }}
where record_key is not null
group by record_key, run_seq
having count(*) > 1
{%- endmacro -%}
