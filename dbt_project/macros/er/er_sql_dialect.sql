{#- The few places where DuckDB and Trino spell the same operation differently. Every other ER macro is written
    once on top of these. Regex patterns come from er_pattern__*() (the RE2 / Java common subset). -#}

{% macro er_regexp_like(s, pattern) %}{{ return(adapter.dispatch('er_regexp_like')(s, pattern)) }}{% endmacro %}
{% macro default__er_regexp_like(s, pattern) %}regexp_like({{ s }}, {{ pattern }}){% endmacro %}
{% macro duckdb__er_regexp_like(s, pattern) %}regexp_matches({{ s }}, {{ pattern }}){% endmacro %}

{#- All matches replaced; `\1` in the replacement means group 1 on both engines. -#}
{% macro er_regexp_replace(s, pattern, repl) %}{{ return(adapter.dispatch('er_regexp_replace')(s, pattern, repl)) }}{% endmacro %}
{% macro default__er_regexp_replace(s, pattern, repl) %}regexp_replace({{ s }}, {{ pattern }}, {{ repl | replace('\\', '$') }}){% endmacro %}
{% macro duckdb__er_regexp_replace(s, pattern, repl) %}regexp_replace({{ s }}, {{ pattern }}, {{ repl }}, 'g'){% endmacro %}

{#- A group of the first match, NULL when there is no match or the group is empty (DuckDB gives '', Trino NULL). -#}
{% macro er_regexp_group(s, pattern, group) %}nullif(regexp_extract({{ s }}, {{ pattern }}, {{ group }}), ''){% endmacro %}

{#- The characters (code points) of a string as an array. Trino's '.' skips line breaks: callers pass cleaned text. -#}
{% macro er_chars(s) %}{{ return(adapter.dispatch('er_chars')(s)) }}{% endmacro %}
{% macro default__er_chars(s) %}regexp_extract_all({{ s }}, '.'){% endmacro %}
{% macro duckdb__er_chars(s) %}string_split({{ s }}, ''){% endmacro %}

{% macro er_transform(arr, var, expr) %}{{ return(adapter.dispatch('er_transform')(arr, var, expr)) }}{% endmacro %}
{% macro default__er_transform(arr, var, expr) %}transform({{ arr }}, {{ var }} -> {{ expr }}){% endmacro %}
{% macro duckdb__er_transform(arr, var, expr) %}list_transform({{ arr }}, {{ var }} -> {{ expr }}){% endmacro %}

{% macro er_array_join(arr, sep) %}{{ return(adapter.dispatch('er_array_join')(arr, sep)) }}{% endmacro %}
{% macro default__er_array_join(arr, sep) %}array_join({{ arr }}, {{ sep }}){% endmacro %}
{% macro duckdb__er_array_join(arr, sep) %}array_to_string({{ arr }}, {{ sep }}){% endmacro %}

{#- Words of a string of [a-z] runs separated by single spaces, sorted and joined. -#}
{% macro er_sorted_words(s) %}{{ return(adapter.dispatch('er_sorted_words')(s)) }}{% endmacro %}
{% macro default__er_sorted_words(s) %}array_join(array_sort(filter(split({{ s }}, ' '), er_w -> er_w <> '')), ''){% endmacro %}
{% macro duckdb__er_sorted_words(s) %}array_to_string(list_sort(list_filter(string_split({{ s }}, ' '), er_w -> er_w <> '')), ''){% endmacro %}

{#- Unicode code point of a one-character string. -#}
{% macro er_codepoint(ch) %}{{ return(adapter.dispatch('er_codepoint')(ch)) }}{% endmacro %}
{% macro default__er_codepoint(ch) %}codepoint(cast({{ ch }} as varchar(1))){% endmacro %}
{% macro duckdb__er_codepoint(ch) %}unicode({{ ch }}){% endmacro %}

{#- 1-based array element, NULL when out of range on both engines. -#}
{% macro er_element(arr, i) %}{{ return(adapter.dispatch('er_element')(arr, i)) }}{% endmacro %}
{% macro default__er_element(arr, i) %}element_at({{ arr }}, {{ i }}){% endmacro %}
{% macro duckdb__er_element(arr, i) %}{{ arr }}[{{ i }}]{% endmacro %}

{#- A one-row relation holding the character tables as arrays indexed by code point - 13311 (U+3400..U+9FFF),
    so a per-character lookup is an array subscript, not a join: ~0.3 s per million names on DuckDB. Use it as
    `from src cross join {{ er_char_lookup() }} as er_lkp`. -#}
{% macro er_char_lookup() %}{{ return(adapter.dispatch('er_char_lookup')()) }}{% endmacro %}
{% macro default__er_char_lookup() %}(
    select
        array_agg(coalesce(t.simplified, chr(cast(r.cp as integer))) order by r.cp) as t2s,
        array_agg(coalesce(p.pinyin, chr(cast(r.cp as integer))) order by r.cp) as pinyin
    from unnest(sequence(13312, 40959)) as r (cp)
    left join {{ ref('er_char_t2s') }} as t on codepoint(cast(t.traditional as varchar(1))) = r.cp
    left join {{ ref('er_char_pinyin') }} as p on codepoint(cast(p.hanzi as varchar(1))) = r.cp
){% endmacro %}
{% macro duckdb__er_char_lookup() %}(
    select
        list(coalesce(t.simplified, chr(r.cp::integer)) order by r.cp) as t2s,
        list(coalesce(p.pinyin, chr(r.cp::integer)) order by r.cp) as pinyin
    from range(13312, 40960) as r (cp)
    left join {{ ref('er_char_t2s') }} as t on unicode(t.traditional) = r.cp
    left join {{ ref('er_char_pinyin') }} as p on unicode(p.hanzi) = r.cp
){% endmacro %}

{#- Each character of `s` replaced through one of the er_char_lookup arrays (`table` = 't2s' or 'pinyin'),
    the others kept; the results concatenated. -#}
{% macro er_map_chars(s, table, lkp='er_lkp') -%}
{{ er_array_join(er_transform(er_chars(s), 'er_c',
    'case when ' ~ er_codepoint('er_c') ~ ' between 13312 and 40959 then '
    ~ er_element(lkp ~ '.' ~ table, er_codepoint('er_c') ~ ' - 13311') ~ ' else er_c end'), "''") }}
{%- endmacro %}
