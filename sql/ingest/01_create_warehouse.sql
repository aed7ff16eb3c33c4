-- The warehouse bookkeeping tables; the tables of accepted rows in force and
-- of their superseded versions are created from the contracts
-- (src/ingest/load-sql.ts).
-- Grain: ingested_files = one row per delivered file; rejects = one row per
-- rejected input row (DESIGN §2 rejects ledger); extract_coverage = one row
-- per delivered file of an extract with a time dimension.
-- Per file: rows_read = rows_accepted + rows_rejected, and the accepted rows
-- split into rows_inserted (a new key), rows_replaced (replaced the version
-- in force, which moves to <extract>_superseded), rows_unchanged (equal to
-- the version in force, which stays) and rows_stale (older than the version
-- in force: kept in <extract>_superseded only). rows_withdrawn: rows in force
-- from earlier deliveries that a full file does not hold (moved to history).
-- Reads: (none). Writes: warehouse_meta, ingested_files, rejects, extract_coverage.
create table if not exists warehouse_meta (schema_version integer not null);

create table if not exists ingested_files (
    delivery_id varchar not null,
    extract_date date not null,
    file varchar not null,
    extract varchar not null,
    mode varchar not null,
    sha256 varchar not null,
    rows_read bigint not null,
    rows_accepted bigint not null,
    rows_rejected bigint not null,
    rows_inserted bigint not null,
    rows_replaced bigint not null,
    rows_unchanged bigint not null,
    rows_stale bigint not null,
    rows_withdrawn bigint not null,
    ingested_by_run varchar not null,
    primary key (delivery_id, file)
);

create table if not exists rejects (
    run_id varchar not null,
    delivery_id varchar not null,
    file varchar not null,
    line_number bigint not null,
    extract varchar not null,
    rule_id varchar not null,
    reason varchar not null,
    row_hash varchar not null
);

create table if not exists extract_coverage (
    delivery_id varchar not null,
    extract_date date not null,
    extract varchar not null,
    mode varchar not null,
    coverage_from date,
    coverage_to date,
    source varchar not null,
    primary key (delivery_id, extract)
);
