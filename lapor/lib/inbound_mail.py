"""Reading the e-mail a citizen sends to the portal: who sent it, what it says, what it carries,
and whether a machine wrote it. Pure functions over bytes; the listener and the database are
elsewhere.

``parse_mail`` never raises, whatever the bytes: it parses with ``email.policy.compat32``, which
keeps every header as the raw text the client sent and leaves the reading to this module
(``policy.default`` interprets headers as they are accessed, raises on some malformed ones and has
had quadratic-time inputs). Headers are decoded here (RFC 2047 words, RFC 2231 parameters, raw
8-bit bytes) with the same charset fallbacks as the bodies. Nesting is read to ``MAX_DEPTH``
levels: the parser itself stops descending there (deeper multipart or message parts are left
unread and counted as defects), so a thousand-level message costs neither a ``RecursionError``
nor the parser's per-line boundary checks at every level.

HTML is read by a small tokenizer of this module, not by ``html.parser``: on Python 3.11 that
parser takes minutes over unclosed tags (``"<a " * 50000``) and raises ``AssertionError`` on some
``<![`` markup, and a mail listener reads whatever a stranger sends.
"""

from __future__ import annotations

import binascii
import codecs
import html
import logging
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy
from email.policy import compat32 as policy_compat32
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import unquote_to_bytes

import charset_normalizer

logger = logging.getLogger(__name__)

# What one message may cost to read: MIME nesting, parts visited, characters of one header value,
# bytes of one text part decoded, characters of HTML converted.
MAX_DEPTH = 16
MAX_PARTS = 500
# What the parser may make of one message before it stops reading it (no person's message comes
# near): MIME parts and header fields, all told. Each costs the parser memory and time whether or
# not it is visited, and "--b\r\n\r\n" makes one in seven bytes.
MAX_PARSED_PARTS = 5_000
MAX_HEADER_FIELDS = 10_000
MAX_HEADER = 16_384
MAX_TEXT_PART = 2_000_000
MAX_HTML = 2_000_000
MAX_FULL_TEXT = 100_000
MAX_SUBJECT = 998  # RFC 5322's line limit: a longer subject is not a person's title
MAX_IDS = 50  # message ids taken from In-Reply-To and References
GUESS_BYTES = 65_536  # what charset-normalizer samples when the declared charset fails
GUESS_MIN = 48  # bytes below which its guesses are noise: Windows-1252 is read instead
# A forwarded message is the point of the mail when the sender's own words before it are at most
# this long ("Mohon ditindaklanjuti, terima kasih."); a longer text is the point itself, and what
# it forwards is a quotation.
FORWARD_NOTE_MAX = 300
# A "-- " signature is cut only when at most this many non-blank lines follow it.
SIGNATURE_MAX_LINES = 12

BOUNCE = "bounce"
AUTO_REPLY = "auto-reply"
BULK = "bulk"
LOOP = "loop"


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without <>; "" when missing
    in_reply_to: list[str]  # In-Reply-To, then References newest first; without <>
    sender: str  # the From address (else the envelope sender), lower-cased; "" if unreadable
    sender_name: str  # the display name of From; "" if none
    subject: str  # decoded, whitespace collapsed, reply and forward prefixes stripped
    text: str  # the body, quotations and signature trimmed, at most max_text characters
    full_text: str  # the body before trimming, at most MAX_FULL_TEXT characters
    attachments: list[MailAttachment]
    auto: str  # "" for a person's message, else BOUNCE, AUTO_REPLY, BULK or LOOP
    defects: int  # MIME defects the parser recorded, and parts left unread


# --- characters -------------------------------------------------------------------------------

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
# Controls other than tab and newline (C1 too: they are what Windows-1252 punctuation becomes when
# read as Latin-1), surrogates (undecoded bytes), noncharacters, the replacement character and the
# byte order mark: nothing a citizen typed, and what ``lapor.lib.text`` refuses in a report.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufeff" + _NONCHARACTERS + "]"
)
_SURROGATE_BYTES = re.compile("[\udc80-\udcff]")


def _clean(text: str) -> str:
    """Newlines as ``\\n``, no unwanted characters, no trailing spaces, at most one blank line
    in a row, no blank lines around."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\xa0", " ")
    text = _UNWANTED.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def _one_line(text: str) -> str:
    return " ".join(_UNWANTED.sub("", text).split())


# --- charsets ---------------------------------------------------------------------------------

# Labels that mail clients write for a narrower charset than the one they use.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "tis-620": "cp874",
    "windows-874": "cp874",
}
# Codecs that decode bytes but are no charset of a text (punycode takes quadratic time,
# "undefined" always fails).
_NOT_CHARSETS = {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip("\"'").lower()[:40]
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    return None if codec in _NOT_CHARSETS else codec


def _guess(data: bytes) -> str | None:
    try:
        best = charset_normalizer.from_bytes(data[:GUESS_BYTES]).best()
    except Exception as error:  # a heuristic given hostile bytes: no guess is an answer too
        logger.debug("charset-normalizer failed: %s", type(error).__name__)
        return None
    if best is None:
        return None
    codec = _codec(best.encoding)
    try:
        return None if codec is None else data.decode(codec, errors="replace")
    except (ValueError, LookupError):
        return None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` as text: in the declared charset (or its usual superset), else UTF-8, else the
    charset charset-normalizer finds (in ``GUESS_MIN`` bytes or more), else Windows-1252, else
    Latin-1."""
    candidates = []
    for label in (_SUPERSETS.get((charset or "").strip().lower()), charset, "utf-8"):
        codec = _codec(label)
        if codec and codec not in candidates:
            candidates.append(codec)
    for codec in candidates:
        try:
            return data.decode(codec)
        except (ValueError, LookupError):  # UnicodeDecodeError, or a codec's own UnicodeError
            continue
    guessed = _guess(data) if len(data) >= GUESS_MIN else None
    if guessed is not None:
        return guessed
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _from_8bit(value: str, charset: str | None) -> str:
    """A raw header value with its undecoded 8-bit bytes (surrogate escapes) decoded."""
    if not _SURROGATE_BYTES.search(value):
        return value
    return _decode_bytes(value.encode("utf-8", "surrogateescape"), charset)


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        data = text.encode("ascii", "ignore")
        for candidate in (data + b"=" * (-len(data) % 4), data[: len(data) // 4 * 4]):
            try:
                return binascii.a2b_base64(candidate)
            except binascii.Error:
                continue
        return b""
    data = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QP_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_words(value: str, charset: str | None = None) -> str:
    """A header's text with RFC 2047 encoded words decoded (adjacent words of one charset are
    decoded together: clients split a character between two of them) and raw 8-bit bytes read
    in ``charset``, UTF-8 or a guessed charset."""
    value = _from_8bit(value, charset)
    out: list[str] = []
    run: list[tuple[str, bytes]] = []  # adjacent encoded words: (charset, bytes)
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not run or between.strip():
            out.extend(_decode_bytes(data, label) for label, data in run)
            run = []
            out.append(between)
        label = match.group(1).split("*", 1)[0]  # RFC 2231 adds a language: utf-8*id
        data = _word_bytes(match.group(2), match.group(3))
        if run and run[-1][0].lower() == label.lower():
            run[-1] = (label, run[-1][1] + data)
        else:
            run.append((label, data))
        position = match.end()
    out.extend(_decode_bytes(data, label) for label, data in run)
    out.append(value[position:])
    return "".join(out)


# --- headers ----------------------------------------------------------------------------------


def _headers(message: Message) -> dict[str, list[str]]:
    """Raw header values by lower-cased name, unfolded, each at most MAX_HEADER characters."""
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        text = str(value)[:MAX_HEADER].replace("\r", "").replace("\n", "")
        found.setdefault(str(name).strip().lower(), []).append(text)
    return found


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _split_parameters(text: str) -> list[str]:
    """``text`` split at the semicolons outside quoted strings."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # Only \" and \\ are unescaped: clients write Windows paths with bare backslashes.
        return re.sub(r'\\(["\\])', r"\1", value[1:-1])
    return value.strip('"')


def _parameters(value: str, charset: str | None = None) -> tuple[str, dict[str, str]]:
    """A Content-Type or Content-Disposition value: its lower-cased first part and its decoded
    parameters (RFC 2231 continuations and charsets, RFC 2047 words in quoted values, which
    Outlook and Gmail write for file names)."""
    pieces = _split_parameters(_from_8bit(value, charset))
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[bool, str]]] = {}
    for piece in pieces[1:101]:
        name, equals, raw = piece.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        match = re.fullmatch(r"([^*]+)\*(?:(\d{1,3})\*?)?", name)
        if match is None:
            plain.setdefault(name, _unquote(raw))
            continue
        encoded = name.endswith("*")
        index = int(match.group(2) or 0)
        extended.setdefault(match.group(1), {}).setdefault(index, (encoded, _unquote(raw)))
    decoded = {name: decode_words(text, charset) for name, text in plain.items()}
    for name, sections in extended.items():
        label = None
        data = b""
        for index in sorted(sections):
            encoded, text = sections[index]
            if encoded and index == min(sections) and text.count("'") >= 2:
                label, _language, text = text.split("'", 2)
            data += unquote_to_bytes(text) if encoded else text.encode("utf-8", "surrogateescape")
        decoded[name] = _decode_bytes(data, label or charset)
    return pieces[0].strip().lower(), decoded


_TOKEN_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def _content_type(message: Message) -> tuple[str, dict[str, str]]:
    """The part's content type as the parser read it (so it agrees on what is multipart), and
    its parameters."""
    kind = message.get_content_type()
    raw = "; ".join(
        str(value)[:MAX_HEADER]
        for name, value in message.raw_items()
        if name.lower() == "content-type"
    )
    _value, parameters = _parameters(raw.replace("\r", "").replace("\n", ""))
    return (kind if _TOKEN_TYPE.fullmatch(kind) else "application/octet-stream"), parameters


_IDS = re.compile(r"<([^<>\s]{1,500})>")


def _message_ids(value: str) -> list[str]:
    found = [_one_line(match) for match in _IDS.findall(value)]
    if not found:
        found = [_one_line(word) for word in value.split() if "@" in word and len(word) <= 500]
    return [found_id for found_id in found if found_id]


_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]{1,64}@[^@\s<>(),;:\"\[\]\\]{1,255}")


def _address(value: str, charset: str | None) -> tuple[str, str]:
    """The first readable address of an address header, lower-cased, and its display name."""
    try:
        pairs = getaddresses([_from_8bit(value, charset)[:2000]])
    except (ValueError, IndexError, TypeError):
        return "", ""
    for name, address in pairs:
        address = address.strip().lower()
        if _ADDRESS.fullmatch(address) and not _UNWANTED.search(address):
            return address, _one_line(decode_words(name, charset)).strip("\"' ")
    return "", ""


def _base_address(address: str) -> str:
    """An address without brackets and without its ``+tag`` (the same mailbox)."""
    local, _at, domain = address.strip().strip("<>").lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


# --- automatic mail ---------------------------------------------------------------------------

_MAILER_DAEMONS = {"mailer-daemon", "postmaster"}
_BOUNCE_SUBJECT = re.compile(
    r"^(?:undeliverable|undelivered mail returned to sender|delivery status notification"
    r" \(failure\)|mail delivery failed|returned mail)\s*(?::|$)",
    re.I,
)
# Only the subjects that an out-of-office responder writes: a phrase followed by a colon, or the
# phrase alone ("Out of office hours service refused" is a citizen's title).
_AUTO_SUBJECT = re.compile(
    r"^(?:automatic reply|auto[- ]?reply|auto[- ]?response|autoresponse|out of (?:the )?office"
    r"|balasan otomatis|sedang tidak di kantor|sedang di luar kantor)\s*(?::|$)",
    re.I,
)
_NO = {"no", "false", "0"}


def _keyword(value: str) -> str:
    """A header's first word, lower-cased, without comments and parameters."""
    return re.sub(r"\([^)]*\)", "", value).split(";", 1)[0].strip().lower()


def _automatic(
    headers: dict[str, list[str]],
    *,
    kind: str,
    parameters: dict[str, str],
    sender: str,
    envelope_sender: str | None,
    subject: str,
    our_addresses: Sequence[str],
    loop_header: str,
    max_received: int,
) -> str:
    """Why the message is automatic, or ""; the first reason found of loop, bounce, auto-reply
    and bulk."""
    ours = {_base_address(address) for address in our_addresses if "@" in address}
    envelope = (envelope_sender or "").strip().strip("<>").strip().lower()
    if (
        loop_header.strip().lower() in headers
        or (sender and _base_address(sender) in ours)
        or (envelope and _base_address(envelope) in ours)
        or len(headers.get("received", ())) > max_received
    ):
        return LOOP
    return_path = _first(headers, "return-path").strip()
    null_sender = (
        envelope == ""
        if envelope_sender is not None
        else return_path.strip("<> \t") == "" and "return-path" in headers
    )
    report_type = parameters.get("report-type", "").lower()
    if kind == "multipart/report" and report_type == "disposition-notification":
        return AUTO_REPLY  # a read receipt
    if (
        null_sender
        or kind == "multipart/report"
        or sender.partition("@")[0] in _MAILER_DAEMONS
        or envelope.partition("@")[0] in _MAILER_DAEMONS
        or "x-failed-recipients" in headers
        or _BOUNCE_SUBJECT.match(subject)
    ):
        return BOUNCE
    suppress = {
        word.strip().lower() for word in _first(headers, "x-auto-response-suppress").split(",")
    }
    precedence = _keyword(_first(headers, "precedence"))
    if (
        _keyword(_first(headers, "auto-submitted")) not in {"", *_NO}
        or ("x-autoreply" in headers and _keyword(_first(headers, "x-autoreply")) not in _NO)
        or ("x-autorespond" in headers and _keyword(_first(headers, "x-autorespond")) not in _NO)
        or suppress & {"all", "oof"}
        or precedence == "auto_reply"
        or _AUTO_SUBJECT.match(subject)
    ):
        return AUTO_REPLY
    if (
        precedence in {"bulk", "junk", "list"}
        or "list-id" in headers
        or "list-unsubscribe" in headers
    ):
        return BULK
    return ""


# --- subject ----------------------------------------------------------------------------------

_REPLY_PREFIXES = r"re|bls|balas|aw|回复|回覆|答复"
_FORWARD_PREFIXES = r"fwd?|fw|tr|trs|wg|转发|轉寄"
_PREFIX = re.compile(
    rf"^(?:{_REPLY_PREFIXES}|{_FORWARD_PREFIXES})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.I
)
_FORWARD_PREFIX = re.compile(rf"^(?:{_FORWARD_PREFIXES})\s*(?:\[\d+\])?\s*[:：]", re.I)


def clean_subject(subject: str) -> str:
    """A decoded subject with its whitespace collapsed and its reply and forward prefixes
    (Re:, Fwd:, Fw:, Bls:, Balas:, Tr:, Trs:, AW:, WG:, and the Chinese ones) stripped."""
    subject = _one_line(subject)
    while match := _PREFIX.match(subject):
        subject = subject[match.end() :]
    return subject[:MAX_SUBJECT].strip()


# --- HTML -------------------------------------------------------------------------------------

_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
    "param", "source", "track", "wbr",
}  # fmt: skip
_RAW = {"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"}
_SKIPPED = {"head", "template", "noscript", "svg", "math", "object", "select", "button"}
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {
    "div", "tr", "li", "dt", "dd", "hr", "ul", "ol", "dl", "table", "blockquote", "pre",
    "section", "article", "header", "footer", "nav", "aside", "main", "caption", "center",
    "form", "fieldset", "address", "figure", "figcaption", "details", "summary", "body", "html",
}  # fmt: skip
_QUOTE_CLASSES = {
    "gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_.-]{0,63})([^>]*)>", re.S)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_MAX_TAG = 10_000
_HIDDEN = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.I)
_OUTLOOK_RULE = re.compile(r"border-top\s*:\s*solid\s+#(?:e1e1e1|b5c4df)", re.I)


def _tokens(source: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """("text", text, {}), ("start", tag, attributes) and ("end", tag, {}) of an HTML text, in
    time linear in its length: a "<" with no ">" within ``_MAX_TAG`` characters is text, an
    unclosed comment or raw-text element runs to the end."""
    position = 0
    close = -1  # the next ">" at or after the current "<", found once for every "<" before it
    length = len(source)
    while position < length:
        start = source.find("<", position)
        if start < 0:
            yield "text", html.unescape(source[position:]), {}
            return
        if start > position:
            yield "text", html.unescape(source[position:start]), {}
        if source.startswith("<!--", start):
            end = source.find("-->", start + 4)
            if end < 0:
                return
            position = end + 3
            continue
        if close < start:
            close = source.find(">", start)
            if close < 0:
                yield "text", html.unescape(source[start:]), {}
                return
        if close - start > _MAX_TAG:
            yield "text", "<", {}
            position = start + 1
            continue
        if source.startswith(("<!", "<?"), start):  # doctype, Outlook's <![if ...]>, XML
            position = close + 1
            continue
        match = _TAG.fullmatch(source, start, close + 1)
        if match is None:
            yield "text", "<", {}
            position = start + 1
            continue
        position = close + 1
        tag = match.group(2).lower()
        if match.group(1):
            yield "end", tag, {}
            continue
        if tag in _RAW:  # script, style, title...: their text is not the message's
            end_match = re.compile(rf"</{tag}\s*>", re.I).search(source, position)
            if end_match is None:
                return
            position = end_match.end()
            continue
        attributes: dict[str, str] = {}
        for attribute in _ATTRIBUTE.finditer(match.group(3)):
            value = next((v for v in attribute.group(2, 3, 4) if v is not None), "")
            attributes.setdefault(attribute.group(1).lower(), html.unescape(value))
        yield "start", tag, attributes


@dataclass
class _Open:
    tag: str
    skip: bool = False
    quote: bool = False
    list_kind: str = ""
    items: int = 0
    written: int = 0
    nbsp: int = 0
    breaks: int = 0


@dataclass
class _Text:
    """Lines of text with their quotation level, and the line breaks asked for before the next
    text (written only when text follows: no blank lines at the ends)."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    level: int = 0
    pending: int = 0
    written: int = 0
    nbsp: int = 0

    def write(self, text: str, level: int) -> None:
        if not text.split():
            if "\xa0" in text:
                self.nbsp += 1
            if self.parts:
                self.parts.append(" ")
            return
        if self.pending:
            if self.parts or self.lines:
                previous = self._end_line()
                self.lines.extend([(min(previous, level), "")] * (self.pending - 1))
            self.pending = 0
        if not self.parts:
            self.level = level
        self.parts.append(text)
        self.written += 1

    def brk(self, lines: int, *, add: bool = False) -> None:
        self.pending = self.pending + lines if add else max(self.pending, lines)

    def _end_line(self) -> int:
        if self.parts:
            self.lines.append((self.level, " ".join("".join(self.parts).split())))
            self.parts = []
        return self.level

    def result(self) -> str:
        self._end_line()
        rendered = [("> " * level + text).rstrip() if level else text for level, text in self.lines]
        return _clean("\n".join(rendered))


class _HtmlReader:
    def __init__(self, *, keep_quotes: bool) -> None:
        self.keep_quotes = keep_quotes
        self.out = _Text()
        self.stack: list[_Open] = []
        self.skip = 0
        self.quote = 0
        self.stopped = False
        self.links: list[tuple[str, list[str]]] = []

    def read(self, source: str) -> str:
        for kind, value, attributes in _tokens(source[:MAX_HTML]):
            if kind == "text":
                self.text(value)
            elif kind == "start":
                self.start(value, attributes)
            else:
                self.end(value)
        return self.out.result()

    def text(self, text: str) -> None:
        if self.skip or self.stopped:
            return
        self.out.write(text, self.quote)
        if self.links:
            self.links[-1][1].append(text)

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.stopped:
            return
        classes = set(attributes.get("class", "").lower().split())
        element_id = attributes.get("id", "").lower()
        style = attributes.get("style", "")
        if not self.keep_quotes and (
            "divrplyfwdmsg" in element_id
            or element_id in {"appendonsend", "appendonmessage"}
            or (tag == "div" and _OUTLOOK_RULE.search(style))
        ):
            self.stopped = True  # Outlook: everything after its reply header is the old message
            return
        if tag in {"br", "hr"}:
            if not self.skip:
                self.out.brk(1, add=tag == "br")
            return
        if tag in _VOID:
            return
        opened = _Open(tag, written=self.out.written, nbsp=self.out.nbsp)
        quoted = tag == "blockquote" or bool(classes & _QUOTE_CLASSES)
        if (
            tag in _SKIPPED
            or _HIDDEN.search(style)
            or "hidden" in attributes
            or (quoted and not self.keep_quotes)
        ):
            opened.skip = True
            self.skip += 1
        if tag == "blockquote" and self.keep_quotes:
            opened.quote = True
            self.quote += 1
        opened.breaks = 0 if self.skip else self._breaks(tag, classes)
        if opened.breaks:
            self.out.brk(opened.breaks)
        if tag in {"ul", "ol"}:
            opened.list_kind = tag
        if tag == "li":
            self._bullet()
        if tag in {"td", "th"}:
            self.text(" ")
        if tag == "a":
            self.links.append((attributes.get("href", "").strip(), []))
        self.stack.append(opened)

    def _breaks(self, tag: str, classes: set[str]) -> int:
        if tag in _PARAGRAPHS:
            return 1 if "msonormal" in classes else 2  # Outlook writes every line as a <p>
        return 1 if tag in _BLOCKS else 0

    def _bullet(self) -> None:
        kind = next((entry for entry in reversed(self.stack) if entry.list_kind), None)
        if kind is not None and kind.list_kind == "ol":
            kind.items += 1
            self.text(f"{kind.items}. ")
        else:
            self.text("- ")

    def end(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, max(-1, len(self.stack) - 65), -1):
            if self.stack[depth].tag == tag:
                while len(self.stack) > depth:
                    self._close(self.stack.pop())
                return

    def _close(self, opened: _Open) -> None:
        if opened.tag == "a" and self.links:
            href, parts = self.links.pop()
            self._link(href, " ".join("".join(parts).split()))
        if opened.skip:
            self.skip -= 1
        if opened.quote:
            self.quote -= 1
        if opened.breaks:
            if opened.written == self.out.written and opened.nbsp < self.out.nbsp:
                self.out.brk(1, add=True)  # an empty paragraph of &nbsp; is a blank line
            self.out.brk(opened.breaks)

    def _link(self, href: str, text: str) -> None:
        if not text or self.skip or self.stopped:
            return
        scheme = href.split(":", 1)[0].lower()
        if scheme not in {"http", "https", "ftp", "mailto", "tel"}:
            return
        shown = href.split("?", 1)[0][7:] if scheme == "mailto" else href
        if scheme == "tel":
            shown = href[4:]

        def plain(value: str) -> str:
            return re.sub(r"^(?:https?://|mailto:|tel:)|/$", "", value.strip().lower())

        if plain(shown) != plain(text) and plain(shown) not in plain(text):
            self.out.write(f" ({shown})", self.quote)


def html_to_text(source: str, *, keep_quotes: bool = False) -> str:
    """An HTML body as plain text: blocks and ``<br>`` as line breaks, list items as "- " (or
    "1. " in an ordered list), links as "text (url)" when the text is not the address, no
    script, style, head or hidden element, entities unescaped, at most one blank line in a row.

    Quoted blocks of replies are dropped: ``<blockquote>`` (Apple Mail's ``type=cite`` too),
    Gmail's ``div.gmail_quote``, Yahoo's ``yahoo_quoted``, Thunderbird's ``moz-cite-prefix``, and
    everything from Outlook's ``divRplyFwdMsg``, ``#appendonsend`` or reply rule on. With
    ``keep_quotes`` they stay, a blockquote's lines marked "> " as in a plain-text reply, so that
    ``trim_reply`` can tell a forwarded message (which Gmail and Outlook put in the same
    containers) from a quoted one."""
    return _HtmlReader(keep_quotes=keep_quotes).read(source)


# --- quotations and signatures ----------------------------------------------------------------

_QUOTED = re.compile(r"^\s*>")
# "On <date>, <name> wrote:" (Yahoo for Android goes on with the quotation on the same line).
_ATTRIBUTION = re.compile(
    r"^(?:on|pada)\s.{0,400}?\b(?:wrote|menulis)\s*:(?:\s{2,}\S.*)?$", re.I | re.S
)
# What tells a client's attribution from a citizen's "Pada surat itu, Camat menulis:".
_ATTRIBUTION_EVIDENCE = re.compile(r"@|\b\d{1,2}[:.]\d{2}\b")
_ANY_ATTRIBUTION = re.compile(r"^.{0,400}?\b(?:wrote|writes|menulis)\s*:$", re.I | re.S)
_ORIGINAL = re.compile(
    r"^-{2,}\s*(?:original message|pesan asli|pesan awal|pesan semula)\s*-{2,}$", re.I
)
_RULE = re.compile(r"^_{20,}$")
_FORWARD = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|pesan terusan|pesan yang diteruskan)\s*-{2,}"
    r"|begin forwarded message\s*:|awal pesan yang diteruskan\s*:|pesan yang diteruskan\s*:)$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\*?(?:from|dari)\s*:\*?\s*\S", re.I)
_HEADER_DATE = re.compile(r"^\*?(?:sent|date|dikirim|tanggal|terkirim|waktu)\s*:\*?", re.I)
_HEADER_TO = re.compile(r"^\*?(?:to|subject|kepada|ke|perihal|subjek|judul|cc)\s*:\*?", re.I)
_HEADER_ANY = re.compile(
    r"^\*?(?:from|dari|sent|date|dikirim|tanggal|terkirim|waktu|to|subject|kepada|ke|perihal"
    r"|subjek|judul|cc|bcc|reply-to|balas ke)\s*:",
    re.I,
)
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from my \w[\w .-]{0,40}"
    r"|sent from (?:yahoo mail|outlook|mail|gmail|aol mail)(?: (?:for|on) [\w .-]{1,30})?"
    r"|sent from mail for windows(?: 1[01])?"
    r"|get outlook for (?:android|ios)"
    r"|dapatkan outlook untuk (?:android|ios)"
    r"|dikirim dari (?:iphone|ipad|ponsel|perangkat|smartphone|telepon|android|samsung|galaxy"
    r"|yahoo mail|outlook|mail untuk windows)\b[\w .-]{0,50})"
    r"\s*(?:<[^>]*>|\([^)]*\)|\[[^\]]*\])?\s*\.?$",
    re.I,
)


def _attribution_span(lines: list[str], index: int, pattern: re.Pattern[str]) -> int:
    """How many lines (1 to 3: clients wrap a long one) from ``index`` form an attribution line
    ("On <date>, <name> wrote:"), or 0."""
    first = lines[index].strip()
    if not first or _QUOTED.match(first):
        return 0
    joined = first
    for span in range(1, 4):
        if span > 1:
            if index + span - 1 >= len(lines) or not lines[index + span - 1].strip():
                return 0
            joined += " " + lines[index + span - 1].strip()
        if pattern.match(joined):
            return span
        if joined.endswith(":"):
            return 0
    return 0


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _header_block(lines: list[str], index: int) -> bool:
    """Whether an Outlook header block of a quoted or forwarded message starts at ``index``:
    From/Dari, then Sent/Date/Dikirim/Tanggal and To/Subject/Kepada/Perihal within a few lines."""
    if not _HEADER_FROM.match(lines[index].strip()):
        return False
    following = [line.strip() for line in lines[index + 1 : index + 7]]
    return any(_HEADER_DATE.match(line) for line in following[:4]) and any(
        _HEADER_TO.match(line) for line in following
    )


def _first_break(lines: list[str], *, forward: bool) -> tuple[str, int, int] | None:
    """The first line where an earlier message starts: ("forward", line, first line of the
    forwarded text) or ("quote", line, line)."""
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or _QUOTED.match(line):
            continue
        if _FORWARD.match(line):
            return "forward", index, index + 1
        outlook = _ORIGINAL.match(line) or _RULE.match(line)
        header = not outlook and _header_block(lines, index)
        if outlook or header:
            before = any(previous.strip() for previous in lines[:index])
            if forward:
                return "forward", index, index if header else index + 1
            if outlook or before:  # a letter may start with "Dari: ... Tanggal: ..."
                return "quote", index, index
        span = _attribution_span(lines, index, _ATTRIBUTION)
        if span and _ATTRIBUTION_EVIDENCE.search(" ".join(lines[index : index + span])):
            after = _next_filled(lines, index + span)
            if after == len(lines) or not _QUOTED.match(lines[after]):
                return "quote", index, index  # quoted without ">": cut
    return None


def _dequote(lines: list[str]) -> list[str]:
    """The leading run of quoted (and blank) lines with one level of "> " removed."""
    out: list[str] = []
    for position, line in enumerate(lines):
        if line.strip() and not _QUOTED.match(line):
            return out + lines[position:]
        out.append(re.sub(r"^\s*> ?", "", line))
    return out


def _forwarded(lines: list[str]) -> list[str]:
    """The forwarded message's text: without its header lines (From, Date, Subject, To)."""
    index = _next_filled(lines, 0)
    lines = lines[index:]
    if lines and _QUOTED.match(lines[0]):
        lines = _dequote(lines)
    index = _next_filled(lines, 0)
    if index < len(lines) and _HEADER_ANY.match(lines[index].strip()):
        end = index
        while end < len(lines) and lines[end].strip() and end - index < 30:
            end += 1
        index = end
    return lines[index:]


def _without_quotations(lines: list[str]) -> list[str]:
    """The lines with every ">" quoted block, and the attribution line before it, removed: the
    sender's own words stay, also those written between the quotations of an inline reply."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if not _QUOTED.match(lines[index]):
            out.append(lines[index])
            index += 1
            continue
        while out and not out[-1].strip():
            out.pop()
        for span in (3, 2, 1):
            if (
                len(out) >= span
                and _attribution_span(out, len(out) - span, _ANY_ATTRIBUTION) == span
            ):
                del out[-span:]
                break
        while index < len(lines):
            if _QUOTED.match(lines[index]):
                index += 1
            elif not lines[index].strip():
                after = _next_filled(lines, index)
                if after < len(lines) and _QUOTED.match(lines[after]):
                    index = after
                else:
                    break
            else:
                break
        out.append("")
    return out


def _without_signature(lines: list[str]) -> list[str]:
    def tail() -> None:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and _MOBILE_SIGNATURE.match(lines[-1].strip()):
            lines.pop()
            while lines and not lines[-1].strip():
                lines.pop()

    lines = list(lines)
    tail()
    for index in range(len(lines) - 1, -1, -1):
        if sum(1 for line in lines[index + 1 :] if line.strip()) > SIGNATURE_MAX_LINES:
            break
        if lines[index].rstrip() in {"--", "-- "}:
            del lines[index:]
            tail()
            break
    return lines


def _own_words(lines: list[str]) -> str:
    return _clean("\n".join(_without_signature(_without_quotations(lines))))


def _trim(lines: list[str], *, forward: bool, level: int) -> str:
    found = _first_break(lines, forward=forward)
    if found is None:
        return _own_words(lines)
    kind, index, body = found
    note = _own_words(lines[:index])
    if kind == "forward" and level < 3 and len(note) <= FORWARD_NOTE_MAX:
        forwarded = _trim(_forwarded(lines[body:]), forward=False, level=level + 1)
        return "\n\n".join(part for part in (note, forwarded) if part)
    return note


def trim_reply(text: str, *, forward: bool = False) -> str:
    """The sender's own words of a message body.

    - Quotations: a block of ">" lines is removed with the attribution line before it ("On
      <date>, <name> wrote:", "Pada <tanggal>, <nama> menulis:"), keeping what the sender wrote
      between quotations; from Outlook's "-----Original Message-----" / "-----Pesan Asli-----",
      a line of underscores, or a header block ("From: ... Sent: ... To: ...", "Dari: ...
      Dikirim: ... Kepada: ...") after the sender's text, everything is cut, and so from an
      attribution line that no ">" block follows.
    - Signature: a trailing "-- " block (of at most ``SIGNATURE_MAX_LINES`` lines) and a last line
      such as "Sent from my iPhone", "Dikirim dari iPhone saya", "Dikirim dari Yahoo Mail di
      Android" or "Get Outlook for Android" are removed.
    - Forwarded messages: a citizen forwards a complaint to the portal, so a forwarded message
      ("---------- Forwarded message ---------", "---------- Pesan terusan ---------", "Begin
      forwarded message:") is kept when the sender's own words before it are at most
      ``FORWARD_NOTE_MAX`` characters: the result is those words, a blank line, and the forwarded
      text without its From/Date/Subject/To lines (itself trimmed the same way, to three
      forwards deep). After longer words the forward is a quotation and is cut. With
      ``forward`` (the subject says Fwd/Fw/Tr/Trs/WG) an Outlook header block or separator is
      read as the start of a forwarded message, since Outlook writes no forward marker.
    """
    return _trim(_clean(text).split("\n"), forward=forward, level=0)


# --- format=flowed ----------------------------------------------------------------------------


def _unflow(text: str, *, delsp: bool) -> str:
    """A format=flowed text (RFC 3676) with its soft line breaks joined."""
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        content = stripped[1:] if stripped.startswith(" ") else stripped
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and depth != current_depth:
            out.append(">" * current_depth + (" " if current_depth else "") + current)
            current = None
        current = content if current is None else current + content
        current_depth = depth
        if not flowed:
            out.append(">" * depth + (" " if depth else "") + current)
            current = None
    if current is not None:
        out.append(">" * current_depth + (" " if current_depth else "") + current)
    return "\n".join(out)


# --- the MIME tree ----------------------------------------------------------------------------

_TOO_DEEP = "application/x-lapor-too-deep"
_SIGNATURES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-keys",
    "application/pgp-encrypted",
    "message/delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
}
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "application/pdf": ".pdf",
}


class _TooComplex(Exception):
    """More parts or header fields than ``MAX_PARSED_PARTS`` or ``MAX_HEADER_FIELDS``."""


@dataclass
class _Budget:
    """What the parser may still make of one message, every reading of it together."""

    parts: int = MAX_PARSED_PARTS
    fields: int = MAX_HEADER_FIELDS


class _Part(Message):
    """A compat32 message that knows its depth, so that the parser stops descending at
    MAX_DEPTH: deeper multipart and message parts read as one opaque leaf. The parser attaches
    every part to its parent before it asks the part's type. The parser stops (``_TooComplex``)
    once the message's parts or header fields exceed its ``_Budget``."""

    depth = 0
    budget: _Budget | None = None

    @classmethod
    def factory(cls, depth: int, budget: _Budget) -> Callable[..., Message]:
        """What makes the parser's parts, the first (the root) at ``depth``."""
        made = 0

        def make(policy: Policy = policy_compat32) -> Message:
            nonlocal made
            budget.parts -= 1
            if budget.parts < 0:
                raise _TooComplex
            part = cls(policy)
            part.depth = depth if made == 0 else 0  # attach() sets the others' depth
            part.budget = budget
            made += 1
            return part

        return make

    def set_raw(self, name: str, value: str) -> None:
        if self.budget is not None:
            self.budget.fields -= 1
            if self.budget.fields < 0:
                raise _TooComplex
        super().set_raw(name, value)

    def attach(self, payload: Message) -> None:  # type: ignore[override]
        if isinstance(payload, _Part):
            payload.depth = self.depth + 1
        super().attach(payload)

    def get_boundary(self, failobj: str | None = None) -> str | None:  # type: ignore[override]
        try:
            return super().get_boundary(failobj)
        except (UnicodeError, ValueError):  # an RFC 2231 boundary in a codec that cannot
            return failobj  # replace errors (boundary*=idna''...): no boundary, as missing

    def get_content_type(self) -> str:
        kind = super().get_content_type()
        if self.depth >= MAX_DEPTH and kind.split("/", 1)[0] in {"multipart", "message"}:
            return _TOO_DEEP
        return kind


@dataclass
class _Walk:
    charset: str | None  # the message's charset: raw 8-bit headers are likely in it
    budget: _Budget  # what reading it again (``_salvaged``) may still make
    texts: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    parts: int = 0
    defects: int = 0


def _disposition(part: Message, charset: str | None) -> tuple[str, dict[str, str]]:
    raw = next(
        (
            str(value)[:MAX_HEADER]
            for name, value in part.raw_items()
            if name.lower() == "content-disposition"
        ),
        "",
    )
    return _parameters(raw.replace("\r", "").replace("\n", ""), charset)


def _safe_filename(name: str) -> str:
    """A file name without any directory, control character or leading and trailing dots."""
    name = _one_line(name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:190]}.{extension[:9]}" if dot and len(extension) < 10 else name[:200]
    return name


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, binascii.Error):
        return b""
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message, kind: str, parameters: dict[str, str]) -> str:
    text = _decode_bytes(_payload(part)[:MAX_TEXT_PART], parameters.get("charset"))
    if kind == "text/html":
        return html_to_text(text, keep_quotes=True)
    if parameters.get("format", "").lower() == "flowed":
        text = _unflow(text, delsp=parameters.get("delsp", "").lower() == "yes")
    return text


def _is_body(
    kind: str, disposition: str, parameters: dict[str, str], dparameters: dict[str, str]
) -> bool:
    return (
        kind in {"text/plain", "text/html"}
        and disposition != "attachment"
        and not dparameters.get("filename")
        and not parameters.get("name")
    )


def _walk(part: Message, depth: int, walk: _Walk, *, body: bool) -> None:
    walk.parts += 1
    if walk.parts > MAX_PARTS:
        return
    walk.defects += len(getattr(part, "defects", ()))
    kind, parameters = _content_type(part)
    if kind == _TOO_DEEP or depth > MAX_DEPTH:
        walk.defects += 1
        return
    # get_payload() without decode=True decodes 8-bit text with the declared charset and fails
    # on some (charset=idna): the structure is asked of is_multipart() instead.
    if kind.startswith("multipart/") and not part.is_multipart():
        salvaged = _salvaged(part, kind, depth + 1, walk.budget)
        if salvaged is not None:
            _walk(salvaged, depth + 1, walk, body=body)
        return
    if part.is_multipart():
        payload = part.get_payload()
        children = [child for child in payload if isinstance(child, Message)]
        if kind in {"message/rfc822", "message/global"}:
            for child in children[:1]:
                _nested(child, depth + 1, walk, body=body)
            return
        if kind.startswith("message/") or kind == "multipart/encrypted":
            return
        chosen = _alternative(children, walk) if kind == "multipart/alternative" else None
        for child in children:
            _walk(child, depth + 1, walk, body=body and (chosen is None or child is chosen))
        return
    disposition, dparameters = _disposition(part, walk.charset)
    if _is_body(kind, disposition, parameters, dparameters):
        if body:
            walk.texts.append(_part_text(part, kind, parameters))
        return
    if kind in _SIGNATURES:
        return
    content = _payload(part)
    if not content:
        return
    name = _safe_filename(dparameters.get("filename") or parameters.get("name") or "")
    if not name:
        name = f"attachment-{len(walk.attachments) + 1}{_EXTENSIONS.get(kind, '')}"
    walk.attachments.append(MailAttachment(filename=name, content_type=kind, content=content))


def _alternative(children: list[Message], walk: _Walk) -> Message | None:
    """The alternative to read: the plain text unless it is empty, else the HTML, else the
    first multipart one (Apple Mail puts its HTML in a multipart/related)."""
    leaves: dict[str, Message] = {}
    for child in children:
        kind, parameters = _content_type(child)
        if child.is_multipart():
            leaves.setdefault("multipart", child)
            continue
        disposition, dparameters = _disposition(child, walk.charset)
        if _is_body(kind, disposition, parameters, dparameters):
            leaves.setdefault(kind, child)
    plain = leaves.get("text/plain")
    if plain is not None and _payload(plain).strip():
        return plain
    return leaves.get("text/html") or leaves.get("multipart") or plain


def _nested(message: Message, depth: int, walk: _Walk, *, body: bool) -> None:
    """An attached message (forwarded as an attachment): its files are the mail's files, and
    its text follows the body as a forwarded message, which ``trim_reply`` keeps."""
    inner = _Walk(charset=walk.charset, budget=walk.budget, parts=walk.parts)
    _walk(message, depth, inner, body=body)
    walk.parts = inner.parts
    walk.defects += inner.defects
    walk.attachments.extend(inner.attachments)
    if not body:
        return
    headers = _headers(message)
    lines = ["", "---------- Forwarded message ---------"]
    for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to")):
        value = _one_line(decode_words(_first(headers, name), walk.charset))
        if value:
            lines.append(f"{label}: {value}")
    walk.texts.append("\n".join([*lines, "", *inner.texts]))


# --- the message ------------------------------------------------------------------------------


def _read(raw: bytes, *, depth: int, budget: _Budget) -> Message:
    return BytesParser(_class=_Part.factory(depth, budget), policy=policy_compat32).parsebytes(raw)


_BOUNDARY_LINE = re.compile(r"^--([^\s\"\\]{1,70})[ \t]*\r?$", re.M)


def _salvaged(part: Message, kind: str, depth: int, budget: _Budget) -> Message | None:
    """A multipart part the parser found no boundary in (the parameter missing, wrong or
    unreadable), read again with the boundary its first "--" line shows. Each reading is one
    level deeper, so a part that stays unreadable ends at MAX_DEPTH."""
    payload = _payload(part)
    match = _BOUNDARY_LINE.search(payload[:8192].decode("latin-1"))
    if match is None:
        return None
    head = f'Content-Type: {kind}; boundary="{match.group(1)}"\r\n\r\n'.encode()
    return _read(head + payload, depth=depth, budget=budget)


def _empty(defects: int) -> ParsedMail:
    return ParsedMail("", [], "", "", "", "", "", [], "", defects)


def parse_mail(
    raw: bytes,
    *,
    envelope_sender: str | None = None,
    our_addresses: Sequence[str] = (),
    loop_header: str = "X-Lapor-Loop",
    max_text: int = 5000,
    max_received: int = 30,
) -> ParsedMail:
    """What a message says, who sent it, what it carries and whether a machine sent it; never
    raises.

    ``envelope_sender`` is the SMTP ``MAIL FROM`` ("" or "<>" for the null sender of a bounce);
    ``None`` when unknown (mail read from a mailbox), and then the Return-Path header decides.
    ``our_addresses`` are the portal's own addresses (``+tag`` variants included): mail from
    them is a loop. The body is the plain text of the message (its HTML converted when it has
    none), with ``trim_reply`` applied for ``text``; a message attached as message/rfc822 counts
    as a forwarded one. A message of more than ``MAX_PARSED_PARTS`` parts or
    ``MAX_HEADER_FIELDS`` header fields is not read further: it says nothing.
    """
    try:
        return _parse(
            raw,
            envelope_sender=envelope_sender,
            our_addresses=our_addresses,
            loop_header=loop_header,
            max_text=max_text,
            max_received=max_received,
        )
    except _TooComplex:  # built to cost: what it says is not read
        logger.info(
            "Message not read (%d bytes): more than %d parts or %d header fields",
            len(raw),
            MAX_PARSED_PARTS,
            MAX_HEADER_FIELDS,
        )
        return _empty(1)
    except (
        Exception
    ) as error:  # the promise to the listener: a message that trips a bug is unreadable
        # The type and the place only: an exception's text may quote the message (a reporter's
        # address), which no log line may hold.
        frame = traceback.extract_tb(error.__traceback__)[-1]
        logger.error(
            "Unreadable message (%d bytes): %s at %s:%s",
            len(raw),
            type(error).__name__,
            Path(frame.filename).name,
            frame.lineno,
        )
        return _empty(1)


def _parse(
    raw: bytes,
    *,
    envelope_sender: str | None,
    our_addresses: Sequence[str],
    loop_header: str,
    max_text: int,
    max_received: int,
) -> ParsedMail:
    budget = _Budget()
    message = _read(bytes(raw), depth=0, budget=budget)
    headers = _headers(message)
    kind, parameters = _content_type(message)
    charset = parameters.get("charset")
    sender, sender_name = _address(_first(headers, "from"), charset)
    if not sender and envelope_sender:
        envelope = envelope_sender.strip().strip("<>").strip().lower()
        sender = envelope if _ADDRESS.fullmatch(envelope) and not _UNWANTED.search(envelope) else ""
    decoded_subject = _one_line(decode_words(_first(headers, "subject"), charset))
    auto = _automatic(
        headers,
        kind=kind,
        parameters=parameters,
        sender=sender,
        envelope_sender=envelope_sender,
        subject=decoded_subject,
        our_addresses=our_addresses,
        loop_header=loop_header,
        max_received=max_received,
    )
    walk = _Walk(charset=charset, budget=budget)
    _walk(message, 0, walk, body=True)
    full = _clean("\n".join(walk.texts)[: 2 * MAX_FULL_TEXT])[:MAX_FULL_TEXT]
    text = trim_reply(full, forward=bool(_FORWARD_PREFIX.match(decoded_subject)))
    ids = _message_ids(_first(headers, "message-id"))
    replies = _message_ids(" ".join(headers.get("in-reply-to", [])))
    replies += reversed(_message_ids(" ".join(headers.get("references", []))))
    return ParsedMail(
        message_id=ids[0] if ids else "",
        in_reply_to=list(dict.fromkeys(replies))[:MAX_IDS],
        sender=sender,
        sender_name=sender_name,
        subject=clean_subject(decoded_subject),
        text=text[: max(max_text, 0)].rstrip(),
        full_text=full.rstrip(),
        attachments=walk.attachments,
        auto=auto,
        defects=walk.defects,
    )


# --- reply addresses --------------------------------------------------------------------------

_REPLY_TAG = re.compile(r"r\.([a-z0-9_-]{1,100})")


def reply_token(address: str, *, local_prefix: str) -> str | None:
    """The token of a per-report reply address ``<local_prefix>+r.<token>@<domain>``, or
    ``None``. The local part is read case-insensitively and the token is returned lower-cased
    (mail servers may change its case): tokens must be lower-case letters, digits, "_" and "-".
    The domain is not checked here."""
    local, at, _domain = address.strip().strip("<>").strip().rpartition("@")
    prefix, plus, tag = local.lower().partition("+")
    if not at or not plus or prefix != local_prefix.strip().lower():
        return None
    match = _REPLY_TAG.fullmatch(tag)
    return match.group(1) if match else None
