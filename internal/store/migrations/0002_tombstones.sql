-- 0002: tombstones, so that deletions reach the swarm members that missed them.
--
-- A tombstone names a message the owner deleted. Catch-up lists them to swarm
-- peers (by seq, this table's own insertion order), a peer that still holds
-- the message deletes it, and a node refuses a replicated copy of a message
-- it holds a tombstone for, so that a member that was down cannot bring a
-- deleted message back.
--
-- The owner is the 33-byte ID itself rather than a reference to owners: the
-- sweeper deletes owner rows that hold no messages, which is exactly the
-- state of an owner whose messages were all deleted.
--
-- expiry is the deleted message's expiry: past it the message would be gone
-- everywhere anyway, so the tombstone has nothing left to bury and the
-- sweeper drops it. AUTOINCREMENT, as for messages, so that a catch-up cursor
-- never skips a tombstone that reused a seq it had passed.
CREATE TABLE tombstones (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    owner  BLOB    NOT NULL CHECK (length(owner) = 33),
    hash   TEXT    NOT NULL,
    expiry INTEGER NOT NULL, -- ms since the Unix epoch
    UNIQUE (hash, owner)
);

-- The sweeper deletes by expiry.
CREATE INDEX tombstones_expiry ON tombstones(expiry);
