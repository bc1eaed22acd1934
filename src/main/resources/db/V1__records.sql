-- The records of several replicas (storage.type: s3). Ids are lowercased and versions normalized and lowercased in
-- every key column, so that any spelling of an id finds its row; the record keeps the first push's spelling.

-- One row per id and version: the record as SymbolPackageRecord writes it (available, pending, failed), and the
-- push that won the decision and is storing its blob (claim_sha512 until claim_until), so that pushes that lose
-- the decision never upload anything.
CREATE TABLE symbol_record (
  package_id   text NOT NULL,
  version      text NOT NULL,
  record       jsonb NOT NULL,
  claim_sha512 text,
  claim_until  timestamptz,
  PRIMARY KEY (package_id, version)
);

-- The first subject to push an id owns it.
CREATE TABLE package_owner (
  package_id text PRIMARY KEY,
  subject    text NOT NULL
);

-- Pending pushes to publish. A job is claimed with FOR UPDATE SKIP LOCKED and a lease; lease_token is the fencing
-- token that every finishing write checks. The row is deleted when the outcome is recorded in symbol_record.
CREATE TABLE publish_job (
  package_id  text NOT NULL,
  version     text NOT NULL,
  sha512      text NOT NULL,
  state       text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running')),
  not_before  timestamptz NOT NULL DEFAULT now(),
  owner       text,
  lease_token uuid,
  lease_until timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (package_id, version, sha512)
);
CREATE INDEX publish_job_due ON publish_job (not_before);

-- The PDBs debuggers can fetch, by SSQP file name and key (both lowercased); the first publisher of a key wins.
CREATE TABLE ssqp_entry (
  file_name  text NOT NULL,
  key        text NOT NULL,
  blob_key   text NOT NULL,
  size       bigint NOT NULL,
  etag       text NOT NULL,
  PRIMARY KEY (file_name, key)
);

-- The local feed's versions. 'storing' while the winner of the decision uploads the nupkg (until claim_until).
CREATE TABLE feed_package (
  package_id  text NOT NULL,
  version     text NOT NULL,
  state       text NOT NULL CHECK (state IN ('storing', 'stored')),
  claim_until timestamptz,
  subject     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, version)
);

-- rateLimit.pushesPerHour for the whole fleet: one token bucket per key (the key's SHA-256).
CREATE TABLE rate_bucket (
  key_sha256 text PRIMARY KEY,
  tokens     double precision NOT NULL,
  updated    timestamptz NOT NULL
);
