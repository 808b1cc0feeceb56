with source as (
    select * from {{ source('hrss', 'unemployed_support') }}
),

renamed as (
    select
        person_key,
        id_masked,
        college_name,
        graduation_date as graduated_on,
        filed_on,
        service_count,
        status as employment_status,
        employed_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
