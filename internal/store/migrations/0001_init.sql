-- 0001: the message store.
--
-- owners holds one row per account (33-byte ID, prefix included) with running
-- totals that the triggers below keep exact, so the per-owner quota check on
-- every store is a single row read instead of a scan over the owner's messages.
CREATE TABLE owners (
    id        INTEGER PRIMARY KEY,
    pubkey    BLOB    NOT NULL UNIQUE CHECK (length(pubkey) = 33),
    msg_count INTEGER NOT NULL DEFAULT 0,
    msg_bytes INTEGER NOT NULL DEFAULT 0
);

-- id is the insertion order: retrieve pages by it from a last-hash cursor, and
-- replication enumerates the whole store by it. AUTOINCREMENT guarantees an id
-- is never handed out twice, even after the newest row was deleted, so a
-- replication cursor can never skip a message that reused an id it had passed.
--
-- The hash commits to the owner and the namespace (BLAKE2b over prefix, key,
-- namespace and data), so uniqueness on the hash alone is uniqueness on the
-- (owner, namespace, hash) triple.
--
-- Rows are only ever inserted, deleted, or have their expiry changed: data and
-- owner never change in place, which is what keeps the owner totals right with
-- only an insert and a delete trigger.
CREATE TABLE messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    owner     INTEGER NOT NULL REFERENCES owners(id),
    namespace INTEGER NOT NULL CHECK (namespace BETWEEN -32768 AND 32767),
    hash      TEXT    NOT NULL UNIQUE,
    timestamp INTEGER NOT NULL, -- ms since the Unix epoch
    expiry    INTEGER NOT NULL, -- ms since the Unix epoch
    data      BLOB    NOT NULL
);

-- Within one (owner, namespace) the entries of this index are in id order
-- (every index entry ends in the rowid), so retrieve reads a page straight off
-- it with no sort.
CREATE INDEX messages_owner_ns ON messages(owner, namespace);

-- The sweeper deletes by expiry.
CREATE INDEX messages_expiry ON messages(expiry);

-- A public outbox (namespace -1, -21, -41, ...) holds one message per owner.
CREATE UNIQUE INDEX messages_outbox ON messages(owner, namespace)
    WHERE namespace < 0 AND namespace % 20 = -1;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
BEGIN
    UPDATE owners SET msg_count = msg_count + 1, msg_bytes = msg_bytes + length(NEW.data)
        WHERE id = NEW.owner;
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
BEGIN
    UPDATE owners SET msg_count = msg_count - 1, msg_bytes = msg_bytes - length(OLD.data)
        WHERE id = OLD.owner;
END;

-- Refuse the in-place changes the totals do not follow, rather than let them
-- drift silently.
CREATE TRIGGER messages_immutable BEFORE UPDATE OF owner, data ON messages
BEGIN
    SELECT RAISE(ABORT, 'messages: owner and data are immutable');
END;
