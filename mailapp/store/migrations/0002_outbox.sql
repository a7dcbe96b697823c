-- The outbox and delivery tracking. A message is stored here (its exact bytes in the message
-- files, named by raw_hash) before any network I/O; every recipient keeps its own delivery
-- state, read-receipt state and a timeline of evidence. Times are Unix seconds (UTC).
-- State words are the StrEnums of mailapp.core.delivery.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,   -- with angle brackets, as in the header
    envid           TEXT    NOT NULL UNIQUE,   -- our RFC 3461 ENVID (before xtext)
    raw_hash        TEXT    NOT NULL,          -- the exact bytes to send (BlobStore digest)
    envelope_from   TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',  -- for the outbox list only
    needs_smtputf8  INTEGER NOT NULL DEFAULT 0,
    body_8bit       INTEGER NOT NULL DEFAULT 0,
    request_dsn     INTEGER NOT NULL DEFAULT 1,   -- the person asked for delivery reports
    notify          TEXT    NOT NULL DEFAULT 'success,failure,delay',  -- or 'never'
    ret             TEXT    NOT NULL DEFAULT 'HDRS' CHECK (ret IN ('HDRS', 'FULL')),
    read_receipt    INTEGER NOT NULL DEFAULT 0,   -- Disposition-Notification-To was set
    created_at      INTEGER NOT NULL,
    queued_at       INTEGER NOT NULL,             -- enqueue or the person's last retry
    state           TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'deferred', 'sent', 'failed',
                                     'uncertain')),
    attempts        INTEGER NOT NULL DEFAULT 0,   -- transactions started since queued_at
    next_attempt_at INTEGER,
    last_error      TEXT,                         -- why it is where it is (never empty below)
    last_reply      TEXT,                         -- the server's last words, as it said them
    last_reply_code INTEGER,
    smtp_host       TEXT,
    dsn_offered     INTEGER,                      -- NULL until a server's EHLO told us
    data_started_at INTEGER,                      -- set durably right before DATA
    sent_at         INTEGER,                      -- first 250 after DATA
    sent_copy_state TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (sent_copy_state IN ('pending', 'done', 'failed', 'skipped')),
    sent_copy_error TEXT,
    lease_owner     TEXT,                         -- the worker sending it
    lease_until     INTEGER,
    updated_at      INTEGER NOT NULL,
    -- Nothing ever sits in the outbox without a visible reason.
    CHECK (state NOT IN ('deferred', 'failed', 'uncertain') OR last_error IS NOT NULL),
    CHECK (state NOT IN ('queued', 'deferred') OR next_attempt_at IS NOT NULL),
    CHECK (state <> 'sending' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);

-- Due messages (and expired leases, state 'sending') straight from an index.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_account ON outbox (account, created_at);

CREATE TABLE outbox_recipients (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id      INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,           -- envelope order
    address        TEXT    NOT NULL,           -- RCPT TO address, as sent
    address_key    TEXT    NOT NULL,           -- core.delivery.address_key(address)
    orcpt          TEXT    NOT NULL,           -- the address we name in ORCPT
    orcpt_key      TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('to', 'cc', 'bcc')),
    state          TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'deferred', 'accepted', 'relayed',
                                    'expanded', 'delayed', 'delivered', 'failed',
                                    'uncertain')),
    read_state     TEXT    NOT NULL DEFAULT 'none'
                   CHECK (read_state IN ('none', 'failed', 'denied', 'processed', 'dispatched',
                                         'deleted', 'displayed')),
    status         TEXT,                       -- last enhanced status code
    diagnostic     TEXT,                       -- last diagnostic, the server's words
    reporting_host TEXT,
    reply_code     INTEGER,                    -- last SMTP reply code
    -- The RCPT reply of the transaction under way (cleared at each claim).
    rcpt_code      INTEGER,
    rcpt_reply     TEXT,
    -- 1 once a DSN or bounce spoke about this recipient: the message left our server, so a
    -- retry of the outbox entry does not send it to this recipient again.
    reported       INTEGER NOT NULL DEFAULT 0,
    in_flight      INTEGER NOT NULL DEFAULT 0, -- 1: part of the transaction under way
    updated_at     INTEGER NOT NULL,
    UNIQUE (outbox_id, position),
    UNIQUE (outbox_id, address_key)
);

-- Bounce correlation by address among recent messages.
CREATE INDEX outbox_recipients_address ON outbox_recipients (address_key, updated_at);
CREATE INDEX outbox_recipients_orcpt ON outbox_recipients (orcpt_key);

CREATE TABLE delivery_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id   INTEGER NOT NULL REFERENCES outbox_recipients (id) ON DELETE CASCADE,
    time           INTEGER NOT NULL,
    source         TEXT    NOT NULL
                   CHECK (source IN ('smtp', 'dsn', 'mdn', 'bounce', 'user', 'system')),
    state          TEXT,                       -- NULL for a read receipt
    read_state     TEXT,                       -- MDN only
    status         TEXT,
    reply_code     INTEGER,
    diagnostic     TEXT,
    reporting_host TEXT,
    report_key     TEXT,                       -- the report's idempotency key
    report_part    INTEGER NOT NULL DEFAULT 0, -- which per-recipient block of the report
    report_hash    TEXT,                       -- the raw report (BlobStore digest)
    applied        INTEGER NOT NULL DEFAULT 1, -- 0: kept as history, older than the state
    -- A report's block counts once for a recipient, however often the report is read
    -- (NULL keys never collide).
    UNIQUE (recipient_id, report_key, report_part)
);

CREATE INDEX delivery_events_timeline ON delivery_events (recipient_id, time, id);
CREATE INDEX delivery_events_report ON delivery_events (report_hash)
    WHERE report_hash IS NOT NULL;

-- Reports already ingested, so a re-sync never counts one twice.
CREATE TABLE delivery_reports (
    report_key  TEXT    PRIMARY KEY,           -- the report's Message-ID, else sha256:<hex>
    kind        TEXT    NOT NULL,
    outbox_id   INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
    report_hash TEXT,
    ingested_at INTEGER NOT NULL
);

CREATE INDEX delivery_reports_outbox ON delivery_reports (outbox_id)
    WHERE outbox_id IS NOT NULL;
