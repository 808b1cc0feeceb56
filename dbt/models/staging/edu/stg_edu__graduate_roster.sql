with source as (
    select * from {{ source('edu', 'graduate_roster') }}
),

renamed as (
    select
        student_no,
        person_key,
        id_masked,
        faculty,
        major,
        degree,
        graduation_date as graduated_on,
        origin,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
