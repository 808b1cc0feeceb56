with source as (
    select * from {{ source('youth', 'practice_participant') }}
),

renamed as (
    select
        enrollment_id,
        person_key,
        id_masked,
        college_name,
        position_id,
        start_on,
        end_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
