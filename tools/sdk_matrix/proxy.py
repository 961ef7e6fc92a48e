"""A rewriting HTTP proxy in front of the fake: proves which wire difference makes an SDK step fail.

Each rule rewrites one known shape of a stage-history answer into the shape an SDK model wants.
A step that fails straight against the fake and passes behind the proxy with only rule ``a`` fails
because of that difference alone; one that passes only with every rule failed because of the rules
that fired for it (``GET /_proxy/fired`` answers and forgets them). A step that still fails behind
every rule is unexplained: a fidelity bug in the fake, or an SDK bug, to investigate.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_STAGE_HISTORY = re.compile(r"/instances/[^/]+/stages/\d+/history$")
Item = dict[str, Any]


def _activity(item: Item, side: str, name: str) -> Any:
    value = item.get(side)
    return value.get(name) if isinstance(value, dict) else None


def _tx_list(item: Item) -> bool:
    """a: the real CreateTransaction output since stack v2.0 is a one-element list."""
    output = _activity(item, "output", "CreateTransaction")
    if isinstance(output, dict) and isinstance(output.get("data"), list) and len(output["data"]) == 1:
        output["data"] = output["data"][0]
        return True
    return False


def _null_wallet_maps(item: Item) -> bool:
    """null-metadata / null-sources: wallet activity inputs with a nil Go map or slice."""
    fired = False
    for name, key, empty in (
        ("DebitWallet", "metadata", {}),
        ("CreditWallet", "metadata", {}),
        ("CreditWallet", "sources", []),
    ):
        data = (_activity(item, "input", name) or {}).get("data")
        if isinstance(data, dict) and key in data and data[key] is None:
            data[key] = empty
            fired = True
    return fired


def _account_metadata_id(item: Item) -> bool:
    """add-account-metadata: the real AddAccountMetadata input names the account ``account``."""
    value = _activity(item, "input", "AddAccountMetadata")
    if isinstance(value, dict) and "account" in value and "id" not in value:
        value["id"] = value.pop("account")
        return True
    return False


def _mid2023_tx(item: Item) -> bool:
    """later-stack: a mid-2023 transaction has ``txid`` where later SDK models want ``id``/``reverted``."""
    output = _activity(item, "output", "CreateTransaction")
    data = output.get("data") if isinstance(output, dict) else None
    if isinstance(data, dict) and "txid" in data and "id" not in data:
        data.update(id=data["txid"], reverted=False)
        return True
    return False


def _mid2023_payment(item: Item) -> bool:
    """later-stack: a mid-2023 GetPayment output lacks the 2024 payment fields later SDKs require."""
    output = _activity(item, "output", "GetPayment")
    data = output.get("data") if isinstance(output, dict) else None
    if isinstance(data, dict) and "accountID" in data and "connectorID" not in data:
        data.update(connectorID="", sourceAccountID="", destinationAccountID=data.pop("accountID"))
        data.setdefault("amount", data.get("initialAmount", 0))
        return True
    return False


RULES: dict[str, Callable[[Item], bool]] = {
    "a": _tx_list,
    "null-wallet-maps": _null_wallet_maps,
    "add-account-metadata": _account_metadata_id,
    "later-stack-tx": _mid2023_tx,
    "later-stack-payment": _mid2023_payment,
}


def rewrite(body: bytes, rules: list[str]) -> tuple[bytes, list[str]]:
    """The stage-history ``body`` rewritten by ``rules``, and the rules that changed something."""
    try:
        document = json.loads(body)
    except ValueError:
        return body, []
    items = document.get("data") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return body, []
    fired = sorted({name for item in items if isinstance(item, dict) for name in rules if RULES[name](item)})
    return (json.dumps(document).encode() if fired else body), fired


@contextlib.contextmanager
def serve(upstream: str, rules: list[str]) -> Iterator[str]:
    """Run a proxy to ``upstream`` applying ``rules``; yields its base URL."""
    target = urllib.parse.urlsplit(upstream)
    fired: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            if self.path == "/_proxy/fired":
                with lock:
                    body = json.dumps({"data": sorted(set(fired))}).encode()
                    fired.clear()
                return self._answer(200, {"content-type": "application/json"}, body)
            length = int(self.headers.get("content-length") or 0)
            payload = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding")}
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=payload, headers=headers)
                answer = connection.getresponse()
                body = answer.read()
                hop = ("content-length", "connection")
                out = {k: v for k, v in answer.getheaders() if k.lower() not in hop}
            finally:
                connection.close()
            if self.command == "GET" and _STAGE_HISTORY.search(self.path.split("?", 1)[0]):
                body, hits = rewrite(body, rules)
                with lock:
                    fired.extend(hits)
            self._answer(answer.status, out, body)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
