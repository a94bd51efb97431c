{#- Rows are unique on a set of columns (dbt_utils' test, without a package download: dbt deps needs the network). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
