-- 0005: revoked subaccounts (revoke_subaccount / unrevoke_subaccount).
--
-- One row per (owner, token): the owner's latest decision about that token,
-- revoked = 1 or 0, with the signed timestamp of the request that made it
-- (at) and that request (proof), so that catch-up can carry it to a member
-- that was down and the member can check the owner's signature. A decision
-- replaces the row only if it is newer (at a tie, a revocation wins), so
-- that an old revocation arriving late never undoes a later unrevoke, and
-- the replacement takes a new seq, which is what catch-up pages by.
-- AUTOINCREMENT so that a seq is never reused behind a cursor.
CREATE TABLE revocations (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    owner   BLOB    NOT NULL CHECK (length(owner) = 33),
    token   BLOB    NOT NULL CHECK (length(token) = 36),
    revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    at      INTEGER NOT NULL, -- ms since the Unix epoch, as signed
    proof   BLOB,
    UNIQUE (owner, token)
);
