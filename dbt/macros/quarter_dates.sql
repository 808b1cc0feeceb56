{#- The calendar of a quarter given as 'YYYYQn': its year, number, and first days of the year
    and the quarter, and its last day. -#}
{% macro quarter_dates(quarter) -%}
    {%- set year = "cast(left(" ~ quarter ~ ", 4) as integer)" -%}
    {%- set number = "cast(right(" ~ quarter ~ ", 1) as integer)" -%}
    {%- set start = "make_date(" ~ year ~ ", 3 * " ~ number ~ " - 2, 1)" -%}
    {{ year }} as quarter_year,
    {{ number }} as quarter_number,
    make_date({{ year }}, 1, 1) as year_start,
    {{ start }} as quarter_start,
    cast({{ start }} + interval 3 month - interval 1 day as date) as quarter_end
{%- endmacro %}
