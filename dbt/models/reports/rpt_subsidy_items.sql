-- One row per quarter × subsidy item, year to date: amount, lines to enterprises (家次),
-- enterprises (家), lines naming a graduate (人次) and graduates (人) (补贴发放).
with quarters as (
    select * from {{ ref('int_quarters') }}
),

payments as (
    select * from {{ ref('fct_subsidy_payments') }}
),

catalogue as (
    select distinct
        subsidy_item,
        category
    from {{ ref('subsidy_catalogue') }}
),

deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
    where feed = 'subsidy_payment'
),

final as (
    select
        quarters.quarter,
        catalogue.category,
        catalogue.subsidy_item,
        coalesce(sum(payments.amount_yuan), 0) as amount_yuan,
        count(payments.payment_id) filter (where payments.beneficiary_type = '单位')
            as enterprise_times,
        count(distinct payments.beneficiary_uscc) as enterprises,
        count(payments.payment_id) filter (where payments.names_graduate) as person_times,
        count(distinct payments.graduate_person_key) as persons
    from quarters
    inner join deliveries on quarters.quarter = deliveries.quarter and deliveries.is_delivered
    cross join catalogue
    left join payments
        on
            catalogue.subsidy_item = payments.subsidy_item
            and payments.paid_on between quarters.year_start and quarters.quarter_end
    group by quarters.quarter, catalogue.category, catalogue.subsidy_item
)

select * from final
