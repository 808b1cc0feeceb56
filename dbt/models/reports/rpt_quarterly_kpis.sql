-- One row per quarter × KPI × scope × dimension: the value as published (yuan to 2 decimals,
-- ratios to 4, counts whole; null when the KPI's feed was not delivered for the quarter) and
-- its change against the same period a year earlier (yoy) and the previous quarter (qoq).
with kpi_values as (
    select * from {{ ref('kpi_graduate_intake') }}
    union all
    select * from {{ ref('kpi_local_college_retention') }}
    union all
    select * from {{ ref('kpi_subsidies') }}
    union all
    select * from {{ ref('kpi_education') }}
    union all
    select * from {{ ref('kpi_internship_bases') }}
    union all
    select * from {{ ref('kpi_housing') }}
    union all
    select * from {{ ref('kpi_youth_practice') }}
    union all
    select * from {{ ref('kpi_unemployed_support') }}
),

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
),

quarters as (
    select * from {{ ref('int_quarters') }}
),

published as (
    select
        kpi_values.quarter,
        kpi_values.kpi,
        kpi_values.scope,
        kpi_values.dimension,
        catalogue.unit,
        catalogue.change_rule,
        catalogue.source_feed,
        deliveries.is_delivered as has_data,
        case
            when deliveries.is_delivered
                then round(
                    kpi_values.value,
                    case catalogue.unit when 'ratio' then 4 when 'yuan' then 2 else 0 end
                )
        end as value
    from kpi_values
    inner join catalogue
        on kpi_values.kpi = catalogue.kpi and kpi_values.scope = catalogue.scope
    inner join deliveries
        on kpi_values.quarter = deliveries.quarter and catalogue.source_feed = deliveries.feed
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
        source_feed
    from compared
)

select * from final
