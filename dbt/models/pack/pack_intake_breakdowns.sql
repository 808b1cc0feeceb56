-- Graduates received by degree, town, industry and channel: the quarter, the year to date, last
-- year's and the change (a ratio, given to 4 decimals like every change the pack shows).
with breakdowns as (
    select * from {{ ref('rpt_intake_breakdown') }}
),

industries as (
    select * from {{ ref('industry_sections') }}
),

final as (
    select
        breakdowns.quarter,
        breakdowns.breakdown,
        breakdowns.breakdown_value,
        case
            when breakdowns.breakdown = 'industry_section'
                then coalesce(industries.section_name, breakdowns.breakdown_value)
            else breakdowns.breakdown_value
        end as breakdown_value_zh,
        breakdowns.quarter_intake,
        breakdowns.ytd_intake,
        breakdowns.ytd_intake_last_year,
        round(breakdowns.ytd_intake / nullif(breakdowns.ytd_intake_last_year, 0) - 1, 4) as yoy
    from breakdowns
    left join industries
        on
            breakdowns.breakdown = 'industry_section'
            and breakdowns.breakdown_value = industries.section
)

select * from final
