"""The gate's tables, created with the ledger at the first ingest, so that dbt's pack layer
(the source `gate`) can read them from the first build on, before any gate has run."""

RESULTS_DDL = """
create schema if not exists gate;
create table if not exists gate.runs (
    run_id varchar, quarter varchar, run_at timestamp, passed boolean,
    blocking_failures integer, warnings integer, data_docs varchar
);
-- the build the run validated (retention.builds); runs from before builds were recorded have none
alter table gate.runs add column if not exists build_id varchar;
-- blocking failures let through by a waiver (retention.gate.waivers): the run passed with them
alter table gate.runs add column if not exists waived integer;
create table if not exists gate.results (
    run_id varchar, quarter varchar, suite varchar, check_name varchar, expectation varchar,
    severity varchar, success boolean, observed_value varchar, unexpected_count bigint,
    description_zh varchar, description_en varchar
);
-- the digest of the rows the check read (a waiver names it), and the waiver a failure met
alter table gate.results add column if not exists data_digest varchar;
alter table gate.results add column if not exists waiver_id varchar;
"""
