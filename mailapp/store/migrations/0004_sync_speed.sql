-- Indexes for the no-change resync. The Inbox prefetch asks for the newest messages without
-- a body (messages.without_body) on every sync; once the bodies are fetched, the date index
-- made that a walk over every row of the folder. This partial index holds only the rows
-- still waiting for a body, so it is empty (and the question free) when all are fetched.
CREATE INDEX messages_without_body ON messages (folder_id, date, id) WHERE body_hash IS NULL;
