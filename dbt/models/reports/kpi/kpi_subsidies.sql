-- Employment (就业补贴) and talent (人才补贴) subsidies: amounts, lines (家次, 人次), distinct
-- enterprises (家) and graduates (人), and the amount of every catalogue item.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

payments as (
    select * from {{ ref('fct_subsidy_payments') }}
),

items as (
    select distinct subsidy_item from {{ ref('subsidy_catalogue') }}
),

year_to_date as (
    select
        quarters.quarter,
        quarters.quarter_start,
        payments.*
    from quarters
    inner join payments
        on payments.paid_on between quarters.year_start and quarters.quarter_end
),

employment as (
    select
        quarters.quarter,
        coalesce(sum(ytd.amount_yuan) filter (where ytd.paid_on >= quarters.quarter_start), 0)
            as quarter_amount,
        coalesce(sum(ytd.amount_yuan), 0) as ytd_amount,
        count(ytd.payment_id) filter (where ytd.beneficiary_type = '单位') as enterprise_times,
        count(distinct ytd.beneficiary_uscc) as enterprises,
        count(ytd.payment_id) filter (where ytd.names_graduate) as graduate_times,
        count(distinct ytd.graduate_person_key) as graduates
    from quarters
    left join year_to_date as ytd
        on quarters.quarter = ytd.quarter and ytd.category_en = 'employment'
    group by quarters.quarter
),

talent as (
    select
        quarters.quarter,
        coalesce(sum(ytd.amount_yuan), 0) as ytd_amount
    from quarters
    left join year_to_date as ytd
        on quarters.quarter = ytd.quarter and ytd.category_en = 'talent'
    group by quarters.quarter
),

by_item as (
    select
        quarters.quarter,
        items.subsidy_item,
        coalesce(sum(ytd.amount_yuan), 0) as ytd_amount
    from quarters
    cross join items
    left join year_to_date as ytd
        on quarters.quarter = ytd.quarter and items.subsidy_item = ytd.subsidy_item
    group by quarters.quarter, items.subsidy_item
),

final as (
    {{ kpi_row('employment_subsidy_amount', 'quarter', 'quarter_amount') }} from employment
    union all
    {{ kpi_row('employment_subsidy_amount', 'ytd', 'ytd_amount') }} from employment
    union all
    {{ kpi_row('employment_subsidy_enterprise_times', 'ytd', 'enterprise_times') }}
    from employment
    union all
    {{ kpi_row('employment_subsidy_enterprises', 'ytd', 'enterprises') }} from employment
    union all
    {{ kpi_row('employment_subsidy_graduate_times', 'ytd', 'graduate_times') }} from employment
    union all
    {{ kpi_row('employment_subsidy_graduates', 'ytd', 'graduates') }} from employment
    union all
    {{ kpi_row('talent_subsidy_amount', 'ytd', 'ytd_amount') }} from talent
    union all
    {{ kpi_row('subsidy_amount_by_item', 'ytd', 'ytd_amount',
        "json_object('subsidy_item', subsidy_item)") }} from by_item
)

select * from final
