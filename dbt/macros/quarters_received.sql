{#- Counting distinct graduates for every quarter and year to date without holding each
    period's rows: a graduate's receipts in a year become one row with a 4-bit mask of the
    quarters they fall in (bit 0 the first quarter), and those rows are counted per mask. A
    graduate counts in quarter q if bit q-1 is set, and in the year to q if any bit below q is.
    A count(distinct) over a join of every period to its year's receipts (each receipt once for
    every period of its year) took 3 GB at 100 times the sample and ran out of memory under 1 GB;
    this groups each receipt once, and DuckDB spills a grouping to disk. -#}

{% macro quarters_received(received_on) -%}
bit_or(1 << (quarter({{ received_on }}) - 1))
{%- endmacro %}

{% macro received_in_quarter(mask, quarter_number) -%}
{{ mask }} & (1 << ({{ quarter_number }} - 1)) != 0
{%- endmacro %}

{% macro received_by_quarter(mask, quarter_number) -%}
{{ mask }} & ((1 << {{ quarter_number }}) - 1) != 0
{%- endmacro %}
