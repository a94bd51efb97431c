{#- Addresses and business names; twins of huitong.er.standardise_address. -#}

{#- Cleaned, no spaces or separators, upper-case, building / room spellings made one (5号楼 5幢 5座 5#楼 -> 5栋,
    501房 -> 501室, trailing 3-2-501 -> 3栋2单元501室, 路100#3栋 -> 路100号3栋). -#}
{% macro er_address_std(s, lkp='er_lkp') -%}
{%- set t = 'upper(' ~ er_regexp_replace(er_clean_text(s, lkp), er_pattern__addr_junk(), "''") ~ ')' -%}
{%- set t = er_regexp_replace(t, er_pattern__addr_hash_number(), "'\\1号'") -%}
{%- set t = er_regexp_replace(t, er_pattern__addr_dash_triple(), "'\\1栋\\2单元\\3室'") -%}
{%- set t = er_regexp_replace(t, er_pattern__addr_building(), "'\\1栋'") -%}
{%- set t = er_regexp_replace(t, er_pattern__addr_room(), "'\\1室'") -%}
nullif({{ t }}, '')
{%- endmacro %}

{#- Parts of an er_address_std value: part in division, road, number, building, unit, room. -#}
{% macro er_address_part(address_std, part) -%}
{%- set division = er_regexp_group(address_std, er_pattern__addr_division(), 1) -%}
{%- if part == 'division' -%}{{ division }}
{%- else -%}
{%- set rest = 'substr(' ~ address_std ~ ', coalesce(length(' ~ division ~ '), 0) + 1)' -%}
{%- set pattern = {'road': er_pattern__addr_road(), 'number': er_pattern__addr_number(),
                   'building': er_pattern__addr_building_no(), 'unit': er_pattern__addr_unit_no(),
                   'room': er_pattern__addr_room_no()}[part] -%}
{{ er_regexp_group(rest, pattern, 1) }}
{%- endif -%}
{%- endmacro %}

{#- Business name without spaces. -#}
{% macro er_business_name_std(s, lkp='er_lkp') -%}
nullif({{ er_regexp_replace(er_clean_text(s, lkp), er_pattern__ws(), "''") }}, '')
{%- endmacro %}

{#- Core of an er_business_name_std value: bracketed parts, the legal form and all after it, and one trade suffix
    removed ('杭州顺丰速运有限公司西湖分公司' -> '杭州顺丰速运'); the whole name when nothing is left. -#}
{% macro er_business_core(name_std) -%}
coalesce(nullif({{ er_regexp_replace(er_regexp_replace(er_regexp_replace(name_std,
    er_pattern__biz_brackets(), "''"), er_pattern__biz_legal_form(), "''"), er_pattern__biz_suffix(), "''") }}, ''), {{ name_std }})
{%- endmacro %}
