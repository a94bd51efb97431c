{#- Schemas are the layer names (staging, intermediate, marts) in every environment, so the access policy and
    Superset datasets name the same tables locally and in production. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
