-- 0002: a message whose sender's timestamp was outside the window around
-- the time the network stored it is kept with the storage time instead, and
-- marked, so that a far-future or back-dated message can neither pin a
-- conversation on top nor slip unseen into its history.
ALTER TABLE messages ADD COLUMN time_unverified INTEGER NOT NULL DEFAULT 0;
