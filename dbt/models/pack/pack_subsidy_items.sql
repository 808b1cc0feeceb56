-- Subsidies paid by item, year to date (补贴发放).
with items as (
    select * from {{ ref('rpt_subsidy_items') }}
),

final as (
    select
        quarter,
        category,
        subsidy_item,
        amount_yuan,
        enterprise_times,
        enterprises,
        person_times,
        persons
    from items
)

select * from final
