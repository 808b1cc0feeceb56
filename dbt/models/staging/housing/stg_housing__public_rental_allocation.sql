with source as (
    select * from {{ source('housing', 'public_rental_allocation') }}
),

renamed as (
    select
        case_id,
        applicant_person_key,
        applicant_id_masked,
        household_size,
        mode as allocation_mode,
        start_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
