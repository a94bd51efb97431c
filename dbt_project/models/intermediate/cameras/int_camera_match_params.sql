{#- The m / u parameters the camera model scores with: the committed defaults (seeds/er_params). They are set by
    hand from how registrations of one camera differ (survey jitter of metres, 慧眼's 4-decimal rounding) and how
    two cameras of one neighbourhood differ (hundreds of metres apart, 4-8 roads per town, numbers 1-300);
    ('_prior', 'match') holds lambda, the share of candidate pairs that match, as m. Not yet trained by EM. -#}
select field, level, cast(m as double) as m, cast(u as double) as u, 'default' as origin
from {{ ref('er_camera_params_default') }}
