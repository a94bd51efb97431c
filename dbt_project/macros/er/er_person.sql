{#- Helpers of the person resolution models (models/intermediate/persons). -#}

{#- Lower-case hex MD5 of a text value, the same string on both engines (stable entity ids). -#}
{% macro er_md5_hex(s) %}{{ return(adapter.dispatch('er_md5_hex')(s)) }}{% endmacro %}
{% macro default__er_md5_hex(s) %}lower(to_hex(md5(to_utf8({{ s }})))){% endmacro %}
{% macro duckdb__er_md5_hex(s) %}md5({{ s }}){% endmacro %}

{#- Whether a relation exists at run time. Offline compiles (no server) answer false, so the model compiles its
    fallback branch; a real run asks the catalog. -#}
{% macro er_relation_exists(relation) -%}
{%- if not execute or var('offline_compile', false) -%}{{ return(false) }}{%- endif -%}
{%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
{{ return(found is not none) }}
{%- endmacro %}
