{#- Every dbt run that touches the warehouse (build, run, seed, test) is on record in ops.builds,
    the same way whoever starts it (`retention build`, Cosmos's producer task, a retry falling
    back to one node): its id, start, end and outcome, and in ops.build_submissions the ledger's
    submissions in effect when it started, which are the data it read. A release is made only
    from the latest run if that was a full build that passed and the ledger has not changed
    since (retention.builds). A killed run never reaches on-run-end: it keeps no end and no
    success. -#}

{% macro record_build_start() %}
{%- if execute %}
{%- set args = invocation_args_dict %}
{#- a selection, a resource type or --empty builds less than the whole project -#}
{%- set narrowed = args.get('select') or args.get('exclude') or args.get('selector')
    or args.get('resource_types') or args.get('exclude_resource_types') or args.get('empty')
    or args.get('sample') %}
create schema if not exists ops;
create table if not exists ops.builds (
    build_id varchar primary key,
    command varchar,
    is_full boolean,
    started_at timestamp,
    ended_at timestamp,
    success boolean
);
create table if not exists ops.build_submissions (
    build_id varchar,
    submission_id bigint,
    file_sha256 varchar
);
{#- one transaction: its start time and the ledger it reads are the same instant -#}
begin transaction;
insert into ops.builds (build_id, command, is_full, started_at)
values (
    '{{ invocation_id }}',
    '{{ args.get("which") }}',
    {{ 'true' if args.get('which') == 'build' and not narrowed else 'false' }},
    now() at time zone 'UTC'
);
insert into ops.build_submissions
select '{{ invocation_id }}', submission_id, file_sha256
from ledger.submissions
where status = 'loaded';
commit;
{%- endif %}
{% endmacro %}

{% macro record_build_end(results) %}
{%- if execute %}
{#- warn is a test's declared non-blocking outcome: dbt counts it as passed, and so do we; an
    exposure (the leadership pack) has nothing to run and reports no-op -#}
{%- set failed = results | rejectattr('status', 'in', ['success', 'pass', 'warn', 'no-op']) | list %}
update ops.builds
set ended_at = now() at time zone 'UTC',
    success = {{ 'true' if results and not failed else 'false' }}
where build_id = '{{ invocation_id }}';
{%- endif %}
{% endmacro %}
