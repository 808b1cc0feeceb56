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

baseline_periods as (
    select
        quarter,
        {{ quarter_dates('quarter') }}
    from covered
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
        quarter_end,
        false as is_reported
    from baseline_periods
)

select * from final
