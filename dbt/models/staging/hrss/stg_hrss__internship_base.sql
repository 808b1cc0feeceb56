with source as (
    select * from {{ source('hrss', 'internship_base') }}
),

renamed as (
    select
        base_id,
        org_name,
        org_uscc,
        base_type,
        level as base_level,
        designated_on,
        revoked_on,
        review_result,
        positions,
        trainees,
        retained,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
