-- One row per feed of the contract: its Chinese name and its department's, as the pack shows
-- them. Drawn from the sources dbt generates from contract/feeds.yaml (their meta), so the
-- names are written once, in the contract.
{%- set feeds = [] %}
{%- if execute %}
    {%- for source in graph.sources.values() if source.meta.get('title_zh') %}
        {%- do feeds.append(source) %}
    {%- endfor %}
{%- endif %}
{%- if feeds %}
    select
        feeds.feed,
        feeds.feed_name_zh,
        feeds.department,
        feeds.department_zh
    from (
        values
        {%- for source in feeds | sort(attribute='name') %}
            (
                '{{ source.name }}',
                '{{ source.meta.title_zh | replace("'", "''") }}',
                '{{ source.source_name }}',
                '{{ source.source_meta.department_zh | replace("'", "''") }}'
            ){{ "," if not loop.last }}
        {%- endfor %}
    ) as feeds (feed, feed_name_zh, department, department_zh)
{%- else %}
    -- parsing: the graph is not there yet
    select
        null::varchar as feed,
        null::varchar as feed_name_zh,
        null::varchar as department,
        null::varchar as department_zh
    where false
{%- endif %}
