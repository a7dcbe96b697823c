"""Drafts: messages being written, kept on this computer and in the account's Drafts folder.

Each save writes two files in the profile's `drafts/` directory: the message as MIME (what a
server copy holds, Bcc included) and a JSON record with everything the composer needs to open
it again (recipients, both bodies, attachment paths and sizes, options, where the server copy
is). The local pair is written first, so a draft survives a dead network; then, for IMAP
accounts, the MIME is APPENDed to the Drafts folder with the \\Draft flag and the copy saved
before is removed. POP3 accounts keep drafts on this computer only.

Also here: the addresses the composer offers as you type (`known_addresses`), from the store's
senders and recipients and the outbox's recipients.

Imports: core, protocols (mime compose and headers, imap types), store, transport (the IMAP
client type), engine.sync.roles; the stdlib.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailapp.core.draft import (
    Attachment,
    DeliveryOptions,
    Draft,
    Mailbox,
    Notify,
    parse_mailbox_list,
    split_address_list,
)
from mailapp.core.errors import (
    ConfigError,
    ImapCommandError,
    InvalidDraftError,
    MessageNotFoundError,
)
from mailapp.engine.sync.roles import assign_roles
from mailapp.protocols.imap.types import AppendUidCode
from mailapp.protocols.mime import headers
from mailapp.protocols.mime.compose import compose
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.transport.imap import ImapClient

USER_AGENT = "mailapp"
DRAFT_FLAGS = ("\\Draft", "\\Seen")
DEFAULT_DRAFTS_FOLDER = "Drafts"
_LOCAL_ID = re.compile(r"[0-9a-f]{24}")
_RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class DraftRef:
    """Where a saved draft lives: its local record, and its server copy if it has one.

    `server_error` says why an IMAP account's draft has no server copy (None: it has one, or
    the account is POP3, whose drafts stay on this computer)."""

    account: str
    local_id: str
    message_id: str
    saved_at: datetime
    subject: str = ""
    folder: str | None = None
    uid: int | None = None
    uidvalidity: int | None = None
    server_error: str | None = None

    @property
    def on_server(self) -> bool:
        return self.folder is not None and self.server_error is None

    def placed(
        self,
        folder: str | None,
        uid: int | None,
        uidvalidity: int | None,
        server_error: str | None = None,
    ) -> DraftRef:
        """The same draft with its server copy where given (or why there is none)."""
        return replace(
            self, folder=folder, uid=uid, uidvalidity=uidvalidity, server_error=server_error
        )


@dataclass(frozen=True, slots=True)
class SavedDraft:
    """A draft opened again: the message and the options chosen with it."""

    ref: DraftRef
    draft: Draft
    request_dsn: bool | None


# --- the message as MIME ---------------------------------------------------------------------


def draft_message(draft: Draft, *, user_agent: str) -> tuple[bytes, str]:
    """The draft as RFC 5322 bytes for the Drafts folder, and its (fresh) Message-ID: like a
    sent message, but with its Bcc field kept (other clients that open the draft need it)
    and allowed to have no recipient yet."""
    stand_in = draft if draft.recipients else replace(draft, to=(draft.from_,))
    composed = compose(
        stand_in,
        message_id_domain=draft.from_.ascii_domain,
        smtputf8_allowed=True,
        user_agent=user_agent,
    )
    utf8 = composed.needs_smtputf8
    head, blank, body = composed.raw.partition(b"\r\n\r\n")
    head += b"\r\n"
    if stand_in is not draft:
        # The stand-in recipient (only there because compose wants one) leaves again.
        head = head.replace(headers.address_list("To", [draft.from_], utf8=utf8), b"", 1)
    if draft.bcc:
        bcc = headers.address_list("Bcc", draft.bcc, utf8=utf8)
        at = head.find(b"\r\nSubject:") + 2
        head = head[:at] + bcc + head[at:]
    return head[:-2] + blank + body, composed.message_id


# --- the local record ------------------------------------------------------------------------


def _addresses(mailboxes: Iterable[Mailbox]) -> str:
    return ", ".join(str(m) for m in mailboxes)


def draft_record(ref: DraftRef, draft: Draft, request_dsn: bool | None) -> dict[str, Any]:
    """A draft as the drafts directory keeps it (JSON-ready); the outbox keeps the same record
    with each queued message so Edit can reopen it (draft_from_record reads it back)."""
    attachments = []
    for att in draft.attachments:
        if att.path is None:
            raise InvalidDraftError(
                f"The attachment {att.filename!r} has no file to keep with the draft."
            )
        attachments.append(
            {
                "filename": att.filename,
                "content_type": att.content_type,
                "path": str(att.path),
                "size": att.size,
            }
        )
    return {
        "version": _RECORD_VERSION,
        "account": ref.account,
        "message_id": ref.message_id,
        "saved_at": ref.saved_at.isoformat(),
        "folder": ref.folder,
        "uid": ref.uid,
        "uidvalidity": ref.uidvalidity,
        "server_error": ref.server_error,
        "from": str(draft.from_),
        "to": _addresses(draft.to),
        "cc": _addresses(draft.cc),
        "bcc": _addresses(draft.bcc),
        "reply_to": _addresses(draft.reply_to),
        "subject": draft.subject,
        "text_body": draft.text_body,
        "html_body": draft.html_body,
        "attachments": attachments,
        "in_reply_to": draft.in_reply_to,
        "references": list(draft.references),
        "read_receipt": draft.read_receipt,
        "notify": sorted(n.value for n in draft.delivery.notify),
        "return_headers_only": draft.delivery.return_headers_only,
        "request_dsn": request_dsn,
    }


def _ref_from(local_id: str, data: dict[str, Any]) -> DraftRef:
    return DraftRef(
        account=str(data["account"]),
        local_id=local_id,
        message_id=str(data["message_id"]),
        saved_at=datetime.fromisoformat(str(data["saved_at"])),
        subject=str(data.get("subject", "")),
        folder=data.get("folder"),
        uid=data.get("uid"),
        uidvalidity=data.get("uidvalidity"),
        server_error=data.get("server_error"),
    )


def draft_from_record(data: dict[str, Any]) -> Draft:
    """The Draft a draft_record describes."""
    attachments = tuple(
        Attachment(
            str(a["filename"]),
            a.get("content_type"),
            path=Path(str(a["path"])),
            size=a.get("size"),
        )
        for a in data.get("attachments", [])
    )
    return Draft(
        from_=Mailbox.parse(str(data["from"])),
        to=parse_mailbox_list(str(data.get("to", ""))),
        cc=parse_mailbox_list(str(data.get("cc", ""))),
        bcc=parse_mailbox_list(str(data.get("bcc", ""))),
        reply_to=parse_mailbox_list(str(data.get("reply_to", ""))),
        subject=str(data.get("subject", "")),
        text_body=str(data.get("text_body", "")),
        html_body=data.get("html_body"),
        attachments=attachments,
        in_reply_to=data.get("in_reply_to"),
        references=tuple(data.get("references", [])),
        read_receipt=bool(data.get("read_receipt", False)),
        delivery=DeliveryOptions(
            notify=frozenset(Notify(n) for n in data.get("notify", ["success"])),
            return_headers_only=bool(data.get("return_headers_only", True)),
        ),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically, readable by the user only (drafts are personal data)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class LocalDrafts:
    """The drafts directory of a profile: `<id>.eml` and `<id>.json` per draft."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def new_id(self) -> str:
        return secrets.token_hex(12)

    def _paths(self, local_id: str) -> tuple[Path, Path]:
        if not _LOCAL_ID.fullmatch(local_id):
            raise MessageNotFoundError(f"There is no draft {local_id!r}.")
        return self.directory / f"{local_id}.eml", self.directory / f"{local_id}.json"

    def write(self, ref: DraftRef, draft: Draft, request_dsn: bool | None, raw: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            self.directory.chmod(0o700)
        eml, record = self._paths(ref.local_id)
        _write_private(eml, raw)
        text = json.dumps(draft_record(ref, draft, request_dsn), ensure_ascii=False, indent=1)
        _write_private(record, text.encode("utf-8"))

    def read(self, local_id: str) -> SavedDraft:
        _, record = self._paths(local_id)
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MessageNotFoundError(f"There is no draft {local_id!r}.") from None
        except (OSError, ValueError) as exc:
            raise InvalidDraftError(f"The saved draft {local_id} cannot be read: {exc}") from exc
        request_dsn = data.get("request_dsn")
        return SavedDraft(_ref_from(local_id, data), draft_from_record(data), request_dsn)

    def raw(self, local_id: str) -> bytes:
        eml, _ = self._paths(local_id)
        try:
            return eml.read_bytes()
        except FileNotFoundError:
            raise MessageNotFoundError(f"There is no draft {local_id!r}.") from None

    def delete(self, local_id: str) -> bool:
        found = False
        for path in self._paths(local_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                found = True
        return found

    def refs(self, account: str | None = None) -> list[DraftRef]:
        """Every saved draft (of one account), newest first; unreadable records are skipped."""
        refs: list[DraftRef] = []
        if not self.directory.is_dir():
            return refs
        for record in self.directory.glob("*.json"):
            if not _LOCAL_ID.fullmatch(record.stem):
                continue
            try:
                ref = _ref_from(record.stem, json.loads(record.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if account is None or ref.account == account:
                refs.append(ref)
        refs.sort(key=lambda r: r.saved_at, reverse=True)
        return refs


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- the server copy -------------------------------------------------------------------------


async def drafts_folder(client: ImapClient, database: Database, account: str) -> str:
    """The account's Drafts folder: as the store knows it, else as LIST says (special use or
    a well-known name), else a new "Drafts"."""
    known = FolderRepository(database).by_role(account, FolderRole.DRAFTS)
    if known is not None:
        return known.name
    listings = [item for item in await client.list_folders() if item.name_valid]
    for name, role in assign_roles(listings).items():
        if role is FolderRole.DRAFTS:
            return name
    with contextlib.suppress(ImapCommandError):  # it exists after all (a race, odd LIST)
        await client.create(DEFAULT_DRAFTS_FOLDER)
    return DEFAULT_DRAFTS_FOLDER


async def append_draft(
    client: ImapClient, folder: str, raw: bytes, message_id: str
) -> tuple[int | None, int | None]:
    """APPEND the draft; returns its (uid, uidvalidity) when the server tells or finds it."""
    result = await client.append(folder, raw, flags=DRAFT_FLAGS)
    code = result.tagged.code
    if isinstance(code, AppendUidCode):
        uids = list(code.uids)
        if len(uids) == 1:
            return int(uids[0]), code.uidvalidity
    # No UIDPLUS: look it up by its Message-ID.
    state = await client.select(folder)
    found = await client.uid_search(["HEADER", b"Message-ID", message_id.encode("ascii")])
    await client.unselect()
    return (max(found), state.uidvalidity) if found else (None, None)


async def remove_server_copy(client: ImapClient, ref: DraftRef) -> None:
    """Delete the draft's server copy (by UID, or by Message-ID when the UID is unknown).
    Without UIDPLUS the copy is only flagged \\Deleted: a plain EXPUNGE could remove other
    messages someone else flagged in that folder."""
    if ref.folder is None:
        return
    state = await client.select(ref.folder)
    try:
        if ref.uid is not None and ref.uidvalidity == state.uidvalidity:
            uids = [ref.uid]
        else:
            found = await client.uid_search(
                ["HEADER", b"Message-ID", ref.message_id.encode("ascii"), "DRAFT"]
            )
            uids = list(found)
        if uids:
            await client.uid_store(uids, ["\\Deleted"])
            if client.has("UIDPLUS"):
                await client.expunge(uids)
    finally:
        await client.unselect()


# --- completion ------------------------------------------------------------------------------

_LIKE_ESCAPE = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


def known_addresses(database: Database, prefix: str, limit: int) -> list[str]:
    """Addresses (as "Name <a@b>" or "a@b") whose address or name starts with `prefix` (or
    a word of the name does), most used first, one per address."""
    prefix = prefix.strip()
    if not prefix or limit <= 0:
        return []
    needle = prefix.casefold()
    like = "%" + prefix.translate(_LIKE_ESCAPE) + "%"
    counts: dict[str, int] = {}
    names: dict[str, str] = {}

    def consider(text: str, weight: int) -> None:
        for part in split_address_list(text):
            try:
                mailbox = Mailbox.parse(part)
            except ConfigError:
                continue
            key = mailbox.address.casefold()
            name = mailbox.name.casefold()
            words = [key, name, *name.split()]
            if not any(w.startswith(needle) for w in words):
                continue
            counts[key] = counts.get(key, 0) + weight
            if mailbox.name and key not in names:
                names[key] = str(mailbox)
            names.setdefault(key, mailbox.address)

    with database.read() as connection:
        senders = connection.execute(
            "SELECT from_name, from_addr FROM messages"
            " WHERE from_addr LIKE ? ESCAPE '\\' OR from_name LIKE ? ESCAPE '\\'"
            " ORDER BY date DESC LIMIT 2000",
            (like, like),
        ).fetchall()
        recipients = connection.execute(
            "SELECT to_text, cc_text FROM messages"
            " WHERE to_text LIKE ? ESCAPE '\\' OR cc_text LIKE ? ESCAPE '\\'"
            " ORDER BY date DESC LIMIT 2000",
            (like, like),
        ).fetchall()
        outgoing = connection.execute(
            "SELECT address FROM outbox_recipients WHERE address LIKE ? ESCAPE '\\'"
            " ORDER BY id DESC LIMIT 2000",
            (like,),
        ).fetchall()
    for name, address in senders:
        if name:
            consider(str(Mailbox(address, name)) if _safe(address, name) else address, 1)
        else:
            consider(address, 1)
    for to_text, cc_text in recipients:
        consider(to_text, 1)
        consider(cc_text, 1)
    # People one wrote to count most.
    for (address,) in outgoing:
        consider(address, 3)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [names[k] for k in ranked[:limit]]


def _safe(address: str, name: str) -> bool:
    try:
        Mailbox(address, name)
    except ConfigError:
        return False
    return True
