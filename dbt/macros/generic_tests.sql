{#-
  Compact generic tests: one query per model instead of one per column keeps `dbt build`
  fast (each test node costs ~0.1 s of dbt overhead). Each returns the offending rows.
-#}

{#- No two rows share the same values of `columns` (NULLs compare equal). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicates
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- `columns` are never null and unique together: the model's key. -#}
{% test primary_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1 or {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{#- accepted_values for several columns at once: values = {column: [allowed, ...]}. -#}
{% test accepted_values_map(model, values) %}
{% for column, allowed in values.items() %}
select '{{ column }}' as column_name, cast({{ column }} as varchar) as value, count(*) as rows_with_value
from {{ model }}
where {{ column }} is not null
  and cast({{ column }} as varchar) not in ({% for v in allowed %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
group by 1, 2
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}

{#- not_null for several columns at once. -#}
{% test not_null_columns(model, columns) %}
select * from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
