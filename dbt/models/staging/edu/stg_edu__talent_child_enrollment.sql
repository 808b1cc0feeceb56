with source as (
    select * from {{ source('edu', 'talent_child_enrollment') }}
),

renamed as (
    select
        case_id,
        talent_person_key,
        talent_id_masked,
        talent_category,
        school_stage,
        assigned_school,
        resolved_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
