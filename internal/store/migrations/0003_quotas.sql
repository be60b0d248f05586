-- 0003: quotas per namespace, and a public inbox that strangers cannot jam.
--
-- Before this, one quota per owner covered every namespace, so that a
-- stranger filling the public inbox (namespace 0, which anyone may store into
-- without a signature) locked the owner out of their own config namespaces
-- until the flood expired. Now:
--
--   - messages.sender names where an unsigned store came from (see
--     Message.Sender); '' for signed namespaces and for messages stored before
--     this migration or replicated by a node that did not say.
--   - namespaces keeps running totals per (owner, namespace), for the quota
--     of each namespace that needs the owner's signature.
--   - owners.inbox_count / inbox_bytes total the owner's public-inbox
--     namespaces (every namespace divisible by 10), which have a budget of
--     their own, kept by evicting the oldest messages rather than refusing.
--   - inbox_senders keeps the totals per (owner, sender) within those
--     namespaces, for the per-sender share.
--
-- The triggers of 0001 are replaced by ones that keep all of these exact.

ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT '';
ALTER TABLE owners ADD COLUMN inbox_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN inbox_bytes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE namespaces (
    owner     INTEGER NOT NULL,
    namespace INTEGER NOT NULL,
    msg_count INTEGER NOT NULL DEFAULT 0,
    msg_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner, namespace)
) WITHOUT ROWID;

CREATE TABLE inbox_senders (
    owner     INTEGER NOT NULL,
    sender    TEXT    NOT NULL,
    msg_count INTEGER NOT NULL DEFAULT 0,
    msg_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner, sender)
) WITHOUT ROWID;

-- Eviction takes the oldest message of a sender over its share, or of the
-- whole inbox, by (timestamp, hash): the same order on every node of the
-- swarm, whatever order the messages arrived in.
CREATE INDEX messages_inbox_sender ON messages(owner, sender, timestamp, hash)
    WHERE namespace % 10 = 0;
CREATE INDEX messages_inbox ON messages(owner, timestamp, hash)
    WHERE namespace % 10 = 0;

INSERT INTO namespaces (owner, namespace, msg_count, msg_bytes)
    SELECT owner, namespace, count(*), sum(length(data)) FROM messages GROUP BY owner, namespace;
INSERT INTO inbox_senders (owner, sender, msg_count, msg_bytes)
    SELECT owner, '', count(*), sum(length(data)) FROM messages WHERE namespace % 10 = 0 GROUP BY owner;
UPDATE owners SET
    inbox_count = coalesce((SELECT msg_count FROM inbox_senders s WHERE s.owner = owners.id), 0),
    inbox_bytes = coalesce((SELECT msg_bytes FROM inbox_senders s WHERE s.owner = owners.id), 0);

DROP TRIGGER messages_count_insert;
DROP TRIGGER messages_count_delete;
DROP TRIGGER messages_immutable;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
BEGIN
    UPDATE owners SET
        msg_count = msg_count + 1,
        msg_bytes = msg_bytes + length(NEW.data),
        inbox_count = inbox_count + (NEW.namespace % 10 = 0),
        inbox_bytes = inbox_bytes + (NEW.namespace % 10 = 0) * length(NEW.data)
        WHERE id = NEW.owner;
    INSERT INTO namespaces (owner, namespace, msg_count, msg_bytes)
        VALUES (NEW.owner, NEW.namespace, 1, length(NEW.data))
        ON CONFLICT (owner, namespace) DO UPDATE SET
            msg_count = msg_count + 1, msg_bytes = msg_bytes + length(NEW.data);
    INSERT INTO inbox_senders (owner, sender, msg_count, msg_bytes)
        SELECT NEW.owner, NEW.sender, 1, length(NEW.data) WHERE NEW.namespace % 10 = 0
        ON CONFLICT (owner, sender) DO UPDATE SET
            msg_count = msg_count + 1, msg_bytes = msg_bytes + length(NEW.data);
END;

-- Rows that drop to zero go, so that the tables only ever hold what is
-- stored (an owner row goes at the next sweep, as before).
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
BEGIN
    UPDATE owners SET
        msg_count = msg_count - 1,
        msg_bytes = msg_bytes - length(OLD.data),
        inbox_count = inbox_count - (OLD.namespace % 10 = 0),
        inbox_bytes = inbox_bytes - (OLD.namespace % 10 = 0) * length(OLD.data)
        WHERE id = OLD.owner;
    UPDATE namespaces SET msg_count = msg_count - 1, msg_bytes = msg_bytes - length(OLD.data)
        WHERE owner = OLD.owner AND namespace = OLD.namespace;
    DELETE FROM namespaces WHERE owner = OLD.owner AND namespace = OLD.namespace AND msg_count = 0;
    UPDATE inbox_senders SET msg_count = msg_count - 1, msg_bytes = msg_bytes - length(OLD.data)
        WHERE OLD.namespace % 10 = 0 AND owner = OLD.owner AND sender = OLD.sender;
    DELETE FROM inbox_senders
        WHERE OLD.namespace % 10 = 0 AND owner = OLD.owner AND sender = OLD.sender AND msg_count = 0;
END;

CREATE TRIGGER messages_immutable BEFORE UPDATE OF owner, namespace, data, sender ON messages
BEGIN
    SELECT RAISE(ABORT, 'messages: owner, namespace, data and sender are immutable');
END;
