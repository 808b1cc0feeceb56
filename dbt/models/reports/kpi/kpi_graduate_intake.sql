-- graduate_intake (quarter, ytd), its target, completion rate and rank among Ningbo's divisions.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
),

targets as (
    select * from {{ ref('intake_targets') }}
),

districts as (
    select * from {{ ref('fct_district_intake_snapshots') }}
),

divisions as (
    select * from {{ ref('ningbo_divisions') }}
),

received as (
    select
        quarters.quarter,
        count(distinct intakes.person_key) filter (
            where intakes.received_on >= quarters.quarter_start
        ) as quarter_intake,
        count(distinct intakes.person_key) as ytd_intake
    from quarters
    left join intakes
        on intakes.received_on between quarters.year_start and quarters.quarter_end
    group by quarters.quarter
),

against_target as (
    select
        received.quarter,
        received.quarter_intake,
        received.ytd_intake,
        targets.annual_target,
        {{ percent_ratio('received.ytd_intake', 'targets.annual_target', 'targets.rounding_rule') }}
            as completion_rate
    from received
    inner join quarters on received.quarter = quarters.quarter
    left join targets on quarters.quarter_year = targets.year
),

ranked as (
    select
        quarters.quarter,
        districts.completion_rank
    from quarters
    left join divisions on divisions.is_reporting_city
    left join districts
        on
            quarters.quarter = districts.quarter
            and divisions.region_code = districts.region_code
),

final as (
    {{ kpi_row('graduate_intake', 'quarter', 'quarter_intake') }} from against_target
    union all
    {{ kpi_row('graduate_intake', 'ytd', 'ytd_intake') }} from against_target
    union all
    {{ kpi_row('graduate_intake_target', 'ytd', 'annual_target') }} from against_target
    union all
    {{ kpi_row('graduate_intake_completion_rate', 'ytd', 'completion_rate') }} from against_target
    union all
    {{ kpi_row('graduate_intake_rank', 'ytd', 'completion_rank') }} from ranked
)

select * from final
