-- 0003: the unread count of a conversation (incoming messages after the
-- read mark) is answered from this index alone. The (conversation, sent_ts,
-- id) index lacks the direction, so the count read every unread row, twice
-- per received message: catch-up time grew with the backlog.
CREATE INDEX messages_unread ON messages(conversation, direction, sent_ts);
