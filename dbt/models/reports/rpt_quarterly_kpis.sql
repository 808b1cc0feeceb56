-- One row per quarter × KPI × scope × dimension: the value as published (rounded to its unit's
-- decimals in kpi_units, the one place rounding lives; null when the quarter has no data of the
-- KPI's feed) and its change against the same period a year earlier (yoy) and the previous
-- quarter (qoq). A period has data when a file of the feed was delivered for it or a baseline's
-- history runs to its end or beyond (contract/kpis.md). A KPI row the catalogue does not know
-- is kept, with no unit: the not_null test on unit fails the build, naming it.
with kpi_values as (
    select * from {{ ref('kpi_values') }}
),

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

units as (
    select * from {{ ref('kpi_units') }}
),

deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
),

histories as (
    select * from {{ ref('int_feed_histories') }}
),

quarters as (
    select * from {{ ref('int_quarters') }}
),

with_data as (
    select
        kpi_values.*,
        catalogue.unit,
        catalogue.change_rule,
        catalogue.source_feed,
        units.decimals,
        coalesce(deliveries.is_delivered, false)
        or coalesce(kpi_values.quarter <= histories.history_to, false) as has_data
    from kpi_values
    left join catalogue
        on kpi_values.kpi = catalogue.kpi and kpi_values.scope = catalogue.scope
    left join units on catalogue.unit = units.unit
    left join deliveries
        on kpi_values.quarter = deliveries.quarter and catalogue.source_feed = deliveries.feed
    left join histories on catalogue.source_feed = histories.feed
),

published as (
    select
        quarter,
        kpi,
        scope,
        dimension,
        unit,
        change_rule,
        source_feed,
        has_data,
        case when has_data then round(value, decimals) end as value
    from with_data
),

compared as (
    select
        current_period.*,
        last_year.value as last_year_value,
        previous_quarter.value as previous_quarter_value
    from published as current_period
    inner join quarters on current_period.quarter = quarters.quarter
    left join published as last_year
        on
            quarters.same_quarter_last_year = last_year.quarter
            and current_period.kpi = last_year.kpi
            and current_period.scope = last_year.scope
            and current_period.dimension = last_year.dimension
    left join published as previous_quarter
        on
            quarters.previous_quarter = previous_quarter.quarter
            and current_period.kpi = previous_quarter.kpi
            and current_period.scope = previous_quarter.scope
            and current_period.dimension = previous_quarter.dimension
),

final as (
    select
        quarter,
        kpi,
        scope,
        dimension,
        value,
        unit,
        case
            when scope not in ('quarter', 'ytd') then null
            when change_rule = 'difference' then round(value - last_year_value, 4)
            when change_rule = 'ratio' then round(value / nullif(last_year_value, 0) - 1, 4)
        end as yoy,
        case
            when scope != 'quarter' then null
            when change_rule = 'difference' then round(value - previous_quarter_value, 4)
            when change_rule = 'ratio' then round(value / nullif(previous_quarter_value, 0) - 1, 4)
        end as qoq,
        has_data,
        source_feed,
        last_year_value,
        previous_quarter_value
    from compared
)

select * from final
