{#- Models that compute one row set per period (int_kpi_periods' quarter) can be incremental:
    a build computes again only the periods from the first one whose inputs changed since the
    model was last built, and keeps the earlier ones. A period's figures depend only on files of
    its own quarter and earlier (an event file holds rows dated inside its quarter, a snapshot
    file is read for its own quarter; contract/feeds.md), and a later period's changes on the
    earlier ones, so a restated file of an old quarter recomputes that quarter and every one
    after it. Such a model is configured so (every model in models/reports/kpi/ is, from
    dbt_project.yml):

        materialized='incremental', incremental_strategy='recompute_periods',
        on_schema_change='sync_all_columns', post_hook='{{ record_period_inputs() }}'

    and filters its periods: {% if is_incremental() %} where quarter >= {{ recompute_from() }}
    {% endif %}. Its unit tests set is_incremental: false.

    What a model was computed from is on record in ops.incremental_inputs: the ledger's loaded
    submissions and the periods when it was built, and a fingerprint of its SQL and of every
    model and seed upstream (reference data staff edit, such as intake_targets). Every period is
    computed again when there is no record, the fingerprint differs, or a changed file is a
    baseline (history of any date) or of a feed the model reads regardless of date (its
    meta.reads_whole_history, e.g. industry_program: a person "appears in industry_program"
    whenever they joined). A changed macro is not in the fingerprint: after changing one, run
    `retention build --full-refresh`. -#}

{#- The record's table; created before any model runs (on-run-start), so that an incremental
    model always finds it. -#}
{% macro create_incremental_inputs() %}
create schema if not exists ops;
create table if not exists ops.incremental_inputs (
    model varchar primary key,
    build_id varchar,
    fingerprint varchar,
    submissions struct(submission_id bigint, file_sha256 varchar)[],
    periods varchar[],
    -- the first period that build computed: '' all of them, null none
    recomputed_from varchar
);
{% endmacro %}

{#- The model's upstream: a fingerprint of its own and every upstream model's and seed's file,
    and the raw feeds it reads. -#}
{% macro period_model_upstream() %}
{%- set ids = [model.unique_id] %}
{%- set checksums = [] %}
{%- set feeds = [] %}
{%- for id in ids %}
    {%- if id in graph.nodes %}
        {%- set node = graph.nodes[id] %}
        {%- do checksums.append(id ~ '=' ~ node.checksum.checksum) %}
        {%- for parent in node.depends_on.nodes if parent not in ids %}
            {%- do ids.append(parent) %}
        {%- endfor %}
    {%- elif id in graph.sources and graph.sources[id].schema == 'raw' %}
        {%- do feeds.append(graph.sources[id].name) %}
    {%- endif %}
{%- endfor %}
{{ return({'fingerprint': local_md5(checksums | sort | join(',')), 'feeds': feeds | sort}) }}
{% endmacro %}

{%- macro _quoted(values) -%}
{%- for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- The first period to compute again, as a scalar subquery: '' (before every quarter) for all
    of them, null for none. -#}
{% macro recompute_from() %}
{%- set upstream = period_model_upstream() %}
{%- set whole_history = model.config.meta.get('reads_whole_history', []) %}
(
    with recorded as (
        select * from ops.incremental_inputs
        where model = '{{ model.unique_id }}' and fingerprint = '{{ upstream.fingerprint }}'
    ),

    read_then as (
        select unnest(submissions, recursive := true) from recorded
    ),

    read_now as (
        select submission_id, file_sha256 from ledger.submissions where status = 'loaded'
    ),

    changed as (
        (select * from read_then except select * from read_now)
        union
        (select * from read_now except select * from read_then)
    ),

    changed_quarters as (
        select
            case
                when submissions.is_baseline then ''
                {%- if whole_history %}
                    when submissions.feed in ({{ _quoted(whole_history) }}) then ''
                {%- endif %}
                else submissions.quarter
            end as quarter
        from changed
        inner join ledger.submissions as submissions
            on changed.submission_id = submissions.submission_id
        where
            {%- if upstream.feeds %} submissions.feed in ({{ _quoted(upstream.feeds) }})
            {%- else %} false
            {%- endif %}
    ),

    periods_then as (
        select unnest(periods) as quarter from recorded
    ),

    periods_now as (
        select quarter from {{ ref('int_kpi_periods') }}
    ),

    changed_periods as (
        (select quarter from periods_then except select quarter from periods_now)
        union
        (select quarter from periods_now except select quarter from periods_then)
    )

    select
        case
            when not exists (select 1 from recorded) then ''
            else least(
                (select min(quarter) from changed_quarters),
                (select min(quarter) from changed_periods)
            )
        end
)
{%- endmacro %}

{#- The strategy: the periods from recompute_from() on are replaced by the ones just computed
    (a period that is no longer one goes too); earlier ones a model computed anyway are not
    inserted twice. -#}
{% macro get_incremental_recompute_periods_sql(arg_dict) %}
{%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
delete from {{ arg_dict['target_relation'] }} where quarter >= {{ recompute_from() }};
insert into {{ arg_dict['target_relation'] }} ({{ columns }})
select {{ columns }} from {{ arg_dict['temp_relation'] }}
where quarter >= {{ recompute_from() }}
{%- endmacro %}

{#- The post-hook: what the model's rows now come from, in the transaction that wrote them, and
    the first period this build computed (read from the record it replaces). -#}
{% macro record_period_inputs() %}
{%- if execute %}
{%- set upstream = period_model_upstream() %}
insert or replace into ops.incremental_inputs
select
    '{{ model.unique_id }}',
    '{{ invocation_id }}',
    '{{ upstream.fingerprint }}',
    (
        select coalesce(list({'submission_id': submission_id, 'file_sha256': file_sha256}), [])
        from ledger.submissions
        where status = 'loaded'
    ),
    (select coalesce(list(quarter), []) from {{ ref('int_kpi_periods') }}),
    {{ recompute_from() if is_incremental() else "''" }};
{%- endif %}
{% endmacro %}
