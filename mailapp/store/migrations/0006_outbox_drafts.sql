-- The draft an outbox entry was composed from, so the person can take a queued message back
-- into the composer ("Edit" in the Outbox). One row per entry queued from a draft; entries
-- queued before this migration (or from a draft the record cannot hold) have none and stay
-- non-editable. The record is the engine's draft serialisation (engine.drafts), as JSON text:
-- the store keeps it without reading it. Attachment files it names are kept in the message
-- files (attachment_hashes: their BlobStore digests, a JSON array) so a later edit sends the
-- bytes that were queued.

CREATE TABLE outbox_drafts (
    outbox_id         INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    record            TEXT    NOT NULL,
    attachment_hashes TEXT    NOT NULL DEFAULT '[]'
);
