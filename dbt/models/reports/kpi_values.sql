-- Every KPI family's rows (the models of kpi/), for rpt_quarterly_kpis to publish; a view.
-- A new KPI family model adds its line here (dbt must see each ref when it parses;
-- tests/test_pack_layer.py fails naming a model of kpi/ left out). rpt_quarterly_kpis's unit
-- tests give this model's rows, so they need no change when a family is added.
{{ config(materialized='view') }}
-- One line per family keeps the list readable:
-- noqa: disable=LT09
select quarter, kpi, scope, dimension, value from {{ ref('kpi_graduate_intake') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_local_college_retention') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_subsidies') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_education') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_internship_bases') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_housing') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_youth_practice') }}
union all
select quarter, kpi, scope, dimension, value from {{ ref('kpi_unemployed_support') }}
