with source as (
    select * from {{ source('ledger', 'deliveries') }}
),

renamed as (
    select
        department,
        feed,
        quarter as submission_quarter,
        first_version,
        latest_version,
        delivered_on,
        delivered_on_from
    from source
)

select * from renamed
