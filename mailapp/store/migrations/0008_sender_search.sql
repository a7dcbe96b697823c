-- Search by sender (issue #6). `from:` matched the sender column of message_text, whose
-- doclists for an address's common tokens ("example", "org") hold every message; the most
-- frequent sender's newest 50 cost more than the rest of the queries. Senders repeat, so the
-- distinct sender texts (from_name || ' ' || from_addr, exactly what message_text.sender
-- holds) get their own small full-text index, and messages an index on that text by date:
-- `from:` finds the matching sender texts (a handful), then reads each one's newest rows
-- straight from the index. The same tokenizer on the same text gives the same matches.
-- A text stays when its last message goes (a later message from it reuses the row).
CREATE TABLE sender_texts (
    id   INTEGER PRIMARY KEY,
    text TEXT    NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE sender_words USING fts5 (
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER sender_texts_insert AFTER INSERT ON sender_texts BEGIN
    INSERT INTO sender_words (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER messages_insert_sender AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO sender_texts (text) VALUES (new.from_name || ' ' || new.from_addr);
END;

INSERT OR IGNORE INTO sender_texts (text) SELECT from_name || ' ' || from_addr FROM messages;

CREATE INDEX messages_by_sender_text ON messages (from_name || ' ' || from_addr, date);
