-- One row per quarter × breakdown (degree, town, industry, channel) × value: graduates received
-- in the quarter and in the year to date, and the same quarter a year earlier (接收分析), which a
-- baseline's history may give (int_kpi_periods).
with quarters as (
    select * from {{ ref('int_quarters') }}
),

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
),

deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
    where feed = 'graduate_intake'
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

counted as (
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
