{#- Text cleaning and names; twins of huitong.er.standardise (clean_basic, clean_text, standardise_name,
    name_pinyin_keys). Macros that take `lkp` need `cross join {{ er_char_lookup() }} as er_lkp` in the query. -#}

{#- Full-width -> half-width (translate only where needed: DuckDB's translate costs per character of its map),
    whitespace runs -> one space, trimmed; '' -> NULL. -#}
{% macro er_fold_width(s) -%}
case when {{ er_regexp_like(s, er_pattern__fullwidth()) }} then translate({{ s }}, {{ er_fullwidth_from() }}, {{ er_fullwidth_to() }}) else {{ s }} end
{%- endmacro %}

{% macro er_clean_basic(s) -%}
nullif({{ er_regexp_replace(er_regexp_replace(er_fold_width(s), er_pattern__ws(), "' '"), er_pattern__edge_space(), "''") }}, '')
{%- endmacro %}

{#- er_clean_basic, then traditional -> simplified character by character. -#}
{% macro er_clean_text(s, lkp='er_lkp') -%}
{{ er_map_chars(er_clean_basic(s), 't2s', lkp) }}
{%- endmacro %}

{#- A name for comparison: Chinese-script names without spaces, middle-dot look-alikes and '.' as '·'; other
    names upper-cased. Punctuation only: nothing is inferred from the form of a name. -#}
{% macro er_name_std(s, lkp='er_lkp') -%}
{%- set dotted = 'translate(' ~ er_clean_text(s, lkp) ~ ', ' ~ er_name_dots() ~ ", '" ~ ('·' * 9) ~ "')" -%}
{%- set cjk_form = er_regexp_replace(er_regexp_replace(
        'replace(' ~ er_regexp_replace(dotted, er_pattern__ws(), "''") ~ ", '.', '·')",
        er_pattern__multi_dot(), "'·'"), er_pattern__edge_dot(), "''") -%}
case when {{ er_regexp_like(dotted, er_pattern__cjk()) }} then nullif({{ cjk_form }}, '')
     else nullif(upper({{ dotted }}), '') end
{%- endmacro %}

{%- macro _er_surname_case(s, kind) -%}
case {{ s }}{% for k, v in er_surname_pinyin(kind).items() %} when '{{ k }}' then '{{ v }}'{% endfor %} end
{%- endmacro -%}

{#- The name in lower-case pinyin with its parts separated by spaces (see name_pinyin_keys); input: er_name_std. -#}
{% macro er_name_pinyin_spaced(n, lkp='er_lkp') -%}
lower(case
    when {{ er_regexp_like(n, er_pattern__cjk()) }} and strpos({{ n }}, '·') > 0
        then {{ er_map_chars("replace(" ~ n ~ ", '·', ' ')", 'pinyin', lkp) }}
    when {{ er_regexp_like(n, er_pattern__cjk()) }} and length({{ n }}) > 2
         and substr({{ n }}, 1, 2) in ({% for k in er_surname_pinyin('compound') %}'{{ k }}'{{ ', ' if not loop.last }}{% endfor %})
        then {{ _er_surname_case('substr(' ~ n ~ ', 1, 2)', 'compound') }} || ' ' || {{ er_map_chars('substr(' ~ n ~ ', 3)', 'pinyin', lkp) }}
    when {{ er_regexp_like(n, er_pattern__cjk()) }}
        then coalesce({{ _er_surname_case('substr(' ~ n ~ ', 1, 1)', 'single') }}, {{ er_map_chars('substr(' ~ n ~ ', 1, 1)', 'pinyin', lkp) }})
             || ' ' || {{ er_map_chars('substr(' ~ n ~ ', 2)', 'pinyin', lkp) }}
    else replace(replace({{ n }}, 'Ü', 'V'), 'U:', 'V')
end)
{%- endmacro %}

{#- Letters in written order: 张三, 張三, Zhang San, ZHANGSAN -> 'zhangsan'. Input: an er_name_std column. -#}
{% macro er_pinyin_key_ordered(name_std, lkp='er_lkp') -%}
{{ er_pinyin_key_ordered_of_spaced(er_name_pinyin_spaced(name_std, lkp)) }}
{%- endmacro %}

{#- Name parts sorted then joined: 张三, San Zhang, Zhang San -> 'sanzhang'. Input: an er_name_std column. -#}
{% macro er_pinyin_key_sorted(name_std, lkp='er_lkp') -%}
{{ er_pinyin_key_sorted_of_spaced(er_name_pinyin_spaced(name_std, lkp)) }}
{%- endmacro %}

{#- The two keys from an er_name_pinyin_spaced column: a model needing both maps the characters once (the
    character mapping is the costliest part; int_person_records). -#}
{% macro er_pinyin_key_ordered_of_spaced(spaced) -%}
nullif({{ er_regexp_replace(spaced, er_pattern__not_lower_alpha(), "''") }}, '')
{%- endmacro %}

{% macro er_pinyin_key_sorted_of_spaced(spaced) -%}
nullif({{ er_sorted_words(er_regexp_replace(spaced, er_pattern__not_lower_alpha(), "' '")) }}, '')
{%- endmacro %}
