-- One row per KPI period × breakdown (degree, town, industry, channel) × value: distinct
-- graduates received in the quarter and in the year to date. Incremental by period
-- (macros/incremental_periods.sql): at 100 times the sample this count is most of a build.
-- Counted per year by the quarters each graduate was received in (macros/quarters_received.sql),
-- one breakdown at a time: all four at once held every graduate four times in one grouping,
-- which spilled to disk under the build's memory limit.
{{ config(
    materialized='incremental',
    incremental_strategy='recompute_periods',
    on_schema_change='sync_all_columns',
    post_hook='{{ record_period_inputs() }}'
) }}

{%- set breakdowns = ['degree', 'town', 'industry_section', 'intake_channel'] %}

with periods as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
    where received_on >= (select min(periods.year_start) from periods)
),

graduate_years as (
    {%- for column in breakdowns %}
        select
            '{{ column }}' as breakdown,
            coalesce({{ column }}, '未填报') as breakdown_value,
            year(received_on) as received_year,
            {{ quarters_received('received_on') }} as quarters_received
        from intakes
        group by coalesce({{ column }}, '未填报'), person_key, year(received_on)
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

received as (
    select
        breakdown,
        breakdown_value,
        received_year,
        quarters_received,
        count(*) as graduates
    from graduate_years
    group by breakdown, breakdown_value, received_year, quarters_received
),

final as (
    select
        periods.quarter,
        received.breakdown,
        received.breakdown_value,
        coalesce(sum(received.graduates) filter (
            where {{ received_in_quarter('received.quarters_received', 'periods.quarter_number') }}
        ), 0)::bigint as quarter_intake,
        sum(received.graduates)::bigint as ytd_intake
    from periods
    inner join received
        on
            periods.quarter_year = received.received_year
            and {{ received_by_quarter('received.quarters_received', 'periods.quarter_number') }}
    group by periods.quarter, received.breakdown, received.breakdown_value
)

select * from final
