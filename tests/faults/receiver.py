"""A real loopback webhook receiver that counts deliveries by idempotency key.

It follows the webhook contract as an enterprise would (its own HMAC check,
one delivery per ``Idempotency-Key``, the original receipt for a repeat)
and can be made to misbehave, one scripted answer per request:

``ok``              deliver (or repeat the receipt) and answer 201
``500``             answer 500 without delivering
``429:N``           answer 429 with ``Retry-After: N`` (seconds)
``429:date:N``      answer 429 with ``Retry-After`` as an HTTP date N seconds ahead
``hang``            hold the request without delivering until released, then drop it
``take_then_hang``  deliver, then hold the answer until released, then drop it

``down()`` closes the port (connections are refused, as in a tunnel);
``up()`` opens the same port again. Counting is by idempotency key: a body
delivered under two keys is a doubled message, a confirmed body never
delivered is a lost one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.net import free_port

#: The receiver's shared secret (at least 16 characters, as the connector demands).
SECRET = "fault-receiver-secret-5d2c"
#: How long a held request is kept at most (the client gives up long before).
_HOLD_LIMIT_S = 120.0


class Receiver:
    """The enterprise side of the outgoing webhook, on a fixed loopback port."""

    def __init__(self, secret: str = SECRET, clock: Callable[[], float] = time.time) -> None:
        self.secret = secret.encode()
        #: The receiver's idea of now (epoch seconds), for the signature's freshness check.
        self.clock = clock
        self.port = free_port()
        self.script: deque[str] = deque()
        #: First delivery of each key: key -> body.
        self.accepted: dict[str, str] = {}
        #: First delivery of each key: key -> the recipient id it was addressed to.
        self.recipients: dict[str, str] = {}
        self.receipts: dict[str, dict[str, str]] = {}
        #: Requests per key, whatever the answer.
        self.requests: Counter[str] = Counter()
        #: (monotonic time, key, answer) of every request.
        self.log: list[tuple[float, str, str]] = []
        #: Set to let held requests go; a held request is dropped after ``hold_s`` anyway.
        self.release = threading.Event()
        self.hold_s = _HOLD_LIMIT_S
        self.recovered_at: float | None = None
        #: Requests being held right now.
        self.holding = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        """The endpoint the connector posts to."""
        return f"http://127.0.0.1:{self.port}/drivetalk/events"

    # -- availability ---------------------------------------------------------

    def up(self) -> None:
        """Listen on the receiver's port (again)."""
        if self._httpd is not None:
            return
        handler = type("Handler", (_Handler,), {"receiver": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        self.recovered_at = time.monotonic()

    def down(self) -> None:
        """Close the port: new connections are refused."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def close(self) -> None:
        """Release held requests and stop listening."""
        self.release.set()
        self.down()

    # -- what arrived ------------------------------------------------------------

    def wait_for_requests(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` requests arrived in total."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.log) >= count, timeout):
                raise AssertionError(f"only {len(self.log)} of {count} requests arrived")

    def tally(self, bodies: Iterable[str]) -> tuple[int, int]:
        """(lost, doubled) for the confirmed ``bodies``."""
        per_body = Counter(self.accepted.values())
        lost = sum(1 for body in bodies if per_body[body] == 0)
        doubled = sum(n - 1 for n in per_body.values() if n > 1)
        return lost, doubled

    def recovery_to_delivery(self, since: float | None = None) -> float | None:
        """Seconds until every message was delivered, from when the receiver recovered.

        With ``since`` (the end of an outage) it is measured from there; else
        per key from its last failed request, the slowest key counting.
        None when nothing failed.
        """
        waits = []
        for key in self.requests:
            mine = [(t, answer) for t, k, answer in self.log if k == key]
            failed = [t for t, answer in mine if answer != "ok"]
            start = since if since is not None else (max(failed) if failed else None)
            delivered = [
                t for t, answer in mine if answer == "ok" and start is not None and t >= start
            ]
            if start is not None and delivered:
                waits.append(min(delivered) - start)
        return max(waits) if waits else None

    # -- handling ----------------------------------------------------------------

    def _authentic(self, stamp: str, claimed: str, raw: bytes) -> bool:
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > 300:
            return False
        digest = hmac.new(self.secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={digest}", claimed)

    def handle(self, headers: Any, raw: bytes) -> tuple[int, dict[str, str], bytes] | None:
        """The answer to one request (None: drop the connection without one)."""
        stamp = headers.get("X-DriveTalk-Timestamp", "")
        if not self._authentic(stamp, headers.get("X-DriveTalk-Signature", ""), raw):
            return 401, {}, b'{"error": "bad signature"}'
        event = json.loads(raw)
        if event.get("type") == "ping":
            return 200, {}, b"{}"
        key = headers.get("Idempotency-Key", "")
        with self._arrived:
            answer = self.script.popleft() if self.script else "ok"
            self.requests[key] += 1
            self.log.append((time.monotonic(), key, answer))
            self._arrived.notify_all()
            if answer in ("ok", "take_then_hang"):
                self._deliver(key, event)
        return self._answer(answer, key)

    def _deliver(self, key: str, event: dict[str, Any]) -> None:
        if key in self.receipts:
            return
        self.accepted[key] = str(event["message"]["body"])
        self.recipients[key] = str(event["message"]["recipient_id"])
        self.receipts[key] = {
            "message_id": f"ent-{len(self.receipts) + 1}",
            "conversation_id": f"conv-{event['message']['recipient_id']}",
            "delivered_at": datetime.now(UTC).isoformat(),
        }

    def _answer(self, answer: str, key: str) -> tuple[int, dict[str, str], bytes] | None:
        if answer in ("hang", "take_then_hang"):
            with self._lock:
                self.holding += 1
            self.release.wait(self.hold_s)
            with self._lock:
                self.holding -= 1
            return None
        if answer == "500":
            return 500, {}, b'{"error": "internal error"}'
        if answer.startswith("429:"):
            hint = answer.removeprefix("429:")
            if hint.startswith("date:"):
                hint = formatdate(time.time() + float(hint.removeprefix("date:")), usegmt=True)
            return 429, {"Retry-After": hint}, b'{"error": "slow down"}'
        return 201, {}, json.dumps(self.receipts[key]).encode()

    def waits_after_429(self) -> list[tuple[str, float]]:
        """(Retry-After answer, seconds until the same key came back) for every 429."""
        waits = []
        for i, (when, key, answer) in enumerate(self.log):
            if not answer.startswith("429:"):
                continue
            later = [t for t, k, _ in self.log[i + 1 :] if k == key]
            if later:
                waits.append((answer, later[0] - when))
        return waits


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        answer = self.receiver.handle(self.headers, raw)
        if answer is None:
            self.close_connection = True
            return
        status, headers, body = answer
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the tests read the counts, not the log


@contextmanager
def receiving(*, start_up: bool = True) -> Iterator[Receiver]:
    """A receiver for one scenario, up unless ``start_up`` is false; closed afterwards."""
    receiver = Receiver()
    if start_up:
        receiver.up()
    try:
        yield receiver
    finally:
        receiver.close()
