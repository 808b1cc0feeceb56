with source as (
    select * from {{ source('housing', 'rental_housing_project') }}
),

renamed as (
    select
        project_id,
        project_name,
        supply_mode,
        town,
        units,
        raised_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
