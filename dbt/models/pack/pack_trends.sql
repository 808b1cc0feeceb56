-- Every quarter's value of each KPI without a dimension, for the pack's trend charts.
with kpis as (
    select * from {{ ref('pack_kpis') }}
),

final as (
    select
        quarter,
        kpi,
        scope,
        value,
        unit,
        name_zh,
        position
    from kpis
    where dimension = '{}'
)

select * from final
