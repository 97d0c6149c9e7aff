"""A fake Socket Mode endpoint: a small WebSocket server that speaks Slack's envelope protocol.

`apps.connections.open` on the fake Web API hands out its ws:// URL; the real slack_sdk Socket
Mode client connects, gets `hello`, and receives envelopes pushed with `send()`; its acks are
recorded by envelope id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    first, second = _read_exact(sock, 2)
    opcode = first & 0x0F
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exact(sock, 8))[0]
    mask = _read_exact(sock, 4) if second & 0x80 else b""
    payload = _read_exact(sock, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        return head + bytes([len(payload)]) + payload
    if len(payload) < 1 << 16:
        return head + bytes([126]) + struct.pack("!H", len(payload)) + payload
    return head + bytes([127]) + struct.pack("!Q", len(payload)) + payload


class FakeSocketMode:
    """Accepts Socket Mode connections on 127.0.0.1 and pushes envelopes to them."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._clients: list[socket.socket] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True).start()

    @property
    def url(self) -> str:
        """The ws:// URL to hand out from apps.connections.open."""
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link"

    def connected(self) -> int:
        """How many clients have completed the handshake."""
        with self._lock:
            return len(self._clients)

    def send(self, envelope_type: str, payload: dict[str, Any], **extra: Any) -> str:
        """Push an envelope (events_api, slash_commands, interactive) to every client."""
        envelope_id = str(uuid.uuid4())
        message = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            **extra,
        }
        data = _frame(_TEXT, json.dumps(message).encode())
        with self._lock:
            for client in self._clients:
                client.sendall(data)
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The client's ack for an envelope (polls until it comes or the deadline passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if envelope_id in self._acks:
                    return self._acks[envelope_id]
            time.sleep(0.01)
        return None

    def close(self) -> None:
        """Stop accepting and drop every client."""
        self._closed = True
        self._listener.close()
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _handshake(self, client: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = client.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            request += chunk
        headers = dict(
            line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line
        )
        key = headers.get("Sec-WebSocket-Key", "").strip().encode()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()  # noqa: S324
        client.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKEAPP"}}
        client.sendall(_frame(_TEXT, json.dumps(hello).encode()))

    def _serve(self, client: socket.socket) -> None:
        try:
            self._handshake(client)
            with self._lock:
                self._clients.append(client)
            while True:
                opcode, payload = _read_frame(client)
                if opcode == _PING:
                    with self._lock:
                        client.sendall(_frame(_PONG, payload))
                elif opcode == _CLOSE:
                    return
                elif opcode == _TEXT:
                    message = json.loads(payload)
                    if "envelope_id" in message:
                        with self._lock:
                            self._acks[message["envelope_id"]] = message
        except (OSError, ConnectionError, ValueError):
            return
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
            client.close()
