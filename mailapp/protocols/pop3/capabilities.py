"""The CAPA list (RFC 2449) as a value: SASL mechanisms, STLS, UIDL, TOP, PIPELINING and more.

Imports: the standard library and mailapp.core.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailapp.core.errors import ParseError

__all__ = ["Capabilities", "parse_capabilities"]

_MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a server announced. `known` is False when it did not answer CAPA at all.

    `entries` maps each capability name (upper case) to its arguments as sent.
    """

    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    known: bool = True

    @classmethod
    def unknown(cls) -> Capabilities:
        """For a server without CAPA (RFC 1939 only): nothing is promised."""
        return cls((), known=False)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.entries)

    def has(self, name: str) -> bool:
        return name.upper() in self.names

    def args(self, name: str) -> tuple[str, ...]:
        wanted = name.upper()
        for entry, args in self.entries:
            if entry == wanted:
                return args
        return ()

    @property
    def sasl(self) -> frozenset[str]:
        """SASL mechanisms, upper case ("PLAIN", "XOAUTH2")."""
        return frozenset(arg.upper() for arg in self.args("SASL"))

    @property
    def stls(self) -> bool:
        return self.has("STLS")

    @property
    def user(self) -> bool:
        return self.has("USER")

    @property
    def uidl(self) -> bool:
        return self.has("UIDL")

    @property
    def top(self) -> bool:
        return self.has("TOP")

    @property
    def pipelining(self) -> bool:
        return self.has("PIPELINING")

    @property
    def resp_codes(self) -> bool:
        return self.has("RESP-CODES")

    @property
    def auth_resp_code(self) -> bool:
        return self.has("AUTH-RESP-CODE")

    @property
    def utf8(self) -> bool:
        return self.has("UTF8")

    @property
    def login_delay(self) -> int | None:
        """Minimum seconds between logins (LOGIN-DELAY), when announced as a number."""
        args = self.args("LOGIN-DELAY")
        return int(args[0]) if args and args[0].isdecimal() and args[0].isascii() else None

    @property
    def expire(self) -> int | None:
        """Days the server keeps messages once retrieved (EXPIRE n); None: NEVER or unsaid."""
        args = self.args("EXPIRE")
        return int(args[0]) if args and args[0].isdecimal() and args[0].isascii() else None

    @property
    def implementation(self) -> str | None:
        args = self.args("IMPLEMENTATION")
        return " ".join(args) if args else None


def parse_capabilities(body: bytes) -> Capabilities:
    """The body of a CAPA answer (already dot-unstuffed, without the final ".")."""
    entries: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    lines = body.split(b"\n")
    if len(lines) > _MAX_LINES:
        raise ParseError(f"The CAPA list has {len(lines)} lines; that is not believable.")
    for raw in lines:
        words = raw.decode("utf-8", "replace").split()
        if not words:
            continue
        name = words[0].upper()
        if name in seen:
            continue  # the first announcement wins; a repeat adds nothing we rely on
        seen.add(name)
        entries.append((name, tuple(words[1:])))
    return Capabilities(tuple(entries))
