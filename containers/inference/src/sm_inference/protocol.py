"""HTTP/1.1 connections on asyncio (uvloop) with httptools parsing: keep-alive, pipelining, drain.

Every request, including ones refused while parsing, goes through the dispatcher's queue, so
responses leave a connection in the order its requests arrived.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

import httptools

from sm_inference.errors import BadRequest, PayloadTooLarge, ServingError

if TYPE_CHECKING:
    from sm_inference.contract import Settings

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
    507: "Insufficient Storage",
}
STATUS_LINES = {code: f"HTTP/1.1 {code} {text}\r\n".encode() for code, text in REASONS.items()}
HEADERS = {b"content-type", b"accept", b"content-length", b"expect", b"x-amzn-sagemaker-target-model"}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
JSON_TYPE = "application/json"


@dataclass(slots=True)
class Response:
    """What to send back: status, media type, body and any extra header lines."""

    status: int
    content_type: str
    body: bytes
    extra: bytes = b""


def error_response(error: ServingError) -> Response:
    """The JSON error body of a typed error."""
    allow = error.detail.get("allow")
    extra = f"Allow: {allow}\r\n".encode() if isinstance(allow, str) else b""
    return Response(error.status, JSON_TYPE, error.body(), extra)


@dataclass(slots=True)
class Request:
    """One parsed request; ``response`` is preset when the request was refused while parsing."""

    conn: Connection
    method: bytes
    path: str
    query: str
    headers: dict[bytes, str]
    body: bytes
    keep_alive: bool
    response: Response | None = None


class Dispatcher(Protocol):
    """What a connection hands complete requests to."""

    def submit(self, request: Request) -> None: ...


@dataclass
class ServerState:
    """Shared by every connection of one worker: settings, dispatcher, drain bookkeeping."""

    settings: Settings
    dispatcher: Dispatcher
    connections: set[Connection] = field(default_factory=set)
    draining: bool = False
    drained: asyncio.Future[None] | None = None

    def begin_drain(self) -> None:
        """Stop keeping connections alive; close idle ones now, busy ones after their response."""
        self.draining = True
        for conn in list(self.connections):
            if conn.idle:
                conn.close()
        self.check_drained()

    def check_drained(self) -> None:
        if self.draining and not self.connections and self.drained and not self.drained.done():
            self.drained.set_result(None)


class Connection(asyncio.Protocol):
    """One client connection: parses requests and writes responses in order."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.limit = state.settings.max_payload_bytes
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.pending = 0  # requests handed to the dispatcher, not yet answered
        self.in_message = False
        self.discarding = False  # reading and dropping the rest of a refused body
        self.broken = False  # unparseable stream: answer, then close
        self.eof = False  # the client will send nothing more
        self.url = b""
        self.headers: dict[bytes, str] = {}
        self.parts: list[bytes] = []
        self.size = 0

    # asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Without this, Nagle + delayed ACK add ~40 ms to small responses.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.state.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self.state.check_drained()

    def data_received(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(BadRequest("protocol upgrades are not supported"), fatal=True)
        except httptools.HttpParserError as exc:
            self._refuse(BadRequest(f"malformed HTTP request: {str(exc)[:200]}"), fatal=True)

    def eof_received(self) -> bool | None:
        # A client may half-close after its request (shutdown(SHUT_WR)); answer before closing.
        self.eof = True
        return True if self.pending else None

    def pause_writing(self) -> None:
        # A client that does not read its responses stops being read from.
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    # httptools callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.in_message = True
        self.url = b""
        self.headers = {}
        self.parts = []
        self.size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.lower()
        if key in HEADERS:
            self.headers[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        length = self.headers.get(b"content-length", "")
        if length.isdigit() and int(length) > self.limit:
            self._refuse(self._too_large(int(length)))
        elif self.headers.get(b"expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.discarding:
            if self.size > 4 * self.limit + (1 << 20) and self.transport:
                self.transport.abort()  # refuse to read an endless body
            return
        if self.size > self.limit:
            self.parts = []
            self._refuse(self._too_large(self.size))
            return
        self.parts.append(body)

    def on_message_complete(self) -> None:
        self.in_message = False
        if self.discarding:
            self.discarding = False
            if self.pending == 0:
                self.close()
            return
        path, _, query = self.url.decode("latin-1").partition("?")
        body = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
        self._submit(
            Request(self, self.parser.get_method(), path, query, self.headers, body, self.parser.should_keep_alive())
        )

    # responses --------------------------------------------------------------------------
    def _too_large(self, size: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"request body of {size} bytes exceeds the limit of {self.limit} bytes", limit_bytes=self.limit
        )

    def _refuse(self, error: ServingError, fatal: bool = False) -> None:
        """Answer with an error through the queue and close the connection afterwards."""
        self.broken = self.broken or fatal
        self.discarding = not fatal
        response = error_response(error)
        self._submit(Request(self, b"", "", "", {}, b"", False, response))

    def _submit(self, request: Request) -> None:
        self.pending += 1
        self.state.dispatcher.submit(request)

    @property
    def idle(self) -> bool:
        """No request half-read and none waiting for its response."""
        return self.pending == 0 and not self.in_message

    def send(self, request: Request, response: Response) -> None:
        """Write one response; close when the client, an error or the drain asks for it."""
        self.pending -= 1
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        close = not request.keep_alive or ((self.state.draining or self.eof) and self.pending == 0)
        transport.write(
            b"".join(
                (
                    STATUS_LINES.get(response.status) or STATUS_LINES[500],
                    b"Content-Type: ",
                    response.content_type.encode(),
                    b"\r\nContent-Length: ",
                    str(len(response.body)).encode(),
                    b"\r\n",
                    b"Connection: close\r\n" if close else b"",
                    response.extra,
                    b"\r\n",
                    response.body,
                )
            )
        )
        if close and not (self.discarding and self.in_message):
            self.close()

    def close(self) -> None:
        """Close after the buffered responses are flushed."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
