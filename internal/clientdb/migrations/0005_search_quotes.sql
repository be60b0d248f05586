-- 0005: full-text search over message bodies, and replies.
--
-- messages_fts indexes the bodies kept in messages (external content: the
-- text is not stored twice, and the index lives in the same encrypted file).
-- Triggers keep it in step with every insert, edit and delete; with
-- secure-delete on, a deleted message's words leave the index at once
-- instead of lingering until the next merge. unicode61 with diacritics
-- removed lets "cafe" find "café".
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

-- A reply names the message it quotes as Session's DataMessage.quote does:
-- by the quoted message's sent timestamp and author (0 and NULL: not a
-- reply). The quoted text is read from the original, found through the
-- (conversation, sender, sent_ts) key, not copied.
ALTER TABLE messages ADD COLUMN quote_ts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN quote_author TEXT CHECK (quote_author IS NULL OR length(quote_author) = 66);
