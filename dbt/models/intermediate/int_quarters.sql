-- One row per quarter that has data: a regular (not baseline) submission of any feed loaded.
with submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

delivered as (
    select distinct submission_quarter as quarter
    from submissions
    where submission_status = 'loaded' and not is_baseline
),

numbered as (
    select
        quarter,
        cast(left(quarter, 4) as integer) as quarter_year,
        cast(right(quarter, 1) as integer) as quarter_number
    from delivered
),

dated as (
    select
        quarter,
        quarter_year,
        quarter_number,
        make_date(quarter_year, 1, 1) as year_start,
        make_date(quarter_year, 3 * quarter_number - 2, 1) as quarter_start
    from numbered
),

final as (
    select
        quarter,
        quarter_year,
        quarter_number,
        year_start,
        quarter_start,
        cast(quarter_start + interval 3 month - interval 1 day as date) as quarter_end,
        (quarter_year - 1) || 'Q' || quarter_number as same_quarter_last_year,
        case
            when quarter_number = 1 then (quarter_year - 1) || 'Q4'
            else quarter_year || 'Q' || (quarter_number - 1)
        end as previous_quarter
    from dated
)

select * from final
