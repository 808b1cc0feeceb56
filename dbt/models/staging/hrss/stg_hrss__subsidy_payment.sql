with source as (
    select * from {{ source('hrss', 'subsidy_payment') }}
),

renamed as (
    select
        payment_id,
        subsidy_item,
        beneficiary_type,
        beneficiary_uscc,
        beneficiary_person_key,
        beneficiary_id_masked,
        beneficiary_name,
        -- a payment to a person is for that person unless another graduate is named
        coalesce(graduate_person_key, beneficiary_person_key) as graduate_person_key,
        graduate_person_key is not null or beneficiary_type = '个人' as names_graduate,
        amount_yuan,
        paid_on,
        fund_source,
        quarter as submission_quarter,
        version as submission_version,
        is_baseline,
        file_sha256,
        line_number
    from source
)

select * from renamed
