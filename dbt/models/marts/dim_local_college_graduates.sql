-- One row per graduate of the local college (学号), with the cohort they belong to and
-- whether they took part in an industry programme (产教融合).
with roster as (
    select * from {{ ref('stg_edu__graduate_roster') }}
),

programme as (
    select distinct person_key from {{ ref('stg_edu__industry_program') }}
),

final as (
    select
        roster.student_no,
        roster.person_key,
        roster.faculty,
        roster.major,
        roster.degree,
        roster.graduated_on,
        year(roster.graduated_on) as cohort_year,
        programme.person_key is not null as in_industry_program
    from roster
    left join programme on roster.person_key = programme.person_key
)

select * from final
