-- One row per quarter × breakdown (degree, town, industry, channel) × value: graduates received
-- in the quarter and in the year to date, and the same quarter a year earlier (接收分析), which a
-- baseline's history may give (the counts of every KPI period: int_intake_breakdown_counts).
with quarters as (
    select * from {{ ref('int_quarters') }}
),

counted as (
    select * from {{ ref('int_intake_breakdown_counts') }}
),

deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
    where feed = 'graduate_intake'
),

final as (
    select
        counted.quarter,
        counted.breakdown,
        counted.breakdown_value,
        counted.quarter_intake,
        counted.ytd_intake,
        last_year.ytd_intake as ytd_intake_last_year
    from counted
    inner join quarters on counted.quarter = quarters.quarter
    inner join deliveries on counted.quarter = deliveries.quarter and deliveries.is_delivered
    left join counted as last_year
        on
            quarters.same_quarter_last_year = last_year.quarter
            and counted.breakdown = last_year.breakdown
            and counted.breakdown_value = last_year.breakdown_value
)

select * from final
