-- One row per internship base per quarterly roster: the base's history across snapshots.
with bases as (
    select * from {{ ref('stg_hrss__internship_base') }}
),

quarters as (
    select * from {{ ref('int_quarters') }}
),

final as (
    select
        bases.submission_quarter as quarter,
        bases.base_id,
        bases.org_name,
        bases.org_uscc,
        bases.base_type,
        bases.base_level,
        bases.designated_on,
        bases.revoked_on,
        bases.review_result,
        bases.positions,
        bases.trainees,
        bases.retained,
        year(bases.designated_on) = quarters.quarter_year as is_designated_this_year,
        -- revoked on the quarter's last day is revoked by then
        bases.designated_on <= quarters.quarter_end
        and (bases.revoked_on is null or bases.revoked_on > quarters.quarter_end) as is_active
    from bases
    inner join quarters on bases.submission_quarter = quarters.quarter
)

select * from final
