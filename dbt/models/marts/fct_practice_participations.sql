-- One row per youth practice enrolment (“家燕归巢”), with the position it names when that
-- position was delivered (the quality gate reports those that were not).
with participants as (
    select * from {{ ref('stg_youth__practice_participant') }}
),

positions as (
    select
        position_id,
        min(published_on) as published_on,
        any_value(position_category) as position_category
    from {{ ref('stg_youth__practice_position') }}
    group by position_id
),

final as (
    select
        participants.enrollment_id,
        participants.person_key,
        participants.college_name,
        participants.position_id,
        positions.position_category,
        positions.published_on is not null as has_delivered_position,
        participants.start_on,
        participants.end_on,
        participants.submission_quarter
    from participants
    left join positions on participants.position_id = positions.position_id
)

select * from final
