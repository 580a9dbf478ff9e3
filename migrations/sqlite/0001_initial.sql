-- Initial schema. Portable SQL (SQLite now, PostgreSQL later):
-- ids are lowercase hyphenated UUID text, timestamps are microseconds since the Unix epoch (UTC),
-- so they sort and compare as plain integers on every backend.

CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    username      TEXT    NOT NULL,
    email         TEXT    NOT NULL,          -- stored lowercased
    password_hash TEXT    NOT NULL,          -- Argon2id PHC string
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT
);
-- Usernames and emails are unique without regard to case.
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE lists (
    id          TEXT   PRIMARY KEY,
    owner_id    TEXT   REFERENCES users (id) ON DELETE CASCADE,  -- NULL: unowned, visible to all
    title       TEXT   NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT
);
-- GET /lists filters by owner and orders by (created_at, id).
CREATE INDEX lists_owner_created ON lists (owner_id, created_at, id);

CREATE TABLE tasks (
    id          TEXT     PRIMARY KEY,
    list_id     TEXT     NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    title       TEXT     NOT NULL,
    description TEXT,
    completed   BOOLEAN  NOT NULL DEFAULT FALSE,
    priority    SMALLINT NOT NULL DEFAULT 1 CHECK (priority IN (0, 1, 2)),  -- low, medium, high
    categories  TEXT     NOT NULL DEFAULT '[]',                            -- JSON array of strings
    due_date    BIGINT,
    created_at  BIGINT   NOT NULL,
    updated_at  BIGINT
);
-- Tasks are always read per list, in creation order by default.
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);

-- Revoked tokens, kept until they would have expired anyway.
CREATE TABLE token_blacklist (
    jti        TEXT   PRIMARY KEY,
    user_id    TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX token_blacklist_expires ON token_blacklist (expires_at);
