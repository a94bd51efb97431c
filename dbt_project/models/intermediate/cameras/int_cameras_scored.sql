{#- Candidate pairs of camera registrations and their Fellegi-Sunter weights.

    Blocking: the same village/community (civil code), or the same registering centre (first 8 digits of the
    GB/T 28181 code) and house number. A programme registers a physical camera once, so two registrations of the
    same programme are never compared. Levels per field (either side NULL: level `null`, weight 0):
      distance      within_10m / within_30m / within_100m / far     (metres on a local flat projection)
      road          exact / fuzzy (character similarity >= 0.6) / different
      house_number  exact / different
      centre        exact / different
    Weight of a level = log2(m/u) from int_camera_match_params; total = log2(lambda/(1-lambda)) + weights;
    match_probability = 1/(1+2^-total). Character similarity counts characters on DuckDB and Trino alike.
    is_kept_link: match_probability >= var er_camera_threshold (0.99) and, among all pairs (linked or not) of each end with the
    other end's programme, the strongest for both ends (mutual best). -#}
with records as (
    select * from {{ ref('int_camera_records') }}
),

params as (
    select field, level, m, u from {{ ref('int_camera_match_params') }}
),

candidates as (
    select a.record_key as record_key_l, b.record_key as record_key_r
    from records as a
    inner join records as b on b.civil_code = a.civil_code and b.record_key > a.record_key
    union
    select a.record_key as record_key_l, b.record_key as record_key_r
    from records as a
    inner join records as b
        on b.centre_code = a.centre_code and b.house_number = a.house_number and b.record_key > a.record_key
),

compared as (
    select
        c.record_key_l, c.record_key_r,
        l.programme as programme_l, r.programme as programme_r,
        l.device_code as device_code_l, r.device_code as device_code_r,
        l.name_std as name_l, r.name_std as name_r,
        111320.0e0 * sqrt(
            power((l.longitude - r.longitude) * cos(radians((l.latitude + r.latitude) / 2)), 2)
            + power(l.latitude - r.latitude, 2)
        ) as distance_m,
        case when l.road_name is null or r.road_name is null then null
             else {{ er_levenshtein_similarity('l.road_name', 'r.road_name') }} end as road_similarity,
        l.road_name as road_l, r.road_name as road_r,
        l.house_number as house_number_l, r.house_number as house_number_r,
        l.centre_code as centre_l, r.centre_code as centre_r
    from candidates as c
    inner join records as l on l.record_key = c.record_key_l
    inner join records as r on r.record_key = c.record_key_r
    where l.programme is null or r.programme is null or l.programme <> r.programme
),

levels as (
    select
        c.*,
        case when distance_m is null then 'null' when distance_m <= 10 then 'within_10m'
             when distance_m <= 30 then 'within_30m' when distance_m <= 100 then 'within_100m'
             else 'far' end as distance_level,
        case when road_similarity is null then 'null' when road_l = road_r then 'exact'
             when road_similarity >= 0.6 then 'fuzzy' else 'different' end as road_level,
        case when house_number_l is null or house_number_r is null then 'null'
             when house_number_l = house_number_r then 'exact' else 'different' end as house_number_level,
        case when centre_l is null or centre_r is null then 'null'
             when centre_l = centre_r then 'exact' else 'different' end as centre_level
    from compared as c
),

weighted as (
    select
        v.*,
        coalesce(log2(pd.m / pd.u), 0) as distance_weight,
        coalesce(log2(pr.m / pr.u), 0) as road_weight,
        coalesce(log2(pn.m / pn.u), 0) as house_number_weight,
        coalesce(log2(pc.m / pc.u), 0) as centre_weight,
        (select log2(m / u) from params where field = '_prior') as prior_weight
    from levels as v
    left join params as pd on pd.field = 'distance' and pd.level = v.distance_level
    left join params as pr on pr.field = 'road' and pr.level = v.road_level
    left join params as pn on pn.field = 'house_number' and pn.level = v.house_number_level
    left join params as pc on pc.field = 'centre' and pc.level = v.centre_level
),

scored as (
    select
        record_key_l || '~' || record_key_r as pair_key,
        *,
        prior_weight + distance_weight + road_weight + house_number_weight + centre_weight as match_weight
    from weighted
),

-- Anti-chaining (int_cameras_clustered): per other programme, each registration's strongest pair
directed as (
    select pair_key, record_key_l as record_key, programme_r as other_programme, match_weight from scored
    union all
    select pair_key, record_key_r as record_key, programme_l as other_programme, match_weight from scored
),

mutual_best as (
    select pair_key
    from (
        select pair_key, row_number() over (
            partition by record_key, coalesce(other_programme, '') order by match_weight desc, pair_key) as pick
        from directed
    ) as ranked
    group by pair_key
    having max(pick) = 1
)

select
    s.*,
    1.0e0 / (1.0e0 + power(2.0e0, -s.match_weight)) as match_probability,
    1.0e0 / (1.0e0 + power(2.0e0, -s.match_weight)) >= {{ var('er_camera_threshold', 0.99) }} and m.pair_key is not null as is_kept_link
from scored as s
left join mutual_best as m on m.pair_key = s.pair_key
