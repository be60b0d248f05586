-- 0001: the client database of one account.
--
-- Times are milliseconds since the Unix epoch. IDs are the 66 lowercase hex
-- characters of a 33-byte Session ID (prefix included). Flags are 0 or 1.

-- account holds at most one row: the account's seed, which exists nowhere
-- else on disk.
CREATE TABLE account (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seed         BLOB    NOT NULL,
    display_name TEXT    NOT NULL,
    created      INTEGER NOT NULL
) STRICT;

-- contacts mirrors the fields of Session's Contacts config message, so that
-- config sync can merge into it field by field. priority: 0 is an ordinary
-- conversation, > 0 pinned (higher first), < 0 hidden.
CREATE TABLE contacts (
    id          TEXT    PRIMARY KEY CHECK (length(id) = 66),
    name        TEXT    NOT NULL DEFAULT '',
    nickname    TEXT    NOT NULL DEFAULT '',
    approved    INTEGER NOT NULL DEFAULT 0,
    approved_me INTEGER NOT NULL DEFAULT 0,
    blocked     INTEGER NOT NULL DEFAULT 0,
    priority    INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL
) STRICT;

-- A conversation is keyed by its peer: the other Session ID of a one-to-one
-- conversation (our own for note-to-self), later a group's 03 ID.
-- last_activity is the latest sent timestamp of its messages, kept here so
-- the inbox is ordered by an index rather than a scan over all messages.
CREATE TABLE conversations (
    id            TEXT    PRIMARY KEY CHECK (length(id) = 66),
    request       INTEGER NOT NULL DEFAULT 0,
    last_read     INTEGER NOT NULL DEFAULT 0,
    marked_unread INTEGER NOT NULL DEFAULT 0,
    last_activity INTEGER NOT NULL,
    created       INTEGER NOT NULL
) STRICT;

CREATE INDEX conversations_activity ON conversations(last_activity);

-- AUTOINCREMENT so that a message id, which the client holds on to while a
-- send is in flight, never comes to name another message after a delete.
--
-- direction: 1 incoming, 2 outgoing. status: 1 sending, 2 sent, 3 failed,
-- 4 received. hash is the storage server's hash, NULL until an outgoing
-- message is sent. payload is the encoded request an unsent message is
-- retried with; it is dropped once the message is sent.
--
-- The same message can reach us more than once and under different hashes
-- (a sync copy in our own swarm of a message we sent, a copy through another
-- path), but a sender never gives two messages of one conversation the same
-- sent timestamp: hence the second unique key.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    direction    INTEGER NOT NULL CHECK (direction IN (1, 2)),
    status       INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),
    sender       TEXT    NOT NULL CHECK (length(sender) = 66),
    sent_ts      INTEGER NOT NULL,
    received_ts  INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    hash         TEXT    UNIQUE,
    payload      BLOB,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    UNIQUE (conversation, sender, sent_ts)
) STRICT;

-- Pages of a conversation, its last message and its unread count.
CREATE INDEX messages_conversation_ts ON messages(conversation, sent_ts, id);

-- Outgoing messages still to be sent (sending or failed).
CREATE INDEX messages_pending ON messages(status) WHERE status IN (1, 3);

-- The last hash retrieved per namespace, in the caller's naming (such as
-- "<swarm pubkey>/<namespace>").
CREATE TABLE cursors (
    namespace TEXT PRIMARY KEY,
    hash      TEXT NOT NULL
) STRICT;

-- Hashes already processed, whatever they carried (receipts, config
-- messages, undecryptable data), kept until the storage server would have
-- expired them.
CREATE TABLE seen_hashes (
    hash    TEXT    PRIMARY KEY,
    expires INTEGER NOT NULL
) STRICT;

CREATE INDEX seen_hashes_expires ON seen_hashes(expires);

-- Caches and state of other layers (node pool, swarm cache, path guards,
-- config-sync state), opaque to this package.
CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
