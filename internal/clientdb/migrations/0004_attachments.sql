-- 0004: files attached to messages. The blob is kept encrypted, as it was
-- uploaded or downloaded (Session's attachment formats), in the home's
-- attachments/ folder; its key is here, in the encrypted database.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    url          TEXT    NOT NULL,
    key          BLOB    NOT NULL,
    digest       BLOB,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    state        INTEGER NOT NULL CHECK (state BETWEEN 1 AND 5),
    blob         TEXT    NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    UNIQUE (message, idx)
) STRICT;

-- Downloads due.
CREATE INDEX attachments_due ON attachments(next_try) WHERE state = 2;
