with source as (
    select * from {{ source('ledger', 'submissions') }}
),

renamed as (
    select
        submission_id,
        ingested_at,
        department,
        feed,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_name,
        file_sha256,
        status as submission_status,
        reason as refusal_reason,
        rows_loaded,
        rows_rejected
    from source
)

select * from renamed
