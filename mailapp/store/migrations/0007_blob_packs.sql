-- Message files packed together (ADR 0007). A bulk download writes each batch of messages
-- into one pack file (one create, one write, one fsync) instead of one file per message;
-- this table says where each message's bytes are. Content addressing is unchanged: the key
-- is still the SHA-256 of the bytes, and a digest with no row here is looked for as a file
-- of its own (every store written before this migration, and single messages still).
-- A row is committed only after its pack is fsynced, so a pack cut short by a crash is
-- never pointed at; a pack with no rows is garbage that delete_unreferenced removes.
CREATE TABLE blob_packs (
    digest  TEXT    PRIMARY KEY,   -- sha256 of the message bytes, 64 hex digits
    pack    TEXT    NOT NULL,      -- file name under <messages>/packs/
    offset  INTEGER NOT NULL,      -- where the bytes start in the pack
    length  INTEGER NOT NULL,
    created INTEGER NOT NULL       -- Unix seconds: young rows are spared by the cleanup
) WITHOUT ROWID;

CREATE INDEX blob_packs_by_pack ON blob_packs (pack);

-- Downloaded bodies whose text is not in the full-text index yet. A bulk download stores
-- the bodies durably first and queues them here in the same transaction; the indexer
-- extracts their text in bounded chunks and removes them as it fills message_text. Until
-- then the messages are found by their headers (their header-only row in message_text).
CREATE TABLE body_text_pending (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE
);
