-- One row per stored file. The blob itself is files/<id> in the server's
-- folder; a file without a row (a crash between the two) is removed at
-- start-up, and so is a row without its file.
CREATE TABLE files (
    id       TEXT PRIMARY KEY,     -- urlsafe base64 of BLAKE2b-33 of the content
    size     INTEGER NOT NULL,
    uploaded REAL NOT NULL,        -- unix seconds
    expires  REAL NOT NULL         -- unix seconds
) STRICT;
CREATE INDEX files_expires ON files (expires);
