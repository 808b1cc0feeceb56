-- The gate's results, each run's checks with the plain-Chinese description leaders read; the
-- expectation's name stays for engineers (Data Docs).
with runs as (
    select * from {{ source('gate', 'runs') }}
),

results as (
    select * from {{ source('gate', 'results') }}
),

final as (
    select
        results.run_id,
        results.quarter,
        runs.run_at,
        runs.build_id,
        results.suite,
        results.check_name,
        results.expectation,
        results.severity,
        results.success,
        results.observed_value,
        results.unexpected_count,
        results.description_zh,
        results.waiver_id
    from results
    inner join runs on results.run_id = runs.run_id
)

select * from final
