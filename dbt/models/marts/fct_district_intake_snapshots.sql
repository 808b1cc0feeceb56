-- One row per Ningbo division per quarter: intake year to date against its annual target, its
-- completion rate as published (the year's rounding rule) and its rank by completion. The name
-- is the reference name of the division's code, never the text delivered with it (the gate's
-- reference.district_names_match_reference fails a quarter whose delivered names disagree).
with districts as (
    select * from {{ ref('stg_hrss__district_intake') }}
),

targets as (
    select * from {{ ref('intake_targets') }}
),

divisions as (
    select * from {{ ref('ningbo_divisions') }}
),

final as (
    select
        districts.submission_quarter as quarter,
        districts.region_code,
        divisions.region_name,
        districts.intake_ytd,
        districts.annual_target,
        districts.intake_ytd / districts.annual_target as completion_ratio,
        {{ percent_ratio('districts.intake_ytd', 'districts.annual_target',
            "coalesce(targets.rounding_rule, 'round_half_up')") }} as completion_rate,
        rank() over (
            partition by districts.submission_quarter
            order by districts.intake_ytd / districts.annual_target desc
        ) as completion_rank
    from districts
    left join divisions on districts.region_code = divisions.region_code
    left join targets
        on cast(left(districts.submission_quarter, 4) as integer) = targets.year
)

select * from final
