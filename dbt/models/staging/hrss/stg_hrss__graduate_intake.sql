with source as (
    select * from {{ source('hrss', 'graduate_intake') }}
),

renamed as (
    select
        record_id as intake_record_id,
        person_key,
        id_masked,
        college_name,
        degree,
        major,
        graduation_date as graduated_on,
        employer_name,
        employer_uscc,
        employer_uscc_check_ok as is_employer_uscc_check_ok,
        industry_section,
        town,
        intake_channel,
        received_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
