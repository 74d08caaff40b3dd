-- Tiller server schema, SQLite dialect. Forward-only: never edit an applied migration,
-- add a new numbered file instead (and its PostgreSQL twin).
-- Times are milliseconds since the Unix epoch (UTC); every mutable row has a version.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  is_admin BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE setup_tokens (
  token_hash TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE programs (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_by BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  -- Bumped by every change to the program's records or baselines: part of the
  -- analysis cache key.
  state_seq BIGINT NOT NULL DEFAULT 0,
  head_revision BIGINT
);

CREATE TABLE members (
  program_id BIGINT NOT NULL REFERENCES programs(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (program_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

CREATE TABLE blobs (
  hash TEXT PRIMARY KEY,
  content BLOB NOT NULL
);

CREATE TABLE revisions (
  id INTEGER PRIMARY KEY,
  program_id BIGINT NOT NULL REFERENCES programs(id),
  number BIGINT NOT NULL,
  root TEXT NOT NULL,
  bundle_hash TEXT NOT NULL,
  index_json TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  message TEXT,
  author_id BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  UNIQUE (program_id, number)
);

CREATE TABLE revision_files (
  revision_id BIGINT NOT NULL REFERENCES revisions(id),
  path TEXT NOT NULL,
  blob_hash TEXT NOT NULL REFERENCES blobs(hash),
  PRIMARY KEY (revision_id, path)
);

CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  program_id BIGINT NOT NULL REFERENCES programs(id),
  -- 'progress' or 'raid': the plan format's id namespaces.
  ns TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  body TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_by BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  updated_by BIGINT NOT NULL REFERENCES users(id),
  updated_at BIGINT NOT NULL,
  UNIQUE (program_id, ns, key)
);

CREATE TABLE record_history (
  record_id BIGINT NOT NULL REFERENCES records(id),
  version BIGINT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  author_id BIGINT NOT NULL REFERENCES users(id),
  at BIGINT NOT NULL,
  PRIMARY KEY (record_id, version)
);

CREATE TABLE baselines (
  id INTEGER PRIMARY KEY,
  program_id BIGINT NOT NULL REFERENCES programs(id),
  name TEXT NOT NULL,
  revision_number BIGINT NOT NULL,
  saved TEXT NOT NULL,
  content TEXT NOT NULL,
  created_by BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  UNIQUE (program_id, name)
);

CREATE TABLE analysis_cache (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  program_id BIGINT NOT NULL REFERENCES programs(id),
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  threshold DOUBLE PRECISION,
  active BIGINT NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_by BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  locked_until BIGINT,
  last_code BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries(webhook_id);

CREATE TABLE delivery_attempts (
  delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
  attempt BIGINT NOT NULL,
  at BIGINT NOT NULL,
  code BIGINT,
  error TEXT,
  duration_ms BIGINT NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);

-- Facts already acted on (a colour reported, an overdue entry notified), so several
-- server processes notify each event once.
CREATE TABLE marks (
  program_id BIGINT NOT NULL REFERENCES programs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (program_id, key)
);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at BIGINT NOT NULL,
  user_id BIGINT,
  program_id BIGINT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_program ON audit(program_id, id);
