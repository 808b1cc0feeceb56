-- One row per KPI period × breakdown (degree, town, industry, channel) × value: distinct
-- graduates received in the quarter and in the year to date. Incremental by period
-- (macros/incremental_periods.sql): at 100 times the sample this count is most of a build.
{{ config(
    materialized='incremental',
    incremental_strategy='recompute_periods',
    on_schema_change='sync_all_columns',
    post_hook='{{ record_period_inputs() }}'
) }}

with periods as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
),

described as (
    select
        intakes.person_key,
        intakes.received_on,
        breakdown.breakdown,
        coalesce(breakdown.breakdown_value, '未填报') as breakdown_value
    from intakes
    cross join lateral (
        values
        ('degree', intakes.degree),
        ('town', intakes.town),
        ('industry_section', intakes.industry_section),
        ('intake_channel', intakes.intake_channel)
    ) as breakdown (breakdown, breakdown_value)
),

final as (
    select
        periods.quarter,
        described.breakdown,
        described.breakdown_value,
        count(distinct described.person_key) filter (
            where described.received_on >= periods.quarter_start
        ) as quarter_intake,
        count(distinct described.person_key) as ytd_intake
    from periods
    inner join described
        on described.received_on between periods.year_start and periods.quarter_end
    group by periods.quarter, described.breakdown, described.breakdown_value
)

select * from final
