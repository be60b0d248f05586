-- 0010: link previews, as Session sends them with a message
-- (DataMessage.preview: the link, which is in the message's text, and the
-- page's title). At most one per message; gone with its message.
CREATE TABLE link_previews (
    message INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    url     TEXT NOT NULL,
    title   TEXT NOT NULL
) STRICT;
