{#- Record -> entity. Clustering that one bad link cannot chain:

    1. A valid 18-character resident ID (check character and birth date right) anchors an entity: records with the
       same valid ID are one person, records with different valid IDs never are (those edges are dropped).
    2. A record without a valid ID (missing, mistyped, passport, permit) joins the ONE anchored entity it links to
       most strongly (highest match_weight above the threshold), never two: it cannot bridge two ID holders.
    3. Records linked to no anchored entity form components among themselves by label propagation (each record
       takes the smallest record_key among its neighbours, `er_label_iterations` rounds unrolled, portable SQL;
       label_unconverged marks a record one more round would relabel, and `er link` builds again with more rounds;
       the singular test person_components_converged fails if that was not enough).
    4. A component of rule 3 that links to records attached by rule 2 joins the ONE anchored entity of its strongest
       such link (link_kind `attached_component`): a parcel recipient (no ID) linked only to the same person's
       recipient records, one of which links to an ID holder's record. Like rule 2, never two: it cannot bridge two
       ID holders. Without it, new evidence that attaches one member of a component would split the rest off.

    entity_id here is the cluster's PROPOSED id, the hash of its first-seen record (seen_at, then record_key); the
    id a record has is the persisted map's (int_person_id_history -> int_person_entities), which keeps ids through
    late records, merges and splits and logs them (docs/er.md, Stable ids).

    A batch build (var er_incremental) clusters again only the records of the clusters that the batch's links or
    its records' valid resident IDs reach, with the new records, and replaces those rows (macros/er/er_batches.sql):
    every rule above decides a record from its own links and its cluster's, so the clusters no new link reaches
    keep the assignment a full build would give them. -#}
{{ config(materialized=er_batch_materialization(), incremental_strategy='delete+insert', unique_key='record_key') }}
{%- set iterations = var('er_label_iterations', 6) -%}
{%- set batch_run = er_batch_run() -%}
{%- set linked = "match_probability >= " ~ var('er_person_threshold', 0.99) ~ " and not coalesce(resident_id_conflict, false)" %}
with
{%- if batch_run %}
batch as (
    select record_key, std_id_number, resident_id_valid
    from {{ ref('int_person_records') }}
    where {{ er_pending_batch() }}
),

touched as (
    select record_key_l as record_key from {{ ref('int_persons_scored') }}
    where {{ er_pending_batch() }} and {{ linked }}
    union
    select record_key_r from {{ ref('int_persons_scored') }}
    where {{ er_pending_batch() }} and {{ linked }}
    union
    -- a base record with the valid resident ID of a new one: the same anchored entity
    select r.record_key from {{ ref('int_person_records') }} as r
    inner join batch as b on b.std_id_number = r.std_id_number
    where r.resident_id_valid and b.resident_id_valid
),

affected as (
    select record_key from {{ this }}
    where first_record_key in (
        select c.first_record_key from {{ this }} as c inner join touched as t on t.record_key = c.record_key
    )
    union
    select record_key from batch
),
{%- endif %}

records as (
    select record_key, source, record_id, seen_at, std_id_number, resident_id_valid
    from {{ ref('int_person_records') }}
    {%- if batch_run %}
    where record_key in (select record_key from affected)
    {%- endif %}
),

unanchored as (
    select record_key from records where not coalesce(resident_id_valid, false)
),

-- Every rule below reads a link from a record without a valid resident ID; a link between two anchored records
-- (most of them: same ID, or different IDs and dropped) decides nothing.
links as (
    select record_key_l, record_key_r, match_weight
    from {{ ref('int_persons_scored') }}
    where {{ linked }}
      and (record_key_l in (select record_key from unanchored) or record_key_r in (select record_key from unanchored))
    {%- if batch_run %}
      and record_key_l in (select record_key from affected) and record_key_r in (select record_key from affected)
    {%- endif %}
),

edges as (
    select record_key_l as a, record_key_r as b, match_weight from links
    union all
    select record_key_r as a, record_key_l as b, match_weight from links
),

anchored as (
    select record_key, 'id|' || std_id_number as cluster_key from records where resident_id_valid
),

attached as (
    select record_key, cluster_key, match_weight from (
        select
            e.a as record_key, an.cluster_key, e.match_weight,
            row_number() over (partition by e.a order by e.match_weight desc, an.cluster_key) as pick
        from edges as e
        inner join anchored as an on an.record_key = e.b
        where e.a not in (select record_key from anchored)
    ) as ranked
    where pick = 1
),

loose as (
    select r.record_key from records as r
    where r.record_key not in (select record_key from anchored)
      and r.record_key not in (select record_key from attached)
),

loose_edges as (
    select e.a, e.b from edges as e
    inner join loose as la on la.record_key = e.a
    inner join loose as lb on lb.record_key = e.b
),

{#- one round more than used: a record whose label it would change sits in a component that had not converged
    (label_unconverged; `er link` then builds again with more rounds) -#}
{{ er_label_propagation('loose', 'loose_edges', iterations + 1) }}
component_attached as (
    select label, cluster_key from (
        select
            l.label, att.cluster_key,
            row_number() over (partition by l.label order by e.match_weight desc, att.cluster_key) as pick
        from label_{{ iterations }} as l
        inner join edges as e on e.a = l.record_key
        inner join attached as att on att.record_key = e.b
    ) as ranked
    where pick = 1
),

assigned as (
    select record_key, cluster_key, 'resident_id' as link_kind, false as label_unconverged from anchored
    union all
    select record_key, cluster_key, 'attached' as link_kind, false as label_unconverged from attached
    union all
    select
        l.record_key, coalesce(ca.cluster_key, 'rec|' || l.label) as cluster_key,
        case
            when ca.cluster_key is not null then 'attached_component'
            when l.label = l.record_key then 'root'
            else 'linked'
        end as link_kind,
        l.label <> nxt.label as label_unconverged
    from label_{{ iterations }} as l
    inner join label_{{ iterations + 1 }} as nxt on nxt.record_key = l.record_key
    left join component_attached as ca on ca.label = l.label
),

clustered as (
    select
        r.record_key, r.source, r.record_id, r.seen_at, a.cluster_key, a.link_kind, a.label_unconverged,
        first_value(r.record_key) over (
            partition by a.cluster_key order by r.seen_at nulls last, r.record_key
            rows between unbounded preceding and unbounded following) as first_record_key,
        count(*) over (partition by a.cluster_key) as cluster_size
    from records as r
    inner join assigned as a on a.record_key = r.record_key
)

select
    record_key, source, record_id, seen_at, link_kind, cluster_size, first_record_key, label_unconverged,
    'P' || substr({{ er_md5_hex("'person|' || first_record_key") }}, 1, 15) as entity_id,
    {{ er_current_batch() }} as er_batch
from clustered
