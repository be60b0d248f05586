-- 0004: the owner's signatures travel with what catch-up passes on.
--
-- A node must not take a record or a deletion from a peer on the peer's word
-- alone (issue 8 point 2). So the node keeps, with each message of a
-- namespace that needs the owner's signature, the owner's signed store
-- (messages.proof), and with each tombstone the owner's signed delete
-- (deletions.proof, shared by every tombstone one request made); catch-up
-- sends them along, and the receiving node verifies them before it stores or
-- deletes anything. The store treats proofs as opaque bytes.
--
-- NULL proof: a public-inbox message (no signature needed), or a message or
-- tombstone recorded before this migration, which peers will refuse.

ALTER TABLE messages ADD COLUMN proof BLOB;

-- digest is BLAKE2b-256 of proof: the same signed request reaching a node
-- from several peers is kept once.
CREATE TABLE deletions (
    id     INTEGER PRIMARY KEY,
    digest BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    proof  BLOB    NOT NULL
);

ALTER TABLE tombstones ADD COLUMN deletion INTEGER REFERENCES deletions(id);

-- The sweeper drops deletions no tombstone refers to any more.
CREATE INDEX tombstones_deletion ON tombstones(deletion) WHERE deletion IS NOT NULL;
