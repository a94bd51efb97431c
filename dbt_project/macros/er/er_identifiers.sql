{#- Resident IDs (GB 11643) and unified social credit codes (GB 32100); twins of standardise_resident_id and
    standardise_uscc, which delegate to huitong.codes. Check characters are expanded at compile time into plain
    integer arithmetic, identical on both engines. -#}

{%- macro _er_id_raw(s) -%}
upper({{ er_regexp_replace(er_clean_basic(s), er_pattern__id_junk(), "''") }})
{%- endmacro -%}

{#- Check character of 17 digits: ISO 7064 MOD 11-2. -#}
{% macro er_resident_id_check_char(first17) -%}
{%- set weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] -%}
substr('10X98765432', 1 + ({% for w in weights %}try_cast(substr({{ first17 }}, {{ loop.index }}, 1) as integer) * {{ w }}{{ ' + ' if not loop.last }}{% endfor %}) % 11, 1)
{%- endmacro %}

{#- The 18-character ID: stripped, upper-cased, a legacy 15-digit number upgraded; NULL if it cannot be an ID. -#}
{% macro er_resident_id18(s) -%}
{%- set raw = _er_id_raw(s) -%}
{%- set first17 = 'substr(' ~ raw ~ ', 1, 6) || \'19\' || substr(' ~ raw ~ ', 7)' -%}
case when {{ er_regexp_like(raw, er_pattern__id15()) }} then {{ first17 }} || {{ er_resident_id_check_char(first17) }}
     when {{ er_regexp_like(raw, er_pattern__id18()) }} then {{ raw }} end
{%- endmacro %}

{% macro er_resident_id_upgraded(s) -%}
coalesce({{ er_regexp_like(_er_id_raw(s), er_pattern__id15()) }}, false)
{%- endmacro %}

{#- Birth date of an er_resident_id18 value when it is a real date between 1900-01-01 and today. -#}
{% macro er_resident_id_birth_date(id18) -%}
case when try_cast(substr({{ id18 }}, 7, 4) || '-' || substr({{ id18 }}, 11, 2) || '-' || substr({{ id18 }}, 13, 2) as date)
          between date '1900-01-01' and current_date
     then try_cast(substr({{ id18 }}, 7, 4) || '-' || substr({{ id18 }}, 11, 2) || '-' || substr({{ id18 }}, 13, 2) as date) end
{%- endmacro %}

{#- 'M' / 'F' from the parity of the sequence digit of an er_resident_id18 value. -#}
{% macro er_resident_id_gender(id18) -%}
case when {{ id18 }} is not null then case when try_cast(substr({{ id18 }}, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end
{%- endmacro %}

{#- Check character and birth date right (input: an er_resident_id18 value). -#}
{% macro er_resident_id_valid(id18) -%}
coalesce({{ id18 }} is not null and {{ er_resident_id_birth_date(id18) }} is not null
    and {{ er_resident_id_check_char(id18) }} = substr({{ id18 }}, 18, 1), false)
{%- endmacro %}

{#- Unified social credit code, normalised; NULL when it is not 18 characters of the code alphabet. -#}
{% macro er_uscc(s) -%}
case when {{ er_regexp_like(_er_id_raw(s), er_pattern__uscc()) }} then {{ _er_id_raw(s) }} end
{%- endmacro %}

{% macro er_uscc_valid(uscc) -%}
{%- set alphabet = "'0123456789ABCDEFGHJKLMNPQRTUWXY'" -%}
{%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] -%}
coalesce(substr({{ alphabet }}, 1 + (31 - ({% for w in weights %}(strpos({{ alphabet }}, substr({{ uscc }}, {{ loop.index }}, 1)) - 1) * {{ w }}{{ ' + ' if not loop.last }}{% endfor %}) % 31) % 31, 1)
    = substr({{ uscc }}, 18, 1), false)
{%- endmacro %}
