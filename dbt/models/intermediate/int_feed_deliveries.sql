-- One row per quarter and expected feed: whether it was delivered and whether on time, judged
-- here only (contract/feeds.md, "Delivery date"): the first version's delivery date against
-- the submission calendar's deadline. A delivery whose date nobody recorded (a first load of
-- history) is unknown, never late.
with quarters as (
    select * from {{ ref('int_quarters') }}
),

calendar as (
    select * from {{ ref('submission_calendar') }}
),

deliveries as (
    select * from {{ ref('stg_ledger__deliveries') }}
),

expected as (
    select
        quarters.quarter,
        calendar.feed,
        calendar.department,
        cast(quarters.quarter_end + to_days(calendar.due_days_after_quarter_end) as date) as due_on
    from quarters
    cross join calendar
),

final as (
    select
        expected.quarter,
        expected.feed,
        expected.department,
        expected.due_on,
        deliveries.delivered_on,
        deliveries.delivered_on_from,
        deliveries.first_version,
        deliveries.latest_version,
        deliveries.feed is not null as is_delivered,
        case
            when deliveries.feed is null then 'missing'
            when deliveries.delivered_on is null then 'unknown'
            when deliveries.delivered_on > expected.due_on then 'late'
            else 'on_time'
        end as delivery_status
    from expected
    left join deliveries
        on expected.feed = deliveries.feed and expected.quarter = deliveries.submission_quarter
)

select * from final
