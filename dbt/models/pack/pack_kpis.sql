-- The pack's KPIs: each published value with its changes, its target and the time-elapsed
-- schedule (时序进度), and how the pack presents it (catalogue, unit, section, feed).
with kpis as (
    select * from {{ ref('rpt_quarterly_kpis') }}
),

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

units as (
    select * from {{ ref('kpi_units') }}
),

sections as (
    select * from {{ ref('pack_sections') }}
),

feeds as (
    select * from {{ ref('int_feed_names') }}
),

quarters as (
    select * from {{ ref('int_quarters') }}
),

final as (
    select
        kpis.quarter,
        kpis.kpi,
        kpis.scope,
        kpis.dimension,
        kpis.value,
        kpis.unit,
        kpis.yoy,
        kpis.qoq,
        kpis.last_year_value,
        kpis.previous_quarter_value,
        targets.value as target_value,
        quarters.quarter_number / 4 as schedule_progress,
        -- a cohort of the quarter's own year: not all its graduates are six months out yet
        coalesce(
            kpis.scope = 'cohort'
            and json_extract_string(kpis.dimension, '$.cohort_year')::integer
            = quarters.quarter_year,
            false
        ) as is_partial_cohort,
        kpis.has_data,
        catalogue.section,
        sections.title_zh as section_title_zh,
        sections.position as section_position,
        catalogue.position,
        catalogue.headline,
        catalogue.name_zh,
        catalogue.definition_zh,
        units.measure_word,
        units.decimals,
        catalogue.change_rule,
        catalogue.source_feed,
        feeds.feed_name_zh
    from kpis
    inner join quarters on kpis.quarter = quarters.quarter
    left join catalogue on kpis.kpi = catalogue.kpi and kpis.scope = catalogue.scope
    left join units on kpis.unit = units.unit
    left join sections on catalogue.section = sections.section
    left join feeds on catalogue.source_feed = feeds.feed
    left join kpis as targets
        on
            kpis.quarter = targets.quarter
            and catalogue.target_kpi = targets.kpi
            and kpis.scope = targets.scope
            and kpis.dimension = targets.dimension
)

select * from final
