"""Malformed and borderline requests, each whole (head and any body), for the differential
check against nginx; a name says what is wrong with it."""

H = b"Host: gw.test\r\n"


def get(extra: bytes = b"", target: bytes = b"/p", version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + target + b" " + version + b"\r\n" + H + extra + b"\r\n"


def post(fields: bytes, body: bytes) -> bytes:
    return b"POST /p HTTP/1.1\r\n" + H + fields + b"\r\n" + body


CHUNKED = b"Transfer-Encoding: chunked\r\n"
HELLO = b"5\r\nhello\r\n0\r\n\r\n"
NEXT = get(target=b"/smuggled")

CASES: dict[str, bytes] = {
    # Framing: Content-Length and Transfer-Encoding.
    "cl-and-te": post(b"Content-Length: 3\r\n" + CHUNKED, HELLO),
    "te-and-cl": post(CHUNKED + b"Content-Length: 3\r\n", HELLO),
    "two-different-cl": post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!"),
    "two-same-cl": post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello"),
    "cl-list": post(b"Content-Length: 5, 5\r\n", b"hello"),
    "cl-plus": post(b"Content-Length: +5\r\n", b"hello"),
    "cl-negative": post(b"Content-Length: -5\r\n", b"hello"),
    "cl-hex": post(b"Content-Length: 0x5\r\n", b"hello"),
    "cl-overflow": post(b"Content-Length: 99999999999999999999999\r\n", b"hello"),
    "cl-space-before-colon": post(b"Content-Length : 5\r\n", b"hello"),
    "cl-empty": post(b"Content-Length: \r\n", b""),
    "cl-letters": post(b"Content-Length: five\r\n", b"hello"),
    "cl-smuggles-next": post(b"Content-Length: 0\r\n", NEXT),
    "te-chunked-identity": post(b"Transfer-Encoding: chunked, identity\r\n", HELLO),
    "te-identity": post(b"Transfer-Encoding: identity\r\n", b""),
    "te-gzip-chunked": post(b"Transfer-Encoding: gzip, chunked\r\n", HELLO),
    "te-xchunked": post(b"Transfer-Encoding: xchunked\r\n", HELLO),
    "te-chunked-twice": post(b"Transfer-Encoding: chunked, chunked\r\n", HELLO),
    "te-two-fields": post(CHUNKED + CHUNKED, HELLO),
    "te-folded": post(b"Transfer-Encoding:\r\n chunked\r\n", HELLO),
    "te-space-before-colon": post(b"Transfer-Encoding : chunked\r\n", HELLO),
    "te-vertical-tab": post(b"Transfer-Encoding:\x0bchunked\r\n", HELLO),
    "te-http-1.0": b"POST /p HTTP/1.0\r\n" + H + CHUNKED + b"\r\n" + HELLO,
    "te-uppercase": post(b"Transfer-Encoding: CHUNKED\r\n", HELLO),
    # Chunked bodies.
    "chunk-size-overflow": post(CHUNKED, b"fffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    "chunk-size-negative": post(CHUNKED, b"-5\r\nhello\r\n0\r\n\r\n"),
    "chunk-size-0x": post(CHUNKED, b"0x5\r\nhello\r\n0\r\n\r\n"),
    "chunk-size-space": post(CHUNKED, b"5 \r\nhello\r\n0\r\n\r\n"),
    "chunk-size-leading-space": post(CHUNKED, b" 5\r\nhello\r\n0\r\n\r\n"),
    "chunk-ext": post(CHUNKED, b"5;a=b\r\nhello\r\n0\r\n\r\n"),
    "chunk-ext-nul": post(CHUNKED, b"5;\x00\r\nhello\r\n0\r\n\r\n"),
    "chunk-bare-lf": post(CHUNKED, b"5\nhello\n0\n\n"),
    "chunk-data-too-long": post(CHUNKED, b"3\r\nhello\r\n0\r\n\r\n"),
    "chunk-missing-crlf": post(CHUNKED, b"5\r\nhelloX0\r\n\r\n"),
    "chunk-trailer": post(CHUNKED, b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"),
    "chunk-trailer-bad": post(CHUNKED, b"5\r\nhello\r\n0\r\nX Trailer: 1\r\n\r\n"),
    "chunk-smuggles-next": post(CHUNKED, b"0\r\n\r\n" + NEXT),
    # Bytes in field names and values.
    "nul-in-value": get(b"X-A: a\x00b\r\n"),
    "ctl-in-value": get(b"X-A: a\x01b\r\n"),
    "del-in-value": get(b"X-A: a\x7fb\r\n"),
    "cr-in-value": get(b"X-A: a\rb\r\n"),
    "obs-text-in-value": get(b"X-A: caf\xe9\r\n"),
    "high-byte-in-name": get(b"X-\xe9: v\r\n"),
    "space-in-name": get(b"X A: v\r\n"),
    "tab-in-name": get(b"X\tA: v\r\n"),
    "empty-name": get(b": v\r\n"),
    "no-colon": get(b"X-A v\r\n"),
    "obs-fold": get(b"X-A: a\r\n b\r\n"),
    "underscore-in-name": get(b"X_A: v\r\n"),
    "slash-in-name": get(b"X/A: v\r\n"),
    "bare-lf-lines": b"GET /p HTTP/1.1\n" + b"Host: gw.test\n\n",
    "bare-cr-line": b"GET /p HTTP/1.1\r" + b"Host: gw.test\r\n\r\n",
    "field-huge": get(b"X-A: " + b"v" * 70_000 + b"\r\n"),
    "fields-200": get(b"".join(b"X-%d: v\r\n" % n for n in range(200))),
    # Request line.
    "http-0.9": b"GET /p\r\n",
    "http-2.0": get(version=b"HTTP/2.0"),
    "http-1.2": get(version=b"HTTP/1.2"),
    "http-3.0": get(version=b"HTTP/3.0"),
    "http-1.x": get(version=b"HTTP/1.x"),
    "lowercase-version": get(version=b"http/1.1"),
    "no-target": b"GET HTTP/1.1\r\n" + H + b"\r\n",
    "double-space": b"GET  /p HTTP/1.1\r\n" + H + b"\r\n",
    "tab-separators": b"GET\t/p\tHTTP/1.1\r\n" + H + b"\r\n",
    "space-in-target": get(target=b"/p q"),
    "lowercase-method": b"get /p HTTP/1.1\r\n" + H + b"\r\n",
    "bad-char-in-method": b"G@T /p HTTP/1.1\r\n" + H + b"\r\n",
    "unknown-method": b"BREW /p HTTP/1.1\r\n" + H + b"\r\n",
    "long-method": b"A" * 100 + b" /p HTTP/1.1\r\n" + H + b"\r\n",
    "absolute-form": get(target=b"http://gw.test/p"),
    "absolute-form-other-host": get(target=b"http://other.test/p"),
    "absolute-form-https": get(target=b"https://gw.test/p"),
    "authority-form-get": get(target=b"gw.test:80"),
    "asterisk-get": get(target=b"*"),
    "options-asterisk": b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
    "connect": b"CONNECT gw.test:443 HTTP/1.1\r\n" + H + b"\r\n",
    "no-leading-slash": get(target=b"p"),
    "nul-in-target": get(target=b"/p\x00q"),
    "ctl-in-target": get(target=b"/p\x01q"),
    "high-byte-in-target": get(target=b"/caf\xe9"),
    "fragment": get(target=b"/#/../../etc/passwd"),
    "fragment-after-path": get(target=b"/x#/%2e%2e/%2e%2e/etc/passwd"),
    "dot-segments-escape": get(target=b"/../../etc/passwd"),
    "dot-segments-inside": get(target=b"/a/b/../c"),
    "encoded-dots-escape": get(target=b"/%2e%2e/%2e%2e/etc/passwd"),
    "encoded-slash": get(target=b"/a%2fb"),
    "backslash": get(target=b"/a\\b"),
    "double-slash": get(target=b"//p"),
    "long-target": get(target=b"/" + b"a" * 70_000),
    # Host.
    "no-host-1.1": b"GET /p HTTP/1.1\r\n\r\n",
    "no-host-1.0": b"GET /p HTTP/1.0\r\n\r\n",
    "two-hosts": get(b"Host: evil.test\r\n"),
    "host-with-path": b"GET /p HTTP/1.1\r\nHost: gw.test/evil\r\n\r\n",
    "host-with-space": b"GET /p HTTP/1.1\r\nHost: gw test\r\n\r\n",
    "host-with-comma": b"GET /p HTTP/1.1\r\nHost: gw.test, evil.test\r\n\r\n",
    "host-with-userinfo": b"GET /p HTTP/1.1\r\nHost: user@gw.test\r\n\r\n",
    "host-empty": b"GET /p HTTP/1.1\r\nHost: \r\n\r\n",
    "host-bad-port": b"GET /p HTTP/1.1\r\nHost: gw.test:http\r\n\r\n",
    "host-ipv6": b"GET /p HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    "host-trailing-dot": b"GET /p HTTP/1.1\r\nHost: gw.test.\r\n\r\n",
    "host-nul": b"GET /p HTTP/1.1\r\nHost: gw\x00.test\r\n\r\n",
    # Expectations, upgrades, connection options, stray bytes.
    "expect-continue": post(b"Expect: 100-continue\r\nContent-Length: 5\r\n", b"hello"),
    "expect-unknown": post(b"Expect: something\r\nContent-Length: 5\r\n", b"hello"),
    "upgrade-h2c": get(b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"),
    "upgrade-websocket-with-body": post(
        b"Connection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n", b"hello"
    ),
    "connection-strips-length": post(
        b"Connection: content-length\r\nContent-Length: 5\r\n", b"hello"
    ),
    "body-on-get": b"GET /p HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
    "leading-crlf": b"\r\n\r\n" + get(),
    "only-crlf": b"\r\n\r\n\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "garbage-after-valid": get() + b"\x00\x01\x02garbage\r\n\r\n",
    "valid-after-invalid-line": b"GET /p HTTP/9\r\n" + H + b"\r\n" + get(target=b"/second"),
}
