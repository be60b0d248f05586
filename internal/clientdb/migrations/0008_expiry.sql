-- 0008: disappearing messages. Each message keeps the setting it was sent
-- with (Session carries it on every message: expirationType, expirationTimer)
-- and, once its timer runs, when it expires: after send from its sent time;
-- after read from when this device read it (this account's own messages
-- count as read when sent). 0: not set, or not running yet.
ALTER TABLE messages ADD COLUMN expire_mode INTEGER NOT NULL DEFAULT 0 CHECK (expire_mode BETWEEN 0 AND 2);
ALTER TABLE messages ADD COLUMN expire_secs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN expires_at  INTEGER NOT NULL DEFAULT 0;

CREATE INDEX messages_expires ON messages(expires_at) WHERE expires_at > 0;
