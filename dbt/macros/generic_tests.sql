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
select '{{ column }}' as column_name, cast({{ column }} as {{ string_type() }}) as value, count(*) as rows_with_value
from {{ model }}
where {{ column }} is not null
  and cast({{ column }} as {{ string_type() }}) not in ({% for v in allowed %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
group by 1, 2
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}

{#- not_null for several columns at once. -#}
{% test not_null_columns(model, columns) %}
select * from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{#-
  The model's columns summed over its other dimensions (e.g. city) equal the Gold mart's:
  `columns` maps this model's column to the mart's (`{gmv_cents: gmv_cents}`), `keys` are
  shared key columns (usually [dt]). A BI dataset that re-aggregates Silver per city must
  add up to the mart it refines.
-#}
{% test sums_match(model, to, keys, columns) %}
with ours as (
  select {{ keys | join(', ') }},
    {% for ours, theirs in columns.items() %}coalesce(sum({{ ours }}), 0) as {{ theirs }}{% if not loop.last %}, {% endif %}{% endfor %}
  from {{ model }} group by {{ keys | join(', ') }}
),
theirs as (
  select {{ keys | join(', ') }},
    {% for ours, theirs in columns.items() %}coalesce(sum({{ theirs }}), 0) as {{ theirs }}{% if not loop.last %}, {% endif %}{% endfor %}
  from {{ to }} group by {{ keys | join(', ') }}
)
select * from ours full outer join theirs using ({{ keys | join(', ') }})
where {% for ours, theirs in columns.items() %}coalesce(ours.{{ theirs }}, 0) is distinct from coalesce(theirs.{{ theirs }}, 0){% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
