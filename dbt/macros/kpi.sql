{#- One output row of a KPI model: quarter, kpi, scope, dimension (canonical JSON text), value. -#}
{% macro kpi_row(kpi, scope, value, dimension="'{}'") -%}
    select
        quarter,
        '{{ kpi }}' as kpi,
        '{{ scope }}' as scope,
        cast({{ dimension }} as varchar) as dimension,
        cast({{ value }} as double) as value
{%- endmacro %}

{#- numerator ÷ denominator as a percentage with 2 decimals under a rounding rule, then ÷ 100;
    integer arithmetic, so that truncation never meets a floating-point 0.99999. -#}
{% macro percent_ratio(numerator, denominator, rule) -%}
    case {{ rule }}
        when 'truncate' then ({{ numerator }} * 10000) // {{ denominator }}
        else ({{ numerator }} * 20000 + {{ denominator }}) // (2 * {{ denominator }})
    end / 10000
{%- endmacro %}
