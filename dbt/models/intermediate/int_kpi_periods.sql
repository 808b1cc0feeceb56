-- The quarters the KPI models compute: every quarter with data (int_quarters) and, where a
-- baseline's history covers them, the quarters those are compared with (the same quarter a
-- year earlier, the previous quarter), so that the first regular year has its yoy and qoq.
-- Only int_quarters' quarters are published (is_reported).
with quarters as (
    select * from {{ ref('int_quarters') }}
),

histories as (
    select * from {{ ref('int_feed_histories') }}
),

compared as (
    select same_quarter_last_year as quarter from quarters
    union
    select previous_quarter as quarter from quarters
),

history as (
    select max(history_to) as history_to from histories
),

covered as (
    select compared.quarter
    from compared
    inner join history on compared.quarter <= history.history_to
    anti join quarters on compared.quarter = quarters.quarter
),

numbered as (
    select
        quarter,
        cast(left(quarter, 4) as integer) as quarter_year,
        cast(right(quarter, 1) as integer) as quarter_number
    from covered
),

baseline_periods as (
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
        quarter_end,
        true as is_reported
    from quarters
    union all
    select
        quarter,
        quarter_year,
        quarter_number,
        year_start,
        quarter_start,
        cast(quarter_start + interval 3 month - interval 1 day as date) as quarter_end,
        false as is_reported
    from baseline_periods
)

select * from final
