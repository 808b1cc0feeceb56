with source as (
    select * from {{ source('youth', 'practice_position') }}
),

renamed as (
    select
        position_id,
        org_name,
        org_uscc,
        title as position_title,
        category as position_category,
        slots,
        published_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
