{#- Record -> standard address (address_id). Clerks drop the district and the town, so one address is written
    with its full division prefix, with the town only, or with none; the part after the division (road, number,
    building, unit, room; or village, group, number) is the same once standardised. Rule:
      - forms: distinct (division, rest). A form is *complete* when no other form with the same rest has a longer
        division ending with its division (湾清区镇堡街道 completes 镇堡街道 and '');
      - a complete form is an address; an incomplete form joins the ONE complete form it abbreviates, and when two
        or more could be meant (the same road and number in two towns) it stays an address of its own rather than
        guess.
    address_id = 'A' + md5('address|' + division + '|' + rest of the complete form)[1:15]: records arriving later in
    a form already seen keep the id; an address first seen abbreviated changes id once its complete form arrives. -#}
with records as (
    select * from {{ ref('int_address_records') }}
),

forms as (
    select distinct division, address_rest from records
),

completions as (
    select a.division, a.address_rest, b.division as completed_by
    from forms as a
    inner join forms as b
        on b.address_rest = a.address_rest
       and length(b.division) > length(a.division)
       and substr(b.division, length(b.division) - length(a.division) + 1) = a.division
),

complete as (
    select f.division, f.address_rest
    from forms as f
    left join completions as c on c.division = f.division and c.address_rest = f.address_rest
    where c.completed_by is null
),

-- an incomplete form and the complete forms it may abbreviate; kept only when there is exactly one
resolved as (
    select c.division, c.address_rest, min(k.division) as complete_division
    from completions as c
    inner join complete as k
        on k.address_rest = c.address_rest and k.division = c.completed_by
    group by c.division, c.address_rest
    having count(*) = 1
),

assigned as (
    select
        r.record_key, r.source, r.record_id, r.seen_at, r.address_std, r.division, r.address_rest,
        coalesce(x.complete_division, r.division) as complete_division,
        case when x.complete_division is not null then 'abbreviated'
             when c.division is not null then 'ambiguous' else 'complete' end as link_kind
    from records as r
    left join resolved as x on x.division = r.division and x.address_rest = r.address_rest
    left join (select distinct division, address_rest from completions) as c
        on c.division = r.division and c.address_rest = r.address_rest and x.complete_division is null
)

select
    record_key, source, record_id, seen_at, address_std, link_kind,
    complete_division || address_rest as standard_form,
    'A' || substr({{ er_md5_hex("'address|' || complete_division || '|' || address_rest") }}, 1, 15) as address_id
from assigned
