{#- The camera programme a GB/T 28181 platform code belongs to, from its industry code (characters 9-10): 00 天网
    (city network), 01 雪亮 (village/community network), 03 慧眼 (social resources); anything else is null. The one
    place this mapping lives (the simulator's PROGRAMME_INDUSTRY is its source twin). -#}
{% macro camera_programme(platform_id) -%}
case substr({{ platform_id }}, 9, 2) when '00' then '天网' when '01' then '雪亮' when '03' then '慧眼' end
{%- endmacro %}
