-- A message that arrives with its body (POP3, a whole message from disk, new Inbox mail
-- fetched with its body) gets its full-text row once, with the body, from set_bodies: the
-- insert trigger no longer adds a row with an empty body that set_bodies would then rewrite
-- (an FTS5 update is a delete plus an insert, both tokenised). Header-only rows (IMAP header
-- sync, body_hash NULL) still get their row here, so they are searchable by their headers
-- at once; set_bodies replaces it when the body comes.
DROP TRIGGER messages_insert;

CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
    UPDATE folders
       SET total = total + 1, unread = unread + ((new.flags & 1) = 0)
     WHERE id = new.folder_id;
    INSERT INTO message_text (rowid, subject, sender, recipients, body)
    SELECT new.id, new.subject, new.from_name || ' ' || new.from_addr,
           new.to_text || ' ' || new.cc_text, ''
     WHERE new.body_hash IS NULL;
END;
