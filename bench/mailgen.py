"""Deterministic generator of a realistic test mailbox (a Maildir) for the benchmarks.

Run: .venv/bin/python bench/mailgen.py [--count 20000] [--seed 20260101]
     prints where the Maildir is and what it holds (generated once, then reused).

What the messages look like (same seed and count: the same bytes, every time):
  sizes     log-uniform between 2 and 50 KB (mean about 15 KB: 20,000 messages are ~300 MB);
  kinds     half text/plain (some quoted-printable with non-ASCII text), a fifth
            multipart/alternative (text + HTML), the rest multipart/mixed with one or two
            base64 attachments (some named with RFC 2231 UTF-8 filenames);
  headers   RFC 2047 encoded display names and subjects (UTF-8, B and Q), folded;
  senders   400 people, Zipf-distributed (a few write most of the mail);
  threads   about 30% are replies: "Re:", In-Reply-To and References to an earlier message;
  dates     spread over three years (2023-2025), several time zones; file mtime = date;
  flags     older mail read (S), some flagged (F) and answered (R), the newest 5% unread.
Search words are planted on purpose (see QUERY_WORDS): a subject word in ~3% of subjects, a
common body word in ~60% of bodies, a rare body word in one message in 997.

Imports: the standard library only (the benchmarks import it as a module).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import math
import os
import quopri
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

SEED = 20260101
COUNT = 20_000
CACHE_ROOT = Path("/tmp/mailapp-bench")
OWNER = ("Bench User", "bench@example.test")
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

# Words the search benchmark looks for; none of them is in the generated vocabulary.
SUBJECT_WORD = "quarterly"
COMMON_WORD = "roadmap"
RARE_WORD = "zephyrium"
QUERY_WORDS = {"subject": SUBJECT_WORD, "common": COMMON_WORD, "rare": RARE_WORD}


def _words(text: str) -> list[str]:
    return text.split()


_FIRST = _words(
    "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Jürgen Zoë Łukasz Søren François José "
    "Ana Chloé Mikko Nadia Olga Pål Renée Ștefan Tomás Ümit Yuki 太郎 Wei"
)
_LAST = _words(
    "Smith Müller Nowak Jensen García Dubois Rossi Virtanen Østergaard Kowalczyk Brown Schröder "
    "Lefèvre Ivanova 山田 Chen O'Neil Taylor Weiß Núñez"
)
_DOMAINS = ["example.org", "example.com", "mail.example.net", "corp.example", "uni.example.edu"]
_TOPICS = [
    "budget review", "release planning", "offsite travel", "hiring update", "server migration",
    "invoice", "team lunch", "security audit", "design sync", "customer feedback",
    "board meeting", "Übersicht der Woche", "café order", "naïve question", "contract renewal",
    "status report", "API changes", "Überstunden", "résumé", "weekly digest",
]  # fmt: skip
_SYLLABLES = _words(
    "ka lo mi ne ro ta vi su pe do gra tin bel mar sto qui len dor fa xe wu zan chi pra"
)
_ENGLISH = _words(
    "the of and to in is that for it as with was on be by this are from at or have an they "
    "which one you had not but what all were when we there can more if no out so said up its "
    "about into than them only some time could these two may first then do any like my now "
    "over such our man me even most made after also did many before must through back years "
    "where much your way well down should because each just those people how too little state "
    "good very make world still own see men work long get here between both life being under "
    "never day same another know while last might us great old year off come since against go "
    "came right used take three"
)
_ATTACHMENTS = [
    ("application/pdf", "report-{n}.pdf"),
    ("image/jpeg", "photo_{n}.jpg"),
    ("image/png", "screenshot {n}.png"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Übersicht {n}.xlsx"),
    ("application/zip", "logs-{n}.zip"),
    ("text/csv", "export-{n}.csv"),
]
_ZONES = [timezone(timedelta(hours=h, minutes=m)) for h, m in
          [(0, 0), (1, 0), (2, 0), (-5, 0), (-8, 0), (5, 30), (9, 0), (-3, 0)]]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A generated Maildir and what the benchmarks need to know about it."""

    root: Path  # the Maildir: cur/ new/ tmp/
    seed: int
    count: int
    total_bytes: int
    sender: str  # the most frequent sender's address (for from:)
    date_range: tuple[str, str]  # [after, before) as YYYY-MM-DD, about one month

    def files(self) -> list[Path]:
        return sorted((self.root / "cur").iterdir())


# --- text building blocks -------------------------------------------------------------------


def _vocabulary(rng: random.Random) -> list[str]:
    words = set(_ENGLISH)
    while len(words) < 6000:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    words -= set(QUERY_WORDS.values())
    return sorted(words)


def _paragraphs(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    """Pre-wrapped paragraphs with Zipf word frequencies; bodies are made of these, so
    generating 300 MB does not cost a random draw per word."""
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    # English function words take the top ranks, like in real text.
    common = [w for w in vocabulary if w in _ENGLISH]
    rare = [w for w in vocabulary if w not in _ENGLISH]
    rng.shuffle(common)
    rng.shuffle(rare)
    order = common + rare
    out = []
    for _ in range(count):
        words = rng.choices(order, weights, k=rng.randint(30, 140))
        words[0] = words[0].capitalize()
        lines, line = [], ""
        for word in words:
            if len(line) + len(word) + 1 > 72:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line + ".")
        out.append("\n".join(lines))
    return out


def _encoded_words(text: str, rng: random.Random) -> str:
    """RFC 2047 encoding of non-ASCII text (B or Q), folded onto several lines when long."""
    if text.isascii():
        return text
    chunks, current = [], ""
    for char in text:
        if len((current + char).encode()) > 30:
            chunks.append(current)
            current = ""
        current += char
    chunks.append(current)
    words = []
    use_b = rng.random() < 0.5
    for chunk in chunks:
        data = chunk.encode()
        if use_b:
            words.append(f"=?utf-8?b?{base64.b64encode(data).decode()}?=")
        else:
            q = "".join(
                chr(b) if (chr(b).isalnum() and b < 128) else ("_" if b == 32 else f"={b:02X}")
                for b in data
            )
            words.append(f"=?UTF-8?Q?{q}?=")
    return "\n ".join(words)


def _address(name: str, addr: str, rng: random.Random) -> str:
    if name.isascii():
        return f'"{name}" <{addr}>' if "'" in name else f"{name} <{addr}>"
    return f"{_encoded_words(name, rng)} <{addr}>"


def _people(rng: random.Random) -> list[tuple[str, str]]:
    people, seen = [], set()
    while len(people) < 400:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local = "".join(c for c in f"{first}.{last}".lower() if c.isascii() and c not in "' ")
        if local.startswith(".") or local.endswith("."):
            local = f"user{len(people)}"
        addr = f"{local}{rng.randrange(100)}@{rng.choice(_DOMAINS)}"
        if addr not in seen:
            seen.add(addr)
            people.append((f"{first} {last}", addr))
    return people


# --- one message ----------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    paragraphs: list[str]
    people: list[tuple[str, str]]
    weights: list[float]
    recent: list[tuple[str, str, list[str]]]  # (message-id, base subject, references)


def _body_text(rng: random.Random, state: _State, size: int, index: int) -> str:
    parts = [f"Hello {rng.choice(_FIRST)},"]
    if rng.random() < 0.6:
        parts.append(f"About the {COMMON_WORD} we discussed: see below.")
    if index % 997 == 13:
        parts.append(f"Note the {RARE_WORD} sample in the lab.")
    length = sum(len(p) for p in parts)
    while length < size:
        paragraph = rng.choice(state.paragraphs)
        parts.append(paragraph)
        length += len(paragraph) + 2
    parts.append("Regards")
    return "\n\n".join(parts) + "\n"


def _attachment(rng: random.Random, size: int, index: int) -> str:
    content_type, pattern = rng.choice(_ATTACHMENTS)
    name = pattern.format(n=index)
    if name.isascii():
        params = f'; name="{name}"', f'; filename="{name}"'
    else:
        quoted = "".join(
            c
            if c.isascii() and (c.isalnum() or c in ".-_")
            else "".join(f"%{b:02X}" for b in c.encode())
            for c in name
        )
        params = "", f"; filename*=utf-8''{quoted}"
    data = base64.encodebytes(rng.randbytes(max(64, size * 3 // 4))).decode()
    return (
        f"Content-Type: {content_type}{params[0]}\n"
        f"Content-Disposition: attachment{params[1]}\n"
        f"Content-Transfer-Encoding: base64\n\n{data}"
    )


def _message(rng: random.Random, state: _State, index: int, count: int) -> tuple[bytes, datetime]:
    moment = START + SPAN * (index / max(1, count)) + timedelta(seconds=rng.randint(0, 7200))
    moment = moment.astimezone(rng.choice(_ZONES))
    name, addr = rng.choices(state.people, state.weights)[0]
    domain = addr.rsplit("@", 1)[1]
    message_id = f"<{index}.{rng.getrandbits(40):x}@{domain}>"
    headers = []
    if state.recent and rng.random() < 0.3:
        parent_id, base, refs = rng.choice(state.recent)
        subject = f"Re: {base}"
        refs = [*refs[-9:], parent_id]
        headers += [f"In-Reply-To: {parent_id}", "References: " + "\n ".join(refs)]
    else:
        topic = rng.choice(_TOPICS)
        base = f"{topic.capitalize()} #{index}"
        if rng.random() < 0.03:
            base = f"{SUBJECT_WORD.capitalize()} {base}"
        subject, refs = base, []
    state.recent.append((message_id, base, refs))
    if len(state.recent) > 300:
        state.recent.pop(0)
    to = [_address(*OWNER, rng)]
    cc = [_address(*rng.choice(state.people), rng) for _ in range(rng.choice([0, 0, 0, 1, 2, 3]))]
    headers = [
        f"Return-Path: <{addr}>",
        f"Date: {format_datetime(moment)}",
        f"From: {_address(name, addr, rng)}",
        "To: " + ",\n ".join(to),
        *(["Cc: " + ",\n ".join(cc)] if cc else []),
        f"Subject: {_encoded_words(subject, rng)}",
        f"Message-ID: {message_id}",
        *headers,
        "MIME-Version: 1.0",
        f"X-Mailer: mailgen {index % 7}",
    ]
    size = int(math.exp(rng.uniform(math.log(2_000), math.log(50_000))))
    kind = rng.random()
    if kind < 0.5:
        text = _body_text(rng, state, size - 700, index)
        if rng.random() < 0.2:
            text = text.replace("Hello", "Grüße an", 1) + "Schöne Grüße, café naïve\n"
            body = quopri.encodestring(text.encode()).decode()
            headers += [
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
            ]
        else:
            body = text
            headers.append("Content-Type: text/plain; charset=us-ascii; format=flowed")
    elif kind < 0.7:
        text = _body_text(rng, state, (size - 900) // 2, index)
        markup = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n\n"))
        boundary = f"alt-{index}-{rng.getrandbits(32):x}"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (
            f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n{text}\n"
            f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n"
            f"<html><body>\n{markup}</body></html>\n--{boundary}--\n"
        )
    else:
        text_size = min(size // 3, rng.randint(600, 4_000))
        text = _body_text(rng, state, text_size, index)
        boundary = f"mix-{index}-{rng.getrandbits(32):x}"
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        parts = [f"Content-Type: text/plain; charset=us-ascii\n\n{text}"]
        rest = max(200, size - text_size - 1_000)
        pieces = 2 if rng.random() < 0.25 else 1
        parts += [_attachment(rng, rest // pieces, index) for _ in range(pieces)]
        body = "".join(f"--{boundary}\n{p}\n" for p in parts) + f"--{boundary}--\n"
    return ("\n".join(headers) + "\n\n" + body).encode(), moment


def messages(seed: int = SEED, count: int = COUNT) -> Iterator[tuple[bytes, datetime]]:
    """The generated messages, oldest first: (bytes with LF line ends, Date header)."""
    rng = random.Random(seed)
    people = _people(rng)
    state = _State(
        paragraphs=_paragraphs(rng, _vocabulary(rng), 3000),
        people=people,
        weights=[1.0 / (rank + 1) ** 1.1 for rank in range(len(people))],
        recent=[],
    )
    for index in range(count):
        yield _message(rng, state, index, count)


# --- the cached Maildir ---------------------------------------------------------------------


def _flags(rng: random.Random, index: int, count: int, raw: bytes) -> str:
    flags = set()
    if index < count * 0.95 and rng.random() < 0.9:
        flags.add("S")
    if rng.random() < 0.02:
        flags.add("F")
    if b"\nIn-Reply-To:" in raw and rng.random() < 0.3:
        flags.add("R")
    return "".join(sorted(flags))


def write_maildir(root: Path, seed: int, count: int) -> dict[str, object]:
    """Write the messages into root/cur (Dovecot-style names with S= and W= sizes)."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    flag_rng = random.Random(seed + 1)
    total = 0
    for index, (raw, moment) in enumerate(messages(seed, count)):
        epoch = int(moment.timestamp())
        flags = _flags(flag_rng, index, count, raw)
        virtual = len(raw) + raw.count(b"\n")  # the size with CRLF line ends (IMAP's)
        name = f"{epoch}.M{index:06d}P1.mailgen,S={len(raw)},W={virtual}"
        path = root / "cur" / f"{name}:2,{flags}"
        path.write_bytes(raw)
        os.utime(path, (epoch, epoch))
        total += len(raw)
    return {"total_bytes": total}


def ensure_maildir(seed: int = SEED, count: int = COUNT, *, quiet: bool = False) -> Mailbox:
    """The Maildir for (seed, count) under /tmp/mailapp-bench, generated on first use."""
    home = CACHE_ROOT / f"mail-s{seed}-n{count}"
    meta_file = home / "meta.json"
    if not meta_file.exists():
        started = time.perf_counter()
        if not quiet:
            print(f"generating {count} messages (seed {seed}) into {home} ...", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        building = home.with_name(home.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        meta = write_maildir(building / "Maildir", seed, count)
        rng = random.Random(seed)
        top_sender = _people(rng)[0][1]
        middle = START + SPAN / 2
        after = middle.date().replace(day=1)
        before = (after + timedelta(days=32)).replace(day=1)
        meta.update(
            seed=seed,
            count=count,
            sender=top_sender,
            date_range=[after.isoformat(), before.isoformat()],
        )
        (building / "meta.json").write_text(json.dumps(meta, indent=1))
        building.rename(home)  # complete or absent: never a half-written cache
        if not quiet:
            print(f"generated in {time.perf_counter() - started:.1f}s", flush=True)
    meta = json.loads(meta_file.read_text())
    return Mailbox(
        root=home / "Maildir",
        seed=seed,
        count=count,
        total_bytes=int(meta["total_bytes"]),
        sender=str(meta["sender"]),
        date_range=(str(meta["date_range"][0]), str(meta["date_range"][1])),
    )


def link_maildir(source: Path, target: Path, *, owner: tuple[int, int] | None = None) -> int:
    """A working copy of a Maildir made of hard links (renames by a mail server or notmuch
    then leave the cache alone); directories get `owner` (uid, gid). Returns the count."""
    for sub in ("cur", "new", "tmp"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    count = 0
    for path in (source / "cur").iterdir():
        try:
            os.link(path, target / "cur" / path.name)
        except OSError:  # another file system
            shutil.copy2(path, target / "cur" / path.name)
        count += 1
    if owner is not None:
        for directory in (target, target / "cur", target / "new", target / "tmp"):
            os.chown(directory, *owner)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    box = ensure_maildir(args.seed, args.count)
    print(f"{box.root}: {box.count} messages, {box.total_bytes / 1e6:.1f} MB")
    print(f"query words: {QUERY_WORDS}, top sender {box.sender}, dates {box.date_range}")


if __name__ == "__main__":
    main()
