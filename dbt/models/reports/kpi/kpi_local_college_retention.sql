-- Cohorts of the local college (留慈率): the quarter's year and the year before, counting
-- graduates up to the quarter's end; retained = received in Cixi from 183 days before
-- graduation to the quarter's end. The split by industry programme counts a graduate who
-- joined one at any date: a changed industry_program file computes every period again.
{{ config(
    meta={'reads_whole_history': ['industry_program']}
) }}

with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

graduates as (
    select * from {{ ref('dim_local_college_graduates') }}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
),

members as (
    select
        quarters.quarter,
        quarters.quarter_end,
        graduates.cohort_year,
        graduates.person_key,
        bool_or(graduates.in_industry_program) as in_industry_program
    from quarters
    inner join graduates
        on
            graduates.cohort_year in (quarters.quarter_year, quarters.quarter_year - 1)
            and quarters.quarter_end >= graduates.graduated_on
    group by quarters.quarter, quarters.quarter_end, graduates.cohort_year, graduates.person_key
),

-- A member's earliest graduation in a cohort is the same in every quarter they are a member
-- (it is the first of their rows to count), so each graduate's first receipt in the window is
-- found once, not once per quarter: joined per quarter, the receipts did not fit DuckDB's 1 GB
-- at x100.
first_graduations as (
    select
        cohort_year,
        person_key,
        min(graduated_on) as graduated_on
    from graduates
    group by cohort_year, person_key
),

first_receipts as (
    select
        first_graduations.cohort_year,
        first_graduations.person_key,
        min(intakes.received_on) as received_on
    from first_graduations
    inner join intakes
        on
            first_graduations.person_key = intakes.person_key
            and intakes.received_on >= first_graduations.graduated_on - interval 183 day
    group by first_graduations.cohort_year, first_graduations.person_key
),

retention as (
    select
        members.quarter,
        members.cohort_year,
        members.person_key,
        members.in_industry_program,
        coalesce(first_receipts.received_on <= members.quarter_end, false) as is_retained
    from members
    left join first_receipts
        on
            members.cohort_year = first_receipts.cohort_year
            and members.person_key = first_receipts.person_key
),

cohorts as (
    select
        quarter,
        quarter_year as cohort_year
    from quarters
    union all
    select
        quarter,
        quarter_year - 1 as cohort_year
    from quarters
),

by_cohort as (
    select
        cohorts.quarter,
        cohorts.cohort_year,
        count(retention.person_key) as cohort_size,
        count(*) filter (where retention.is_retained) as retained
    from cohorts
    left join retention
        on cohorts.quarter = retention.quarter and cohorts.cohort_year = retention.cohort_year
    group by cohorts.quarter, cohorts.cohort_year
),

programme_flags as (
    select unnest([true, false]) as in_industry_program
),

by_programme as (
    select
        cohorts.quarter,
        cohorts.cohort_year,
        programme.in_industry_program,
        count(retention.person_key) as cohort_size,
        count(*) filter (where retention.is_retained) as retained
    from cohorts
    cross join programme_flags as programme
    left join retention
        on
            cohorts.quarter = retention.quarter
            and cohorts.cohort_year = retention.cohort_year
            and programme.in_industry_program = retention.in_industry_program
    group by all
),

final as (
    {% set cohort = "json_object('cohort_year', cohort_year)" %}
    {% set split = "json_object('cohort_year', cohort_year, "
        ~ "'industry_program', in_industry_program)" %}
    {% set rate = "retained / nullif(cohort_size, 0)" %}
    {{ kpi_row('local_college_cohort_size', 'cohort', 'cohort_size', cohort) }} from by_cohort
    union all
    {{ kpi_row('local_college_retained', 'cohort', 'retained', cohort) }} from by_cohort
    union all
    {{ kpi_row('local_college_retention_rate', 'cohort', rate, cohort) }} from by_cohort
    union all
    {{ kpi_row('local_college_retention_rate', 'cohort', rate, split) }} from by_programme
)

select * from final
