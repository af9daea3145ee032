// The ledger's schema, as numbered migrations. A migration is never edited
// once released: changes are new entries, applied in order in one
// transaction each, and recorded in schema_version.
#pragma once

#include <array>

namespace basin::ledger::detail {

inline constexpr std::array<const char*, 6> kMigrations = {
    // 1: usage records, keyed by the hash of their signed bytes.
    R"sql(
CREATE TABLE records (
  id            INTEGER PRIMARY KEY,
  content_hash  BLOB    NOT NULL UNIQUE,   -- SHA-256 of the signed record file
  identity      TEXT    NOT NULL,          -- cluster/job.step/rN/node
  cluster       TEXT    NOT NULL,
  job_id        INTEGER NOT NULL,
  step          TEXT    NOT NULL,
  restart_count INTEGER NOT NULL,
  node          TEXT    NOT NULL,
  site          TEXT    NOT NULL,
  account       TEXT    NOT NULL,
  submit_time   INTEGER NOT NULL,
  end_time      INTEGER NOT NULL,
  cpu_us        INTEGER NOT NULL,
  conflict      INTEGER NOT NULL DEFAULT 0, -- another record claims this identity
  signed_record BLOB    NOT NULL,
  source        TEXT    NOT NULL,           -- the file it was ingested from
  ingested_at   INTEGER NOT NULL
);
CREATE INDEX records_identity ON records(identity);
CREATE INDEX records_job ON records(cluster, job_id, submit_time);
)sql",
    // 2: receipts, stored once as the leaves of their provider site's RFC
    // 6962 log (one log per origin), and each log's signed checkpoints.
    R"sql(
CREATE TABLE log_leaves (
  origin     TEXT    NOT NULL,              -- the log, e.g. pool/site/receipts
  leaf_index INTEGER NOT NULL,              -- 0, 1, 2, ... without gaps per log
  leaf_hash  BLOB    NOT NULL,              -- SHA-256(0x00 || data)
  data       BLOB    NOT NULL,              -- a receipt's canonical encoding
  PRIMARY KEY (origin, leaf_index)
);
CREATE TABLE receipts (
  id            INTEGER PRIMARY KEY,
  record_id     INTEGER NOT NULL UNIQUE REFERENCES records(id),
  origin        TEXT    NOT NULL,
  leaf_index    INTEGER NOT NULL,
  provider_site TEXT    NOT NULL,
  account       TEXT    NOT NULL,
  period        TEXT    NOT NULL,           -- YYYY-MM
  issued_at     INTEGER NOT NULL,
  UNIQUE (origin, leaf_index),
  FOREIGN KEY (origin, leaf_index) REFERENCES log_leaves(origin, leaf_index)
);
CREATE INDEX receipts_period ON receipts(period, provider_site, account);
CREATE TABLE checkpoints (
  origin     TEXT    NOT NULL,
  tree_size  INTEGER NOT NULL,
  root       BLOB    NOT NULL,
  note       TEXT    NOT NULL,              -- C2SP checkpoint in a signed note
  created_at INTEGER NOT NULL,
  PRIMARY KEY (origin, tree_size)
);
)sql",
    // 3: credit budgets: what each account was granted (an append-only
    // list; a correction is a negative grant), and the periods a signed
    // statement settled (their charges count against the budgets).
    R"sql(
CREATE TABLE budget_grants (
  id            INTEGER PRIMARY KEY,
  account       TEXT    NOT NULL,
  micro_credits INTEGER NOT NULL,
  note          TEXT    NOT NULL,
  granted_at    INTEGER NOT NULL
);
CREATE INDEX budget_grants_account ON budget_grants(account);
CREATE TABLE settled_periods (
  period           TEXT    PRIMARY KEY,     -- YYYY-MM
  statement_sha256 TEXT    NOT NULL,        -- hex SHA-256 of the statement JSON
  settled_at       INTEGER NOT NULL
);
)sql",
    // 4: the exchange between sites: the other sites' logs this site
    // mirrors (their leaves go to log_leaves, their checkpoints to
    // checkpoints, under their own origin), witness cosignatures on
    // checkpoints, forks found (both signed checkpoints kept as evidence) and
    // what this site last exported of its own log; the providers' signed
    // openings of each pair's total per closed period.
    R"sql(
CREATE TABLE cosignatures (
  origin    TEXT    NOT NULL,
  tree_size INTEGER NOT NULL,
  witness   TEXT    NOT NULL,              -- cosigner name
  line      TEXT    NOT NULL,              -- the note signature line
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (origin, tree_size, witness)
);
CREATE TABLE forks (
  id        INTEGER PRIMARY KEY,
  origin    TEXT    NOT NULL,
  seen_note TEXT    NOT NULL,              -- the checkpoint this site had accepted
  new_note  TEXT    NOT NULL,              -- the signed checkpoint that does not extend it
  reason    TEXT    NOT NULL,
  found_at  INTEGER NOT NULL
);
CREATE TABLE pair_openings (
  period    TEXT    NOT NULL,              -- YYYY-MM
  provider  TEXT    NOT NULL,
  consumer  TEXT    NOT NULL,
  note      TEXT    NOT NULL,              -- the provider's signed opening
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (period, provider, consumer)
);
CREATE TABLE bundle_exports (
  origin      TEXT    NOT NULL,
  tree_size   INTEGER NOT NULL,
  exported_at INTEGER NOT NULL
);
)sql",
    // 5: the quarantine: validly signed records whose figures or strings are
    // impossible (ingest's bounds checks). Kept with their signed bytes so
    // nothing a node sent is lost, but never issued or charged: nothing
    // outside this table reads them.
    R"sql(
CREATE TABLE quarantine (
  id             INTEGER PRIMARY KEY,
  content_hash   BLOB    NOT NULL UNIQUE,  -- SHA-256 of the signed record file
  identity       TEXT    NOT NULL,         -- printable (control bytes as \xNN)
  reason         TEXT    NOT NULL,         -- why ingest set it aside
  signed_record  BLOB    NOT NULL,
  source         TEXT    NOT NULL,         -- the file it was ingested from
  quarantined_at INTEGER NOT NULL
);
)sql",
    // 6: replica evidence: for receipts of replicated jobs, the node-signed
    // record and the receipt's job salt, as the provider published them in
    // its bundles (this site's own rows are what it exported), so replica
    // groups that span sites are judged alike at every site.
    R"sql(
CREATE TABLE replica_evidence (
  origin        TEXT    NOT NULL,          -- the provider's log
  leaf_index    INTEGER NOT NULL,          -- the receipt's leaf there
  salt          BLOB    NOT NULL,          -- 32 bytes: job_ref = SHA-256(identity, salt)
  signed_record BLOB    NOT NULL,          -- the node-signed record file
  added_at      INTEGER NOT NULL,
  PRIMARY KEY (origin, leaf_index)
);
)sql",
};

}  // namespace basin::ledger::detail
