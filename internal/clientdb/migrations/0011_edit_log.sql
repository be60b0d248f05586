-- 0011: the edits this account made to its own messages (from any of its
-- devices): each edit is a message of its own on the wire (see
-- docs/compatibility.md), which a Session peer shows as a new message. When
-- the original is deleted for everyone, each edit is unsent too, by its
-- sent time, and its copy in this account's swarm (own_hash) deleted.
CREATE TABLE message_edits (
    message  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    sent_ts  INTEGER NOT NULL,
    own_hash TEXT,
    PRIMARY KEY (message, sent_ts)
) WITHOUT ROWID;
