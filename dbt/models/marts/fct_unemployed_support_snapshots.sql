-- One row per unemployed graduate per quarterly support ledger (帮扶台账).
with ledger as (
    select * from {{ ref('stg_hrss__unemployed_support') }}
),

final as (
    select
        submission_quarter as quarter,
        person_key,
        college_name,
        graduated_on,
        filed_on,
        service_count,
        service_count >= 1 as is_served,
        employment_status,
        employment_status = '已就业' as is_employed,
        employed_on
    from ledger
)

select * from final
