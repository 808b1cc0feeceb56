-- Housing, cumulative to each quarter's end: rental housing units raised (套), migrant
-- households placed in public rental housing (户), talent apartments sold (套).
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

housing as (
    select * from {{ ref('fct_housing_supply') }}
),

cumulative as (
    select
        quarters.quarter,
        coalesce(sum(housing.units) filter (
            where housing.housing_event = 'rental_housing_project'
        ), 0) as rental_units,
        count(distinct housing.event_id) filter (
            where housing.housing_event = 'public_rental_allocation'
        ) as households,
        count(distinct housing.event_id) filter (
            where housing.housing_event = 'talent_apartment_sale'
        ) as apartments
    from quarters
    left join housing on quarters.quarter_end >= housing.event_on
    group by quarters.quarter
),

final as (
    {{ kpi_row('rental_housing_units', 'cumulative', 'rental_units') }} from cumulative
    union all
    {{ kpi_row('public_rental_households', 'cumulative', 'households') }} from cumulative
    union all
    {{ kpi_row('talent_apartments_sold', 'cumulative', 'apartments') }} from cumulative
)

select * from final
