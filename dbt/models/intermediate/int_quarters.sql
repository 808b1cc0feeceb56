-- One row per quarter that has data: a regular (not baseline) submission of any feed loaded.
with submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

delivered as (
    select distinct submission_quarter as quarter
    from submissions
    where submission_status = 'loaded' and not is_baseline
),

dated as (
    select
        quarter,
        {{ quarter_dates('quarter') }}
    from delivered
),

final as (
    select
        quarter,
        quarter_year,
        quarter_number,
        year_start,
        quarter_start,
        quarter_end,
        (quarter_year - 1) || 'Q' || quarter_number as same_quarter_last_year,
        case
            when quarter_number = 1 then (quarter_year - 1) || 'Q4'
            else quarter_year || 'Q' || (quarter_number - 1)
        end as previous_quarter
    from dated
)

select * from final
