-- 0009: edited messages (a session-go extension; see docs/compatibility.md).
-- edited_ts is the sent time of the latest edit applied to the message's
-- body (0: never edited). An edit older than the one applied is ignored, so
-- that edits arriving out of order leave the newest text. The FTS update
-- trigger of 0005 keeps the search index in step with the new body.
ALTER TABLE messages ADD COLUMN edited_ts INTEGER NOT NULL DEFAULT 0;
