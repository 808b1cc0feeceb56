with source as (
    select * from {{ source('hrss', 'district_intake') }}
),

renamed as (
    select
        region_code,
        region_name,
        intake_ytd,
        annual_target,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
