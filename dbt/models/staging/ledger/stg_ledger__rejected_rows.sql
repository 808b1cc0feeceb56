with source as (
    select * from {{ source('ledger', 'rejected_rows') }}
),

renamed as (
    select
        file_sha256,
        feed,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        line_number,
        reason as rejection_reason,
        column_name,
        value_shown,
        message
    from source
)

select * from renamed
