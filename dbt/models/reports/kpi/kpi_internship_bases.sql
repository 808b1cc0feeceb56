-- Internship bases (见习基地) from each quarter's roster: new this year, active, positions
-- and the retention of trainees (见习留用率) over active bases.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
    {%- if is_incremental() %}
        where quarter >= {{ recompute_from() }}
    {%- endif %}
),

bases as (
    select * from {{ ref('fct_internship_base_snapshots') }}
),

measured as (
    select
        quarters.quarter,
        count(bases.base_id) filter (where bases.is_designated_this_year) as new_bases,
        count(bases.base_id) filter (where bases.is_active) as active_bases,
        coalesce(sum(bases.positions) filter (where bases.is_active), 0) as positions,
        sum(bases.retained) filter (where bases.is_active)
        / nullif(sum(bases.trainees) filter (where bases.is_active), 0) as retention_rate
    from quarters
    left join bases on quarters.quarter = bases.quarter
    group by quarters.quarter
),

final as (
    {{ kpi_row('internship_bases_new', 'ytd', 'new_bases') }} from measured
    union all
    {{ kpi_row('internship_bases_active', 'as_of', 'active_bases') }} from measured
    union all
    {{ kpi_row('internship_positions', 'as_of', 'positions') }} from measured
    union all
    {{ kpi_row('internship_retention_rate', 'as_of', 'retention_rate') }} from measured
)

select * from final
