-- Each quarter's expected files: department and feed by their Chinese names, the deadline, the
-- delivery date and where it comes from, the status in words and the rows rejected from the
-- version in effect.
with deliveries as (
    select * from {{ ref('int_feed_deliveries') }}
),

feeds as (
    select * from {{ ref('int_feed_names') }}
),

labels as (
    select * from {{ ref('delivery_labels') }}
),

submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

rejected as (
    select
        submission_quarter as quarter,
        feed,
        cast(sum(rows_rejected) as bigint) as rows_rejected
    from submissions
    where submission_status = 'loaded' and not is_baseline
    group by submission_quarter, feed
),

final as (
    select
        deliveries.quarter,
        deliveries.department,
        feeds.department_zh,
        deliveries.feed,
        feeds.feed_name_zh,
        deliveries.due_on,
        deliveries.is_delivered,
        deliveries.delivered_on,
        deliveries.delivered_on_from,
        date_sources.label_zh as delivered_on_from_zh,
        deliveries.delivery_status,
        statuses.label_zh as status_zh,
        deliveries.first_version,
        deliveries.latest_version,
        rejected.rows_rejected
    from deliveries
    left join feeds on deliveries.feed = feeds.feed
    left join labels as statuses
        on statuses.kind = 'status' and deliveries.delivery_status = statuses.code
    left join labels as date_sources
        on date_sources.kind = 'date_source' and deliveries.delivered_on_from = date_sources.code
    left join rejected
        on deliveries.quarter = rejected.quarter and deliveries.feed = rejected.feed
)

select * from final
