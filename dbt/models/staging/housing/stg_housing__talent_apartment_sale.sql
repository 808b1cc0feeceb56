with source as (
    select * from {{ source('housing', 'talent_apartment_sale') }}
),

renamed as (
    select
        contract_id,
        buyer_person_key,
        buyer_id_masked,
        project_name,
        unit_no,
        floor_area_m2,
        price_yuan,
        signed_on,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
