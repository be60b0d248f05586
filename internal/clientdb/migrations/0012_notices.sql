-- 0012: notices, the lines a conversation shows about itself rather than a
-- message someone wrote ("Alice added Bob", "Group name is now X"), as
-- Session shows a group's control messages. body holds the notice's text;
-- a notice is not counted unread.
ALTER TABLE messages ADD COLUMN notice INTEGER NOT NULL DEFAULT 0;
-- The unread count leaves notices out and still comes off the index alone.
DROP INDEX messages_unread;
CREATE INDEX messages_unread ON messages(conversation, direction, notice, sent_ts);
