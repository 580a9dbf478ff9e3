-- Case-folded copies of task titles and descriptions, written by the service (Rust's Unicode
-- lowercase), so that `q` searches and title sorting ignore case beyond ASCII: SQLite's own
-- lower() folds ASCII only. Rows from before this migration get lower(), the best SQL can do.
ALTER TABLE tasks ADD COLUMN title_key TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN description_key TEXT NOT NULL DEFAULT '';
UPDATE tasks SET title_key = lower(title), description_key = lower(COALESCE(description, ''));
