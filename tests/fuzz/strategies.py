"""Requests and upstream answers for the fuzz suite: a model of what the client framed, its
bytes, and mutations of those bytes (framing headers, chunk sizes, bytes in names and values,
targets) that a gateway must either refuse or relay exactly as framed."""

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

# Text a body may carry that reads as a request to a parser that lost track of the framing.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n"
FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nFORGED"


@dataclass(frozen=True)
class ModelRequest:
    """A request as its client framed it."""

    method: bytes
    target: bytes
    fields: tuple[tuple[bytes, bytes], ...]
    body: bytes
    framing: str  # "none", "length" or "chunked"
    chunk_sizes: tuple[int, ...]

    def encode(self) -> bytes:
        head = [self.method + b" " + self.target + b" HTTP/1.1", b"Host: gw.test"]
        head.extend(name + b": " + value for name, value in self.fields)
        if self.framing == "length":
            head.append(b"Content-Length: %d" % len(self.body))
        elif self.framing == "chunked":
            head.append(b"Transfer-Encoding: chunked")
        return b"\r\n".join(head) + b"\r\n\r\n" + self.encoded_body()

    def encoded_body(self) -> bytes:
        if self.framing != "chunked":
            return self.body
        pieces, at = [], 0
        for size in self.chunk_sizes:
            pieces.append(b"%x\r\n%b\r\n" % (size, self.body[at : at + size]))
            at += size
        return b"".join(pieces) + b"0\r\n\r\n"


TOKEN = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).map(str.encode)
FIELD_VALUE = st.text("abcdefghijklmnopqrstuvwxyz0123456789 ;=/,.", max_size=20).map(
    lambda text: text.strip().encode()
)
SAFE_FIELDS = st.lists(
    st.tuples(TOKEN.map(lambda name: b"X-" + name), FIELD_VALUE), max_size=4
).map(tuple)
PATH = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~%/", max_size=16).map(str.encode)
BODY = st.one_of(
    st.binary(max_size=300),
    st.just(SMUGGLED),
    st.binary(max_size=40).map(lambda head: head + SMUGGLED),
)


FRAMINGS = ("none", "length", "chunked")


@st.composite
def model_requests(
    draw: st.DrawFn, index: int, framings: tuple[str, ...] = FRAMINGS
) -> ModelRequest:
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS"]))
    # The index makes every target unique, so each answer can be matched to its request.
    target = b"/r%d/" % index + draw(PATH).lstrip(b"/")
    framing = draw(st.sampled_from(framings))
    body = b"" if framing == "none" else draw(BODY)
    sizes: list[int] = []
    if framing == "chunked":
        left = len(body)
        while left:
            size = draw(st.integers(1, max(1, left)))
            sizes.append(size)
            left -= size
    return ModelRequest(method, target, draw(SAFE_FIELDS), body, framing, tuple(sizes))


@st.composite
def pipelines(
    draw: st.DrawFn, at: int = -1, framings_at: tuple[str, ...] = FRAMINGS
) -> list[ModelRequest]:
    """One to three requests; the one at `at` (or the last, if fewer) framed one of
    `framings_at`."""
    count = draw(st.integers(1, 3))
    forced = min(at, count - 1)
    return [
        draw(model_requests(index, framings_at if index == forced else FRAMINGS))
        for index in range(count)
    ]


# Each takes a request's bytes and returns them changed where framing is decided.
Mutation = Callable[[bytes], bytes]


def _replace_first(old: bytes, new: bytes) -> Mutation:
    return lambda data: data.replace(old, new, 1)


def _insert_field(field: bytes) -> Mutation:
    host = b"\r\nHost: gw.test\r\n"
    return lambda data: data.replace(host, host + field, 1)


FRAMING_MUTATIONS: dict[str, Mutation] = {
    "te-and-cl": _insert_field(b"Content-Length: 3\r\n"),
    "cl-and-te": _insert_field(b"Transfer-Encoding: chunked\r\n"),
    "second-cl": _insert_field(b"Content-Length: 0\r\n"),
    "same-cl-twice": lambda data: _same_length_twice(data),
    "cl-list": _replace_first(b"Content-Length: ", b"Content-Length: 0, "),
    "cl-plus": _replace_first(b"Content-Length: ", b"Content-Length: +"),
    "cl-space": _replace_first(b"Content-Length: ", b"Content-Length : "),
    "te-identity": _replace_first(
        b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked, identity"
    ),
    "te-case": _replace_first(b"Transfer-Encoding: chunked", b"Transfer-Encoding: Chunked"),
    "te-xchunked": _replace_first(b"Transfer-Encoding: chunked", b"Transfer-Encoding: xchunked"),
    "te-tab": _replace_first(b"Transfer-Encoding: chunked", b"Transfer-Encoding:\tchunked\t"),
    "te-folded": _replace_first(b"Transfer-Encoding: chunked", b"Transfer-Encoding:\r\n chunked"),
    "te-twice": _replace_first(
        b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
    ),
    "obs-fold": _insert_field(b"X-Folded: a\r\n b\r\n"),
    "nul-in-value": _insert_field(b"X-Nul: a\x00b\r\n"),
    "ctl-in-value": _insert_field(b"X-Ctl: a\x01b\r\n"),
    "high-byte-in-name": _insert_field(b"X-\xff: v\r\n"),
    "space-in-name": _insert_field(b"X Bad: v\r\n"),
    "empty-name": _insert_field(b": v\r\n"),
    "bare-lf-field": _insert_field(b"X-Lf: v\n"),
    "bare-cr-field": _insert_field(b"X-Cr: v\rX-Other: w\r\n"),
    "bare-lf-line": _replace_first(b" HTTP/1.1\r\n", b" HTTP/1.1\n"),
    "no-host": _replace_first(b"Host: gw.test\r\n", b""),
    "two-hosts": _insert_field(b"Host: evil.test\r\n"),
    "bad-host": _replace_first(b"Host: gw.test", b"Host: gw.test/evil"),
    "fragment": _replace_first(b" HTTP/1.1", b"#/../../etc/passwd HTTP/1.1"),
    "dot-segments": _replace_first(b" HTTP/1.1", b"/../../etc/passwd HTTP/1.1"),
    "encoded-dots": _replace_first(b" HTTP/1.1", b"/%2e%2e/%2e%2e/etc/passwd HTTP/1.1"),
    "space-in-target": _replace_first(b" HTTP/1.1", b" x HTTP/1.1"),
    "absolute-form": lambda data: data.replace(b" /r", b" http://other.test/r", 1),
    "version-0.9": lambda data: data.replace(b" HTTP/1.1\r\n", b"\r\n", 1),
    "version-2": _replace_first(b" HTTP/1.1\r\n", b" HTTP/2.0\r\n"),
    "version-junk": _replace_first(b" HTTP/1.1\r\n", b" HTTP/1.x\r\n"),
    "lower-method": lambda data: data[:1].lower() + data[1:],
    "expect-continue": _insert_field(b"Expect: 100-continue\r\n"),
    "connection-close": _insert_field(b"Connection: close\r\n"),
    "connection-strips-length": _insert_field(b"Connection: content-length\r\n"),
    "upgrade": _insert_field(b"Connection: upgrade\r\nUpgrade: websocket\r\n"),
}


def _same_length_twice(data: bytes) -> bytes:
    start = data.find(b"Content-Length: ")
    if start < 0:
        return data
    end = data.index(b"\r\n", start)
    line = data[start:end]
    return data[:end] + b"\r\n" + line + data[end:]


def mutate_chunks(data: bytes, kind: str) -> bytes:
    """Changes the first chunk-size line of a chunked body (after the head's blank line)."""
    split = data.find(b"\r\n\r\n") + 4
    head, body = data[:split], data[split:]
    line_end = body.find(b"\r\n")
    if b"Transfer-Encoding: chunked" not in head or line_end < 0:
        return data
    size = body[:line_end]
    changed = {
        "size-overflow": b"f" * 20,
        "size-negative": b"-" + size,
        "size-space": size + b" ",
        "size-ext": size + b";name=value",
        "size-ext-bad": size + b";\x00",
        "size-prefix": b"0x" + size,
        "size-lf-only": size,
    }[kind]
    ending = b"\n" if kind == "size-lf-only" else b"\r\n"
    return head + changed + ending + body[line_end + 2 :]


# Which framing a mutation needs to mean anything.
NEEDS_CHUNKS = {name for name in FRAMING_MUTATIONS if name.startswith("te-")}
NEEDS_A_BODY = {"te-and-cl", "second-cl", "same-cl-twice", "cl-list", "cl-plus", "cl-space"}
NEEDS_A_LENGTH = {"cl-and-te", "same-cl-twice", "cl-list", "cl-plus", "cl-space"}


def framings_for(mutation: str) -> tuple[str, ...]:
    if mutation in CHUNK_MUTATIONS or mutation in NEEDS_CHUNKS:
        return ("chunked",)
    if mutation in NEEDS_A_LENGTH:
        return ("length",)
    if mutation in NEEDS_A_BODY:
        return ("length", "chunked")
    return FRAMINGS


CHUNK_MUTATIONS = [
    "size-overflow",
    "size-negative",
    "size-space",
    "size-ext",
    "size-ext-bad",
    "size-prefix",
    "size-lf-only",
]


@dataclass(frozen=True)
class ModelAnswer:
    """An upstream answer to GET or HEAD, perhaps with stray bytes after its end and perhaps cut
    off at some byte, then its connection kept, closed or reset."""

    method: bytes
    status: int
    body: bytes
    framing: str  # "length", "chunked" or "close"
    interim: bool  # a 100 Continue first
    stray: bool  # a forged second answer right after this one
    cut_at: int | None
    then: str

    def encode(self) -> bytes:
        head = [b"HTTP/1.1 %d Whatever" % self.status]
        if self.framing == "length":
            head.append(b"Content-Length: %d" % len(self.body))
        elif self.framing == "chunked":
            head.append(b"Transfer-Encoding: chunked")
        else:
            head.append(b"Connection: close")
        data = b"HTTP/1.1 100 Continue\r\n\r\n" if self.interim else b""
        data += b"\r\n".join(head) + b"\r\n\r\n"
        if self.has_body:
            data += self.framed_body()
        if self.stray:
            data += FORGED
        return data if self.cut_at is None else data[: self.cut_at]

    def framed_body(self) -> bytes:
        if self.framing != "chunked":
            return self.body
        return (b"%x\r\n%b\r\n" % (len(self.body), self.body) if self.body else b"") + b"0\r\n\r\n"

    @property
    def has_body(self) -> bool:
        return self.method != b"HEAD" and self.status not in (204, 304)

    @property
    def stray_is_body(self) -> bool:
        """Bytes after a body that ends with the connection are that body's, not stray."""
        return self.framing == "close" and self.has_body

    @property
    def is_whole(self) -> bool:
        """Sent whole and well framed, so the client must get exactly it."""
        return self.cut_at is None and not self.stray and self.framing != "close"


@st.composite
def model_answers(draw: st.DrawFn) -> ModelAnswer:
    method = draw(st.sampled_from([b"GET", b"HEAD"]))
    status = draw(st.sampled_from([200, 201, 204, 304, 404, 500]))
    body = draw(st.binary(max_size=200).filter(lambda body: b"FORGED" not in body))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    interim, stray = draw(st.booleans()), draw(st.booleans())
    whole = len(ModelAnswer(method, status, body, framing, interim, stray, None, "keep").encode())
    cut_at = draw(st.one_of(st.none(), st.integers(0, max(0, whole - 1))))
    then = "close" if framing == "close" else draw(st.sampled_from(["keep", "close", "reset"]))
    if cut_at is not None and then == "keep":
        then = "close"
    return ModelAnswer(method, status, body, framing, interim, stray, cut_at, then)
