-- One row per housing event of the three housing feeds: units raised for rental housing
-- (保障性租赁住房), households placed in public rental housing (公租房) and talent apartments
-- sold (人才公寓), each with its date and what it counts.
with projects as (
    select * from {{ ref('stg_housing__rental_housing_project') }}
),

allocations as (
    select * from {{ ref('stg_housing__public_rental_allocation') }}
),

sales as (
    select * from {{ ref('stg_housing__talent_apartment_sale') }}
),

unioned as (
    select
        'rental_housing_project' as housing_event,
        project_id as event_id,
        raised_on as event_on,
        units,
        town
    from projects
    union all
    select
        'public_rental_allocation' as housing_event,
        case_id as event_id,
        start_on as event_on,
        1 as units,
        null as town
    from allocations
    union all
    select
        'talent_apartment_sale' as housing_event,
        contract_id as event_id,
        signed_on as event_on,
        1 as units,
        null as town
    from sales
)

select * from unioned
