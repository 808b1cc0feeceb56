-- One row per feed a department handed its history over for: the quarter its loaded baseline
-- runs to. Every period ending then or before has data for that feed (contract/kpis.md: a
-- baseline to 2022Q4 gives 2022's quarters and year to date).
with submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

final as (
    select
        feed,
        max(submission_quarter) as history_to
    from submissions
    where is_baseline and submission_status = 'loaded'
    group by feed
)

select * from final
