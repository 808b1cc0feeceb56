-- One row per subsidy payment line, with its item's category and the per-payment standard
-- in force on the payment date.
with payments as (
    select * from {{ ref('stg_hrss__subsidy_payment') }}
),

catalogue as (
    select * from {{ ref('subsidy_catalogue') }}
),

standards as (
    select
        payments.payment_id,
        payments.submission_quarter,
        catalogue.category,
        catalogue.category_en,
        catalogue.min_yuan_per_payment,
        catalogue.max_yuan_per_payment
    from payments
    inner join catalogue
        on
            payments.subsidy_item = catalogue.subsidy_item
            and payments.paid_on >= catalogue.effective_from
            and payments.paid_on <= coalesce(catalogue.effective_to, date '9999-12-31')
),

final as (
    select
        payments.payment_id,
        payments.subsidy_item,
        standards.category,
        standards.category_en,
        payments.beneficiary_type,
        payments.beneficiary_uscc,
        payments.beneficiary_person_key,
        payments.graduate_person_key,
        payments.names_graduate,
        payments.amount_yuan,
        payments.paid_on,
        payments.fund_source,
        standards.min_yuan_per_payment,
        standards.max_yuan_per_payment,
        coalesce(
            payments.amount_yuan between standards.min_yuan_per_payment
            and standards.max_yuan_per_payment,
            false
        ) as is_within_standard,
        payments.submission_quarter
    from payments
    left join standards
        on
            payments.payment_id = standards.payment_id
            and payments.submission_quarter = standards.submission_quarter
)

select * from final
