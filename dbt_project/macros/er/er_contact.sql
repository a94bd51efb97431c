{#- Phones, dates and gender; twins of standardise_phone, standardise_date and standardise_gender. -#}

{#- A mainland mobile as 11 digits, a landline as 'area-local' (area code with its 0: 3 digits for 01x/02x,
    else 4), otherwise NULL. +86 / 0086 / 86 prefixes, spaces, dashes, brackets and extensions removed. -#}
{% macro er_phone(s) -%}
{%- set s0 = er_regexp_replace(er_regexp_replace(er_fold_width(s), er_pattern__phone_junk(), "''"), er_pattern__phone_ext(), "''") -%}
{%- set intl = er_regexp_like(s0, er_pattern__phone_intl()) -%}
{%- set s1 = er_regexp_replace(s0, er_pattern__phone_intl(), "''") -%}
{%- set s2 = 'case when ' ~ er_regexp_like(s1, er_pattern__phone_cn13()) ~ ' then substr(' ~ s1 ~ ', 3) else ' ~ s1 ~ ' end' -%}
{%- set land = 'case when ' ~ intl ~ ' and substr(' ~ s2 ~ ", 1, 1) <> '0' then '0' || " ~ s2 ~ ' else ' ~ s2 ~ ' end' -%}
{%- set area = 'case when ' ~ er_regexp_like(land, er_pattern__landline_3digit_area()) ~ ' then 3 else 4 end' -%}
case when {{ er_regexp_like(s2, er_pattern__mobile()) }} then {{ s2 }}
     when {{ er_regexp_like(land, er_pattern__landline()) }}
        then substr({{ land }}, 1, {{ area }}) || '-' || substr({{ land }}, {{ area }} + 1) end
{%- endmacro %}

{#- 'mobile' / 'landline' of an er_phone value. -#}
{% macro er_phone_kind(phone) -%}
case when strpos({{ phone }}, '-') > 0 then 'landline' when {{ phone }} is not null then 'mobile' end
{%- endmacro %}

{#- '1985-03-02', '1985/3/2', '1985.3.2', '19850302', '1985年3月2日' (a trailing time ignored) -> DATE; years
    1900-2099; impossible days -> NULL. The two patterns never both match, so their groups can be coalesced. -#}
{% macro er_date(s) -%}
{%- set c = er_clean_basic(s) -%}
{%- set parts = [] -%}
{%- for g in [1, 2, 3] -%}
  {%- do parts.append('coalesce(' ~ er_regexp_group(c, er_pattern__date_sep(), g) ~ ', ' ~ er_regexp_group(c, er_pattern__date_compact(), g) ~ ')') -%}
{%- endfor -%}
try_cast({{ parts[0] }} || '-' || lpad({{ parts[1] }}, 2, '0') || '-' || lpad({{ parts[2] }}, 2, '0') as date)
{%- endmacro %}

{% macro er_gender(s) -%}
{%- set c = 'lower(' ~ er_clean_basic(s) ~ ')' -%}
case when {{ c }} in ('{{ er_gender_values('M') | join("', '") }}') then 'M'
     when {{ c }} in ('{{ er_gender_values('F') | join("', '") }}') then 'F' end
{%- endmacro %}
