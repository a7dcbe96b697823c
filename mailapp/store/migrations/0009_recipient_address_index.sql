-- Sending speed (issue #3). outbox_recipients_address held (address_key, updated_at), so every
-- change of a recipient's state (claim, RCPT reply aside, each outcome) rewrote its entry in
-- the index. No query orders or filters recipients by updated_at through it: the lookups by
-- address (a report naming only the address, find_recipient) match address_key alone. The
-- index keeps its name and now holds address_key only.
DROP INDEX outbox_recipients_address;
CREATE INDEX outbox_recipients_address ON outbox_recipients (address_key);
