with source as (
    select * from {{ source('edu', 'industry_program') }}
),

renamed as (
    select
        student_no,
        person_key,
        id_masked,
        major,
        program_name,
        partner_uscc,
        joined_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
