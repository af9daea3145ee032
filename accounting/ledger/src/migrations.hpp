// The ledger's schema, as numbered migrations. A migration is never edited
// once released: changes are new entries, applied in order in one
// transaction each, and recorded in schema_version.
#pragma once

#include <array>

namespace basin::ledger::detail {

inline constexpr std::array<const char*, 1> kMigrations = {
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
};

}  // namespace basin::ledger::detail
