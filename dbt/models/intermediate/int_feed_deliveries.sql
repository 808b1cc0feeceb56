-- One row per quarter and expected feed: whether its submission arrived, and whether late.
with quarters as (
    select * from {{ ref('int_quarters') }}
),

calendar as (
    select * from {{ ref('submission_calendar') }}
),

submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

loaded as (
    select
        feed,
        submission_quarter as quarter,
        min(ingested_at) as first_loaded_at,
        max(submission_version) as latest_version
    from submissions
    where submission_status in ('loaded', 'superseded') and not is_baseline
    group by feed, submission_quarter
),

expected as (
    select
        quarters.quarter,
        quarters.quarter_end,
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
        loaded.first_loaded_at,
        loaded.latest_version,
        loaded.feed is not null as is_delivered,
        coalesce(cast(loaded.first_loaded_at as date) > expected.due_on, false) as is_late
    from expected
    left join loaded
        on expected.feed = loaded.feed and expected.quarter = loaded.quarter
)

select * from final
