-- The quarter's support ledger of unemployed graduates (离校未就业高校毕业生帮扶台账).
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

ledger as (
    select * from {{ ref('fct_unemployed_support_snapshots') }}
),

measured as (
    select
        quarters.quarter,
        count(distinct ledger.person_key) as tracked,
        count(distinct ledger.person_key) filter (where ledger.is_served) as served,
        count(distinct ledger.person_key) filter (where ledger.is_employed) as employed
    from quarters
    left join ledger on quarters.quarter = ledger.quarter
    group by quarters.quarter
),

final as (
    {{ kpi_row('unemployed_graduates_tracked', 'as_of', 'tracked') }} from measured
    union all
    {{ kpi_row('unemployed_graduates_served', 'as_of', 'served') }} from measured
    union all
    {{ kpi_row('unemployed_support_coverage_rate', 'as_of', 'served / nullif(tracked, 0)') }}
    from measured
    union all
    {{ kpi_row('unemployed_graduates_employed', 'as_of', 'employed') }} from measured
)

select * from final
