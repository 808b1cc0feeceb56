-- Each of Cixi's towns and subdistricts (镇街), every quarter whose intake was delivered, a town
-- without graduates included: received in the quarter, the year to date, last year's and the
-- change. Last year's is 0 for a town without graduates then, and null (unknown, never 0) when
-- last year's intake was not delivered.
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

delivered as (
    select distinct quarter from {{ ref('rpt_intake_breakdown') }}
),

quarters as (
    select
        delivered.quarter,
        last_year.quarter is not null as last_year_delivered
    from delivered
    inner join {{ ref('int_quarters') }} as calendar on delivered.quarter = calendar.quarter
    left join delivered as last_year on calendar.same_quarter_last_year = last_year.quarter
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
            when quarters.last_year_delivered then coalesce(breakdowns.ytd_intake_last_year, 0)
        end as ytd_intake_last_year,
        breakdowns.yoy
    from quarters
    cross join towns
    left join breakdowns
        on quarters.quarter = breakdowns.quarter and towns.town_name = breakdowns.breakdown_value
)

select * from final
