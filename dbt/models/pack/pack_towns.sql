-- Each of Cixi's towns and subdistricts (镇街), every quarter whose intake was delivered, a town
-- without graduates included: received in the quarter, the year to date, last year's and the
-- change. Last year's is 0 for a town without graduates then, and null (unknown, never 0) when
-- last year's intake is unknown (neither delivered nor handed over in a baseline).
with breakdowns as (
    select * from {{ ref('pack_intake_breakdowns') }}
    where breakdown = 'town'
),

towns as (
    select
        town_name,
        town_type,
        cast(row_number() over () as integer) as town_position
    from {{ ref('cixi_towns') }}
),

-- last year's intake is known (a file delivered, or a baseline's history) when any breakdown of
-- the quarter has a figure for it
quarters as (
    select
        quarter,
        bool_or(ytd_intake_last_year is not null) as last_year_known
    from {{ ref('rpt_intake_breakdown') }}
    group by quarter
),

final as (
    select
        quarters.quarter,
        towns.town_name,
        towns.town_type,
        towns.town_position,
        coalesce(breakdowns.quarter_intake, 0) as quarter_intake,
        coalesce(breakdowns.ytd_intake, 0) as ytd_intake,
        case
            when quarters.last_year_known then coalesce(breakdowns.ytd_intake_last_year, 0)
        end as ytd_intake_last_year,
        breakdowns.yoy
    from quarters
    cross join towns
    left join breakdowns
        on quarters.quarter = breakdowns.quarter and towns.town_name = breakdowns.breakdown_value
)

select * from final
