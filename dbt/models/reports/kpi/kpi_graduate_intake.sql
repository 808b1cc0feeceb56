-- graduate_intake (quarter, ytd), its target, completion rate and rank among Ningbo's divisions.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
    where received_on >= (select min(quarters.year_start) from quarters)
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

-- each graduate once a year, by the quarters they were received in (macros/quarters_received.sql)
graduate_years as (
    select
        year(received_on) as received_year,
        {{ quarters_received('received_on') }} as quarters_received
    from intakes
    group by person_key, year(received_on)
),

graduates_by_quarters as (
    select
        received_year,
        quarters_received,
        count(*) as graduates
    from graduate_years
    group by received_year, quarters_received
),

received as (
    select
        quarters.quarter,
        coalesce(sum(graduates_by_quarters.graduates) filter (
            where {{ received_in_quarter('graduates_by_quarters.quarters_received',
                'quarters.quarter_number') }}
        ), 0)::bigint as quarter_intake,
        coalesce(sum(graduates_by_quarters.graduates), 0)::bigint as ytd_intake
    from quarters
    left join graduates_by_quarters
        on
            quarters.quarter_year = graduates_by_quarters.received_year
            and {{ received_by_quarter('graduates_by_quarters.quarters_received',
                'quarters.quarter_number') }}
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
