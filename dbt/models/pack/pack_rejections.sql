-- Rows rejected from the files in effect, by quarter, feed and reason, in words.
with rejected_rows as (
    select * from {{ ref('stg_ledger__rejected_rows') }}
),

submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

feeds as (
    select * from {{ ref('int_feed_names') }}
),

reasons as (
    select * from {{ ref('rejection_reasons') }}
),

counted as (
    select
        rejected_rows.submission_quarter as quarter,
        rejected_rows.feed,
        rejected_rows.rejection_reason as reason,
        count(*) as rows_rejected
    from rejected_rows
    inner join submissions
        on
            rejected_rows.file_sha256 = submissions.file_sha256
            and submissions.submission_status = 'loaded'
    group by rejected_rows.submission_quarter, rejected_rows.feed, rejected_rows.rejection_reason
),

final as (
    select
        counted.quarter,
        counted.feed,
        feeds.feed_name_zh,
        counted.reason,
        coalesce(reasons.reason_zh, counted.reason) as reason_zh,
        counted.rows_rejected
    from counted
    left join feeds on counted.feed = feeds.feed
    left join reasons on counted.reason = reasons.reason
)

select * from final
