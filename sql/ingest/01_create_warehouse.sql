-- The warehouse bookkeeping tables; the accepted-row tables are created from
-- the contracts (src/ingest/warehouse-sql.ts).
-- Grain: ingested_files = one row per delivered file; rejects = one row per
-- rejected input row (DESIGN §2 rejects ledger).
create table if not exists ingested_files (
    delivery_id varchar not null,
    extract_date date not null,
    file varchar not null,
    extract varchar not null,
    sha256 varchar not null,
    rows_read bigint not null,
    rows_accepted bigint not null,
    rows_rejected bigint not null,
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
