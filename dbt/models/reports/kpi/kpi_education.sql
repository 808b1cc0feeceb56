-- Education: students in industry programmes (cumulative) and talents whose children were
-- enrolled in school (year to date).
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

programme as (
    select * from {{ ref('stg_edu__industry_program') }}
),

enrollments as (
    select * from {{ ref('stg_edu__talent_child_enrollment') }}
),

students as (
    select
        quarters.quarter,
        count(distinct programme.person_key) as students
    from quarters
    left join programme on quarters.quarter_end >= programme.joined_on
    group by quarters.quarter
),

talents as (
    select
        quarters.quarter,
        count(distinct enrollments.talent_person_key) as talents
    from quarters
    left join enrollments
        on enrollments.resolved_on between quarters.year_start and quarters.quarter_end
    group by quarters.quarter
),

final as (
    {{ kpi_row('industry_program_students', 'cumulative', 'students') }} from students
    union all
    {{ kpi_row('talent_child_enrollments', 'ytd', 'talents') }} from talents
)

select * from final
