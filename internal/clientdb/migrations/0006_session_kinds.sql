-- 0006: what Session's apps send besides text, kept so that the features
-- that show them can be built on it. Messages are named as Session's
-- protocol names them: by conversation, author and sent timestamp.

-- reactions: one row per (message, reactor, emoji). The message is the
-- one the reaction names; it need not be stored here (reactions can arrive
-- first).
CREATE TABLE reactions (
    conversation TEXT    NOT NULL CHECK (length(conversation) = 66),
    author       TEXT    NOT NULL CHECK (length(author) = 66),
    sent_ts      INTEGER NOT NULL,
    reactor      TEXT    NOT NULL CHECK (length(reactor) = 66),
    emoji        TEXT    NOT NULL,
    reacted      INTEGER NOT NULL,
    PRIMARY KEY (conversation, author, sent_ts, reactor, emoji)
) STRICT;

-- read_receipts: when the peer read one of this account's messages.
CREATE TABLE read_receipts (
    conversation TEXT    NOT NULL CHECK (length(conversation) = 66),
    sent_ts      INTEGER NOT NULL,
    read_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation, sent_ts)
) STRICT;

-- unsent: messages their author deleted for everyone (UnsendRequest). The
-- row stays so that the message, arriving late or again, is not shown.
CREATE TABLE unsent (
    conversation TEXT    NOT NULL CHECK (length(conversation) = 66),
    author       TEXT    NOT NULL CHECK (length(author) = 66),
    sent_ts      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (conversation, author, sent_ts)
) STRICT;

-- disappearing: a conversation's disappearing-messages setting as the
-- latest update set it. mode: 0 off, 1 after read, 2 after send.
CREATE TABLE disappearing (
    conversation TEXT    PRIMARY KEY CHECK (length(conversation) = 66),
    mode         INTEGER NOT NULL CHECK (mode BETWEEN 0 AND 2),
    seconds      INTEGER NOT NULL,
    updated      INTEGER NOT NULL
) STRICT;
