-- 0007: deleted messages. A message deleted for everyone keeps its row,
-- emptied (body, payload), so that the conversation shows "This message
-- was deleted" where it was; the FTS triggers drop its words from the
-- search index.
--
-- own_hash is the hash of the message's copy in this account's own swarm
-- when it differs from hash: the sync copy of a message sent from this
-- device. Deleting for everyone removes that copy from the swarm too.
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN own_hash TEXT;

-- An UnsendRequest from this account's other device names the message by
-- author and sent time only, not by conversation.
CREATE INDEX messages_sender_ts ON messages(sender, sent_ts);
