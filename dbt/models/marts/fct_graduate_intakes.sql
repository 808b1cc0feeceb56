-- One row per graduate intake record (登记编号), current version only.
with intakes as (
    select * from {{ ref('stg_hrss__graduate_intake') }}
),

final as (
    select
        intake_record_id,
        person_key,
        id_masked,
        college_name,
        degree,
        major,
        graduated_on,
        employer_name,
        employer_uscc,
        industry_section,
        town,
        intake_channel,
        received_on,
        submission_quarter
    from intakes
)

select * from final
