-- Ningbo's ten divisions by target completion (宁波市排名), each quarter.
with districts as (
    select * from {{ ref('fct_district_intake_snapshots') }}
),

divisions as (
    select * from {{ ref('ningbo_divisions') }}
),

final as (
    select
        districts.quarter,
        districts.region_code,
        districts.region_name,
        divisions.is_reporting_city,
        districts.intake_ytd,
        districts.annual_target,
        districts.completion_ratio,
        districts.completion_rate,
        districts.completion_rank
    from districts
    inner join divisions on districts.region_code = divisions.region_code
)

select * from final
