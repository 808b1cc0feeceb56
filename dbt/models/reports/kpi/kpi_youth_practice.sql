-- “家燕归巢” youth practice, cumulative to each quarter's end: positions offered (名额) and
-- distinct young people who took part.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

positions as (
    select * from {{ ref('stg_youth__practice_position') }}
),

participations as (
    select * from {{ ref('fct_practice_participations') }}
),

offered as (
    select
        quarters.quarter,
        coalesce(sum(positions.slots), 0) as slots
    from quarters
    left join positions on quarters.quarter_end >= positions.published_on
    group by quarters.quarter
),

served as (
    select
        quarters.quarter,
        count(distinct participations.person_key) as youth
    from quarters
    left join participations on quarters.quarter_end >= participations.start_on
    group by quarters.quarter
),

final as (
    {{ kpi_row('practice_positions', 'cumulative', 'slots') }} from offered
    union all
    {{ kpi_row('practice_youth', 'cumulative', 'youth') }} from served
)

select * from final
