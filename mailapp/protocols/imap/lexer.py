"""Turning the data part of one framed response into nested Python values, without recursion.

Imports: the standard library, mailapp.core and this package's framer module only.

Value mapping (lossless): quoted strings and literals -> bytes (escapes removed), atoms and
numbers -> str (Latin-1, so `.encode("latin-1")` gives the bytes back), NIL -> None,
parenthesised lists -> list. A bracketed section is part of its atom ("BODY[HEADER.FIELDS
(SUBJECT)]<0>"). Nesting uses an explicit stack with a depth limit; the regular expression
finds the tokens of a whole line in one call, so the work is linear in the response size.
`header_fetch_items` reads a bulk header sync's regular FETCH answer in one match.
"""

from __future__ import annotations

import re
from typing import Any

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap.framer import find_literal

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "HeaderFetchItems",
    "freeze",
    "header_fetch_items",
    "tokenize",
    "unquote",
]

DEFAULT_MAX_DEPTH = 128

_TOKEN = re.compile(
    rb" *(?:"
    rb'("[^"\\\r\n]*(?:\\[^\r\n][^"\\\r\n]*)*")'  # 1: quoted string, with its quotes
    # 2: atom; a bracketed part may hold spaces and parentheses (BODY[HEADER.FIELDS (A B)]).
    # Its length is capped so a line full of "[" cannot make the scan quadratic.
    rb'|((?:[^\x00-\x20\x7f()"{\[\]]+|\[[^\]\r\n]{0,1024}\]|[\[\]])+)'
    rb"|(\()"  # 3
    rb"|(\))"  # 4
    rb"|([^ ]))",  # 5: anything else is an error
    re.S,
)
_ESCAPE = re.compile(rb"\\(.)", re.S)
# What sends a segment to the regex path: anything but atoms, spaces, parentheses and
# bracketed sections outside quoted strings (control characters, literal braces), and
# escapes or line breaks inside them.
_UNSAFE_OUTSIDE = bytes(range(0x20)) + b"\x7f{"
# The bracketed sections the fast path can set aside: a header sync's
# BODY[HEADER.FIELDS (REFERENCES)] would otherwise send every response to the slower regex
# path. The length cap is the regex path's.
_BRACKETS = re.compile(rb"\[[^\[\]\r\n]{0,1024}\]")
_MARK = b"\x00"  # stands for one set-aside bracketed section (NUL is unsafe, so never real)
_MARK_TEXT = _MARK.decode("latin-1")


def unquote(quoted: bytes) -> bytes:
    """The content of a quoted string given with its quotes."""
    inner = quoted[1:-1]
    if b"\\" in inner:
        return _ESCAPE.sub(rb"\1", inner)
    return inner


def _snippet(raw: bytes) -> str:
    return repr(raw[:120]) + ("..." if len(raw) > 120 else "")


def tokenize(raw: bytes, start: int, max_depth: int = DEFAULT_MAX_DEPTH) -> list[Any]:
    """Tokens of raw[start:], where raw is one whole response ending in CRLF."""
    root: list[Any] = []
    cur = root
    stack: list[list[Any]] = []
    end = len(raw)
    pos = start
    # `start` lies in the first line, so that line (and the response) begins at 0.
    line_start = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            raise ParseError(f"IMAP response does not end with CRLF: {_snippet(raw)}")
        literal = find_literal(raw, line_start, eol, 0)
        segment = raw[pos : literal[0] if literal is not None else eol]
        fast = _fast_segment(segment, cur, stack, max_depth)
        cur = fast if fast is not None else _regex_segment(segment, cur, stack, max_depth, raw)
        if literal is None:
            break
        data_start = eol + 2
        data_end = data_start + literal[1]
        if data_end > end:
            raise ParseError(f"IMAP literal runs past the end of the response: {_snippet(raw)}")
        cur.append(raw[data_start:data_end])
        pos = line_start = data_end
    if eol + 2 != end:
        raise ParseError(f"Data after the end of an IMAP response: {_snippet(raw)}")
    if stack:
        raise ParseError(f"Unbalanced '(' in IMAP response: {_snippet(raw)}")
    return root


def _too_deep(max_depth: int) -> LimitExceededError:
    return LimitExceededError(f"IMAP response nests deeper than {max_depth} levels.")


def _fast_segment(
    segment: bytes, cur: list[Any], stack: list[list[Any]], max_depth: int
) -> list[Any] | None:
    """The common case in C-speed pieces: split at quotes, then split the rest at spaces and
    parentheses. Returns None (having changed nothing) when the segment needs the regex path:
    escapes inside quoted strings, control characters, lone or over-long brackets, or an odd
    number of quotes."""
    if segment == b")":
        # What follows a literal that ends a list (a header sync's BODY[...] {n}): every
        # response of a header sync has one.
        if not stack:
            raise ParseError("Unbalanced ')' in IMAP response")
        return stack.pop()
    parts = segment.split(b'"')
    if not len(parts) & 1:
        return None
    outside = b' " '.join(parts[0::2])
    # Byte-set checks by translate and `in` (plain C loops), several times faster than a
    # regular expression's character class scan; this runs on every response.
    if len(outside.translate(None, _UNSAFE_OUTSIDE)) != len(outside):
        return None
    sections: list[bytes] = []
    if b"[" in outside or b"]" in outside:
        sections = _BRACKETS.findall(outside)
        if any(b'"' in section for section in sections):
            return None
        outside = _BRACKETS.sub(_MARK, outside)
        if b"[" in outside or b"]" in outside:
            return None  # a lone or over-long bracket: the regex path decides
    quoted = parts[1::2]
    if quoted:
        inside = b'"'.join(quoted)
        if b"\\" in inside or b"\r" in inside or b"\n" in inside:
            return None
    # Validated: only parenthesis balance or depth can still fail, and that error ends the
    # whole parse, so the partly filled lists never escape.
    next_quoted = iter(quoted).__next__
    next_section = 0
    append = cur.append
    # Decoded once, so each atom is already its str (Latin-1 maps bytes to code points 1:1).
    # Validated text has no whitespace but spaces; str.split() would also cut at the
    # Latin-1 NBSP and NEL, so text with 8-bit bytes is cut at spaces only.
    text = outside.decode("latin-1").replace("(", " ( ").replace(")", " ) ")
    tokens = text.split() if text.isascii() else [t for t in text.split(" ") if t]
    for t in tokens:
        if t == '"':
            append(next_quoted())
        elif t == "(":
            new: list[Any] = []
            append(new)
            stack.append(cur)
            if len(stack) > max_depth:
                raise _too_deep(max_depth)
            cur = new
            append = cur.append
        elif t == ")":
            if not stack:
                raise ParseError("Unbalanced ')' in IMAP response")
            cur = stack.pop()
            append = cur.append
        elif t == "NIL" or (len(t) == 3 and t.upper() == "NIL"):
            append(None)
        elif sections and _MARK_TEXT in t:
            pieces = t.split(_MARK_TEXT)
            atom = pieces[0]
            for piece in pieces[1:]:
                atom += sections[next_section].decode("latin-1") + piece
                next_section += 1
            append(atom)
        else:
            append(t)
    return cur


def _regex_segment(
    segment: bytes, cur: list[Any], stack: list[list[Any]], max_depth: int, raw: bytes
) -> list[Any]:
    append = cur.append
    for q, a, o, c, bad in _TOKEN.findall(segment):
        if q:
            append(unquote(q))
        elif a:
            if len(a) == 3 and a.upper() == b"NIL":
                append(None)
            else:
                append(a.decode("latin-1"))
        elif o:
            new: list[Any] = []
            append(new)
            stack.append(cur)
            if len(stack) > max_depth:
                raise _too_deep(max_depth)
            cur = new
            append = cur.append
        elif c:
            if not stack:
                raise ParseError(f"Unbalanced ')' in IMAP response: {_snippet(raw)}")
            cur = stack.pop()
            append = cur.append
        else:
            raise ParseError(f"Unexpected {bad!r} in IMAP response: {_snippet(raw)}")
    return cur


# --- the regular header-sync FETCH answer, in one match --------------------------------------
#
# A bulk header sync gets thousands of answers of one shape:
#   (UID n FLAGS (...) RFC822.SIZE n INTERNALDATE "..." [MODSEQ (n)] ENVELOPE (...)
#    BODYSTRUCTURE (...) BODY[HEADER.FIELDS (REFERENCES)] {n}CRLF<literal>)CRLF
# One regular expression takes the whole fixed part (ENVELOPE included) in C; the
# BODYSTRUCTURE, which nests, is read by _body_structure's expressions when it has one of the
# common shapes, else by _fast_segment. Anything else in the least (other
# order or items, NIL in another case, escapes, extra spaces, a literal elsewhere) does not
# match, and the caller tokenizes as usual: the result, when there is one, is exactly what
# tokenize gives.
_QUOTED_OR_NIL = rb'(?:NIL|"([^"\\\r\n]*)")'  # group: the content, None for NIL
_QUOTED_OR_NIL_BARE = rb'(?:NIL|"[^"\\\r\n]*")'
# The group after the route (NIL) never takes part, so Match.groups() is the address's
# four tokens as tokenize gives them: name, None, mailbox, host.
_ADDRESS = re.compile(
    rb"\(" + _QUOTED_OR_NIL + rb" NIL((?!))? " + _QUOTED_OR_NIL + rb" " + _QUOTED_OR_NIL + rb"\)"
)
_groups = re.Match.groups
_ADDRESS_LIST = (
    rb"(NIL|\((?:\("
    + _QUOTED_OR_NIL_BARE
    + rb" NIL "
    + _QUOTED_OR_NIL_BARE
    + rb" "
    + _QUOTED_OR_NIL_BARE
    + rb"\))+\))"
)
_ATOM = rb'[^\x00-\x20\x7f(){"\[\]]+'
_HEADER_FETCH = re.compile(
    rb"\(UID (\d{1,20}) FLAGS \(((?:" + _ATOM + rb"(?: " + _ATOM + rb")*)?)\)"
    rb' RFC822\.SIZE (\d{1,20}) INTERNALDATE "([^"\\\r\n]*)"'
    rb"(?: MODSEQ \((\d{1,20})\))?"
    rb" ENVELOPE \("
    + _QUOTED_OR_NIL
    + rb" "
    + _QUOTED_OR_NIL
    + (rb" " + _ADDRESS_LIST) * 6
    + rb" "
    + _QUOTED_OR_NIL
    + rb" "
    + _QUOTED_OR_NIL
    + rb"\)"
    rb" BODYSTRUCTURE (\(.*\)) BODY\[HEADER\.FIELDS \(REFERENCES\)\] \{(\d{1,18})\}\r\n"
)
_REFERENCES_ITEM = "BODY[HEADER.FIELDS (REFERENCES)]"


class HeaderFetchItems(list[Any]):
    """header_fetch_items' answer: equal to tokenize's list (the same items, the same token
    types), and known to be in the shape the expression checked, so a FetchPreparer need not
    check it again: the items in the order UID, FLAGS, RFC822.SIZE, INTERNALDATE, [MODSEQ],
    ENVELOPE, BODYSTRUCTURE, BODY[HEADER.FIELDS (REFERENCES)]; numbers of 1-20 digits; the
    flags atoms (or None for an atom NIL); INTERNALDATE bytes; the ENVELOPE's ten fields
    bytes or None, address lists None or lists of [name, None, mailbox, host] with bytes or
    None each; the References literal as bytes.

    `body_checked`: the BODYSTRUCTURE was read by the expressions (see _body_structure):
    one part or a multipart of parts, each part [type, subtype, params, id, description,
    encoding, size, (lines,) md5, disposition, language, location] with type, subtype and
    encoding bytes, the others bytes or None, params None or a list of bytes pairs, the
    disposition None or [bytes, params], size and lines digits; a multipart's tail is
    [subtype, params, disposition, language, location] of the same kinds."""

    __slots__ = ("body_checked",)

    body_checked: bool


# The item list, the ENVELOPE, an address list, an address: tokenize refuses a lower limit.
_ENVELOPE_DEPTH = 4

# The BODYSTRUCTURE's common shapes, read by regular expressions too: one non-message part,
# or a multipart whose parts are all such parts (no nesting), each in the form Dovecot sends:
#    ("type" "subtype" (params)|NIL id desc "encoding" size [lines] md5 disposition lang loc)
# with every string quoted (no escapes) or NIL in capitals, params as quoted pairs, a
# disposition NIL or ("type" (params)|NIL), a language NIL or one string; a multipart ends in
# "subtype" (params)|NIL disposition lang loc. Anything else goes to _fast_segment as before.
_QUOTED = rb'"([^"\\\r\n]*)"'
_PARAMS = rb'(NIL|\((?:"[^"\\\r\n]*" "[^"\\\r\n]*")(?: "[^"\\\r\n]*" "[^"\\\r\n]*")*\))'
_EXTENSION = (
    rb" (NIL|\("
    + _QUOTED
    + rb" "
    + _PARAMS
    + rb"\)) "
    + _QUOTED_OR_NIL
    + rb" "
    + _QUOTED_OR_NIL
    + rb"\)"
)
_PART = re.compile(
    rb"\("
    + _QUOTED
    + rb" "
    + _QUOTED
    + rb" "
    + _PARAMS
    + rb" "
    + _QUOTED_OR_NIL
    + rb" "
    + _QUOTED_OR_NIL
    + rb" "
    + _QUOTED
    + rb" (\d{1,20})(?: (\d{1,20}))? "
    + _QUOTED_OR_NIL
    + _EXTENSION
)
_MULTIPART_END = re.compile(rb" " + _QUOTED + rb" " + _PARAMS + _EXTENSION)
# Lists nested in a multipart: the part, its parameters or disposition, the latter's
# parameters (tokenize counts the BODYSTRUCTURE's own list as the first level).
_STRUCTURE_DEPTH = 4


def _params(text: bytes) -> list[Any] | None:
    # Validated pairs of quoted strings without escapes: the contents lie between quotes.
    return None if text == b"NIL" else text.split(b'"')[1::2]


def _part_tokens(m: re.Match[bytes]) -> list[Any]:
    (major, minor, params, part_id, description, encoding, size, lines, md5, disposition,
     disposition_type, disposition_params, language, location) = m.groups()  # fmt: skip
    tokens: list[Any] = [
        major,
        minor,
        _params(params),
        part_id,
        description,
        encoding,
        size.decode("ascii"),
    ]
    if lines is not None:
        tokens.append(lines.decode("ascii"))
    tokens += (
        md5,
        None if disposition == b"NIL" else [disposition_type, _params(disposition_params)],
        language,
        location,
    )
    return tokens


def _body_structure(text: bytes, max_depth: int) -> list[Any] | None:
    """tokenize's tokens of a BODYSTRUCTURE in a common shape (see above), else None."""
    if max_depth < _STRUCTURE_DEPTH:
        return None
    if text.startswith(b'("'):
        m = _PART.fullmatch(text)
        return None if m is None else _part_tokens(m)
    if not text.startswith(b"(("):
        return None
    tokens: list[Any] = []
    pos = 1
    while True:
        m = _PART.match(text, pos)
        if m is None:
            return None
        tokens.append(_part_tokens(m))
        pos = m.end()
        if text.startswith(b"(", pos):
            continue
        if text.startswith(b" (", pos):
            pos += 1
            continue
        break
    end = _MULTIPART_END.fullmatch(text, pos)
    if end is None:
        return None
    (subtype, params, disposition, disposition_type, disposition_params, language,
     location) = end.groups()  # fmt: skip
    tokens += (
        subtype,
        _params(params),
        None if disposition == b"NIL" else [disposition_type, _params(disposition_params)],
        language,
        location,
    )
    return tokens


def _addresses(value: bytes) -> list[Any] | None:
    if value == b"NIL":
        return None
    one = _ADDRESS.fullmatch(value, 1, len(value) - 1)  # the usual single address
    if one is not None:
        return [list(one.groups())]
    return list(map(list, map(_groups, _ADDRESS.finditer(value))))


def header_fetch_items(raw: bytes, start: int, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """tokenize(raw, start)[0] when raw[start:] is a regular header-sync FETCH answer (see
    above), else None (tokenize decides, errors included)."""
    if max_depth < _ENVELOPE_DEPTH:
        return None
    m = _HEADER_FETCH.match(raw, start)
    if m is None:
        return None
    end = m.end() + int(m[17])
    if len(raw) != end + 3 or not raw.endswith(b")\r\n"):
        return None
    # The BODYSTRUCTURE alone; any doubt (an error, a deep tree) is left to tokenize, which
    # sees it in place and says it the same way as for any response.
    body = _body_structure(m[16], max_depth - 1)
    body_checked = body is not None
    if body is None:
        structure: list[Any] = []
        stack: list[list[Any]] = []
        try:
            if _fast_segment(m[16], structure, stack, max_depth - 1) is not structure or stack:
                return None
        except (ParseError, LimitExceededError):
            return None
        if len(structure) != 1 or structure[0].__class__ is not list:
            return None
        body = structure[0]
    flags: list[Any] = m[2].decode("latin-1").split(" ") if m[2] else []
    for i, flag in enumerate(flags):
        if len(flag) == 3 and flag.upper() == "NIL":
            flags[i] = None
    items = HeaderFetchItems(
        (
            "UID",
            m[1].decode("ascii"),
            "FLAGS",
            flags,
            "RFC822.SIZE",
            m[3].decode("ascii"),
            "INTERNALDATE",
            m[4],
        )
    )
    items.body_checked = body_checked
    if m[5] is not None:
        items += ("MODSEQ", [m[5].decode("ascii")])
    # From, Sender and Reply-To are mostly the same text: such lists are made once and
    # shared (equal to what tokenize makes; nothing changes token lists in place).
    from_list = _addresses(m[8])
    lists: dict[bytes, list[Any] | None] = {m[8]: from_list}
    for i in range(9, 14):
        text = m[i]
        if text not in lists:
            lists[text] = _addresses(text)
    envelope = [
        m[6],
        m[7],
        from_list,
        lists[m[9]],
        lists[m[10]],
        lists[m[11]],
        lists[m[12]],
        lists[m[13]],
        m[14],
        m[15],
    ]
    items += ("ENVELOPE", envelope, "BODYSTRUCTURE", body)
    items += (_REFERENCES_ITEM, raw[m.end() : end])
    return items


def freeze(value: Any) -> Any:
    """Lists -> tuples, all levels, iteratively (for values kept inside frozen dataclasses)."""
    if not isinstance(value, list):
        return value
    order: list[list[Any]] = []
    todo = [value]
    while todo:
        lst = todo.pop()
        order.append(lst)
        todo.extend(x for x in lst if isinstance(x, list))
    frozen: dict[int, tuple[Any, ...]] = {}
    for lst in reversed(order):
        frozen[id(lst)] = tuple(frozen[id(x)] if isinstance(x, list) else x for x in lst)
    return frozen[id(value)]
