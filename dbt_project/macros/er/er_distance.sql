{#- String distances that count characters on both engines; definitions in huitong.er.standardise_distance.
    DuckDB's levenshtein / jaro_winkler_similarity count bytes ('张三' vs '张四' = 3), so for non-ASCII pairs each
    character is first replaced by a one-byte stand-in: chr(its first position in a || b). Equal characters get
    equal stand-ins and different ones different, so the native (fast) functions then count characters. The
    stand-ins must stay below 128: pairs longer than 127 characters together give NULL on DuckDB. -#}

{%- macro _er_ascii_standin(x, a, b) -%}
{{ er_array_join(er_transform(er_chars(x), 'er_c', 'chr(cast(strpos(' ~ a ~ ' || ' ~ b ~ ', er_c) as integer))'), "''") }}
{%- endmacro -%}

{%- macro _er_bytewise_by_char(fn, a, b, if_empty) -%}
case when {{ a }} is null or {{ b }} is null then null
     when {{ a }} = {{ b }} then {{ if_empty[1] }}
     when {{ a }} = '' or {{ b }} = '' then {{ if_empty[0] }}
     when strlen({{ a }}) = length({{ a }}) and strlen({{ b }}) = length({{ b }}) then {{ fn }}({{ a }}, {{ b }})
     when length({{ a }}) + length({{ b }}) <= 127
        then {{ fn }}({{ _er_ascii_standin(a, a, b) }}, {{ _er_ascii_standin(b, a, b) }}) end
{%- endmacro -%}

{% macro er_levenshtein(a, b) %}{{ return(adapter.dispatch('er_levenshtein')(a, b)) }}{% endmacro %}
{% macro default__er_levenshtein(a, b) %}levenshtein_distance({{ a }}, {{ b }}){% endmacro %}
{% macro duckdb__er_levenshtein(a, b) -%}
{{ _er_bytewise_by_char('levenshtein', a, b, ['greatest(length(' ~ a ~ '), length(' ~ b ~ '))', '0']) }}
{%- endmacro %}

{#- 1 - distance / longer length; 1.0 for equal strings (two empty ones included). -#}
{% macro er_levenshtein_similarity(a, b) -%}
case when {{ a }} = {{ b }} then 1.0e0
     else 1.0e0 - cast({{ er_levenshtein(a, b) }} as double) / greatest(length({{ a }}), length({{ b }})) end
{%- endmacro %}

{#- Jaro-Winkler (prefix <= 4, boost above 0.7). Trino has no Jaro-Winkler function: portable models use
    er_levenshtein_similarity; this macro stops a Trino compile with a clear message. -#}
{% macro er_jaro_winkler(a, b) %}{{ return(adapter.dispatch('er_jaro_winkler')(a, b)) }}{% endmacro %}
{% macro default__er_jaro_winkler(a, b) -%}
{{ exceptions.raise_compiler_error("er_jaro_winkler has no " ~ target.type ~ " implementation; use er_levenshtein_similarity") }}
{%- endmacro %}
{% macro duckdb__er_jaro_winkler(a, b) -%}
{{ _er_bytewise_by_char('jaro_winkler_similarity', a, b, ['0.0e0', '1.0e0']) }}
{%- endmacro %}
