-- 0006: per-namespace totals for the signed namespaces only.
--
-- The namespaces table exists for the quota of each namespace that needs the
-- owner's signature (migration 0003); the public inbox has budgets of its own
-- (owners.inbox_count / inbox_bytes, inbox_senders). Keeping namespaces rows
-- for inbox namespaces cost every inbox store, the most common write, one
-- more row written, and nothing read them.

DROP TRIGGER messages_count_insert;
DROP TRIGGER messages_count_delete;

DELETE FROM namespaces WHERE namespace % 10 = 0;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
BEGIN
    UPDATE owners SET
        msg_count = msg_count + 1,
        msg_bytes = msg_bytes + length(NEW.data),
        inbox_count = inbox_count + (NEW.namespace % 10 = 0),
        inbox_bytes = inbox_bytes + (NEW.namespace % 10 = 0) * length(NEW.data)
        WHERE id = NEW.owner;
    INSERT INTO namespaces (owner, namespace, msg_count, msg_bytes)
        SELECT NEW.owner, NEW.namespace, 1, length(NEW.data) WHERE NEW.namespace % 10 != 0
        ON CONFLICT (owner, namespace) DO UPDATE SET
            msg_count = msg_count + 1, msg_bytes = msg_bytes + length(NEW.data);
    INSERT INTO inbox_senders (owner, sender, msg_count, msg_bytes)
        SELECT NEW.owner, NEW.sender, 1, length(NEW.data) WHERE NEW.namespace % 10 = 0
        ON CONFLICT (owner, sender) DO UPDATE SET
            msg_count = msg_count + 1, msg_bytes = msg_bytes + length(NEW.data);
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
BEGIN
    UPDATE owners SET
        msg_count = msg_count - 1,
        msg_bytes = msg_bytes - length(OLD.data),
        inbox_count = inbox_count - (OLD.namespace % 10 = 0),
        inbox_bytes = inbox_bytes - (OLD.namespace % 10 = 0) * length(OLD.data)
        WHERE id = OLD.owner;
    UPDATE namespaces SET msg_count = msg_count - 1, msg_bytes = msg_bytes - length(OLD.data)
        WHERE OLD.namespace % 10 != 0 AND owner = OLD.owner AND namespace = OLD.namespace;
    DELETE FROM namespaces
        WHERE OLD.namespace % 10 != 0 AND owner = OLD.owner AND namespace = OLD.namespace AND msg_count = 0;
    UPDATE inbox_senders SET msg_count = msg_count - 1, msg_bytes = msg_bytes - length(OLD.data)
        WHERE OLD.namespace % 10 = 0 AND owner = OLD.owner AND sender = OLD.sender;
    DELETE FROM inbox_senders
        WHERE OLD.namespace % 10 = 0 AND owner = OLD.owner AND sender = OLD.sender AND msg_count = 0;
END;
