-- The schema on PostgreSQL: the same tables as on SQLite, in PostgreSQL's own types (native uuid,
-- timestamptz with microseconds, a text[] of categories). Forward-only: later changes are new files.

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    username      text        NOT NULL,
    email         text        NOT NULL,          -- stored lowercased (all of Unicode, by the service)
    password_hash text        NOT NULL,          -- Argon2id PHC string
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz
);
-- Usernames are ASCII, so lower() folds them completely.
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE lists (
    id          uuid        PRIMARY KEY,
    owner_id    uuid        REFERENCES users (id) ON DELETE CASCADE,  -- NULL: unowned, visible to all
    title       text        NOT NULL,
    description text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz
);
CREATE INDEX lists_owner_created ON lists (owner_id, created_at, id);

CREATE TABLE tasks (
    id              uuid        PRIMARY KEY,
    list_id         uuid        NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    title           text        NOT NULL,
    description     text,
    completed       boolean     NOT NULL DEFAULT false,
    priority        smallint    NOT NULL DEFAULT 1 CHECK (priority IN (0, 1, 2)),  -- low, medium, high
    categories      text[]      NOT NULL DEFAULT '{}',
    due_date        timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz,
    -- Title and description folded to lowercase by the service (Unicode, the same on both
    -- backends), for the case-insensitive search and the title sort.
    title_key       text        NOT NULL DEFAULT '',
    description_key text        NOT NULL DEFAULT ''
);
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);

CREATE TABLE token_blacklist (
    jti        uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX token_blacklist_expires ON token_blacklist (expires_at);
