-- POP3 bookkeeping: which server messages (by UIDL) an account has downloaded, into which
-- local row, and what became of the server's copy. POP3 has no folders and no numeric UIDs,
-- so its mail lives in local folders whose messages get synthetic UIDs from folders.uidnext
-- (the next free local UID; see store/pop3_uidls.py). Times are Unix seconds (UTC).

CREATE TABLE pop3_uidls (
    account             TEXT    NOT NULL,
    uidl                TEXT    NOT NULL,  -- the server's unique-id, exact (case-sensitive)
    -- The local copy; NULL once the person deleted it here (it is not downloaded again).
    message_id          INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    downloaded_at       INTEGER NOT NULL,  -- the message row committed: keep_days counts from here
    delete_requested_at INTEGER,           -- DELE about to be sent (stored durably first)
    deleted_on_server   INTEGER NOT NULL DEFAULT 0,  -- 1 after a QUIT committed our DELE
    PRIMARY KEY (account, uidl)
);

-- Deleting a message row looks its bookkeeping up by row id (the foreign key above).
CREATE INDEX pop3_uidls_message ON pop3_uidls (message_id);
