-- Mail received from IMAP and POP3 accounts. Accounts live in accounts.toml, so rows are keyed
-- by the account's name. Times are Unix seconds (UTC). The outbox and delivery tracking come in
-- 0002.

CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    account       TEXT    NOT NULL,
    name          TEXT    NOT NULL,            -- the server's mailbox name, decoded to Unicode
    delimiter     TEXT,                        -- hierarchy separator; NULL for a flat namespace
    role          TEXT,                        -- special use: inbox, sent, drafts, trash, ...
    subscribed    INTEGER NOT NULL DEFAULT 1,
    selectable    INTEGER NOT NULL DEFAULT 1,  -- 0 for \Noselect containers
    uidvalidity   INTEGER,
    uidnext       INTEGER,
    highestmodseq INTEGER,
    -- Kept by the triggers below so the folder tree never counts 100,000 rows.
    total         INTEGER NOT NULL DEFAULT 0,
    unread        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, name)
);

CREATE INDEX folders_role ON folders (account, role) WHERE role IS NOT NULL;

-- AUTOINCREMENT: an id is never reused, so a stale reference (a queued change, an open
-- window in the list) can never point at another message.
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id      INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid            INTEGER NOT NULL,
    modseq         INTEGER,
    flags          INTEGER NOT NULL DEFAULT 0,   -- MessageFlag bits (\Seen = 1, ...)
    keywords       TEXT    NOT NULL DEFAULT '',  -- other IMAP keywords, space separated
    internal_date  INTEGER NOT NULL,
    date           INTEGER NOT NULL,             -- Date: header, else the internal date
    size           INTEGER NOT NULL,
    message_id     TEXT,
    in_reply_to    TEXT,
    refs           TEXT    NOT NULL DEFAULT '',  -- References: ids, space separated
    thread_key     TEXT,
    subject        TEXT    NOT NULL DEFAULT '',
    from_name      TEXT    NOT NULL DEFAULT '',
    from_addr      TEXT    NOT NULL DEFAULT '',
    to_text        TEXT    NOT NULL DEFAULT '',
    cc_text        TEXT    NOT NULL DEFAULT '',
    has_attachment INTEGER NOT NULL DEFAULT 0,
    body_hash      TEXT,                         -- sha256 of the raw message; NULL until fetched
    preview        TEXT    NOT NULL DEFAULT '',
    -- Case-folded sort keys computed in Python (SQLite's NOCASE only folds ASCII).
    sender_key     TEXT    NOT NULL DEFAULT '',
    subject_key    TEXT    NOT NULL DEFAULT '',
    UNIQUE (folder_id, uid)
);

-- The message list reads windows in each sort order straight from an index.
CREATE INDEX messages_by_date    ON messages (folder_id, date, id);
CREATE INDEX messages_by_sender  ON messages (folder_id, sender_key, id);
CREATE INDEX messages_by_subject ON messages (folder_id, subject_key, id);
CREATE INDEX messages_by_size    ON messages (folder_id, size, id);
-- Search across folders orders by date; DSN/MDN matching and threading look up ids.
CREATE INDEX messages_all_by_date ON messages (date);
CREATE INDEX messages_message_id  ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_thread      ON messages (thread_key) WHERE thread_key IS NOT NULL;
CREATE INDEX messages_body_hash   ON messages (body_hash) WHERE body_hash IS NOT NULL;

-- Full-text index. A regular FTS5 table (it keeps its own copy of the text) rather than a
-- contentless one: SQLite 3.40 cannot delete from a contentless table without the original
-- body text, and snippet() needs the text to show why a message matched. The header columns
-- are filled when the row arrives, the body when it is fetched (messages.set_body).
CREATE VIRTUAL TABLE message_text USING fts5 (
    subject, sender, recipients, body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
    UPDATE folders
       SET total = total + 1, unread = unread + ((new.flags & 1) = 0)
     WHERE id = new.folder_id;
    INSERT INTO message_text (rowid, subject, sender, recipients, body)
    VALUES (new.id, new.subject, new.from_name || ' ' || new.from_addr,
            new.to_text || ' ' || new.cc_text, '');
END;

CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
    UPDATE folders
       SET total = total - 1, unread = unread - ((old.flags & 1) = 0)
     WHERE id = old.folder_id;
    DELETE FROM message_text WHERE rowid = old.id;
END;

CREATE TRIGGER messages_seen AFTER UPDATE OF flags ON messages
WHEN (old.flags & 1) <> (new.flags & 1) BEGIN
    UPDATE folders
       SET unread = unread + ((new.flags & 1) = 0) - ((old.flags & 1) = 0)
     WHERE id = new.folder_id;
END;

-- Local-first changes waiting to be replayed on the server (flag, move, copy, delete,
-- append). uid and the folder are copied at queue time: the local row may be gone by then.
CREATE TABLE pending_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL,
    kind        TEXT    NOT NULL
                CHECK (kind IN ('flags', 'move', 'copy', 'delete', 'append', 'expunge')),
    folder_id   INTEGER REFERENCES folders (id) ON DELETE CASCADE,
    message_id  INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    uid         INTEGER,
    payload     TEXT    NOT NULL DEFAULT '{}',  -- JSON: flags to add/remove, target, blob hash
    state       TEXT    NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'failed', 'done')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX pending_changes_queue ON pending_changes (account, state, id);
CREATE INDEX pending_changes_message ON pending_changes (message_id) WHERE message_id IS NOT NULL;
