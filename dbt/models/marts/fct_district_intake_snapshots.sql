-- One row per Ningbo division per quarter: intake year to date against its annual target.
with districts as (
    select * from {{ ref('stg_hrss__district_intake') }}
),

final as (
    select
        submission_quarter as quarter,
        region_code,
        region_name,
        intake_ytd,
        annual_target,
        intake_ytd / annual_target as completion_ratio,
        rank() over (
            partition by submission_quarter order by intake_ytd / annual_target desc
        ) as completion_rank
    from districts
)

select * from final
