-- Graduates received in each quarter, for the chart of this year against last year.
with kpis as (
    select * from {{ ref('rpt_quarterly_kpis') }}
),

quarters as (
    select * from {{ ref('int_quarters') }}
),

final as (
    select
        kpis.quarter,
        quarters.quarter_year,
        quarters.quarter_number,
        kpis.value
    from kpis
    inner join quarters on kpis.quarter = quarters.quarter
    where kpis.kpi = 'graduate_intake' and kpis.scope = 'quarter'
)

select * from final
