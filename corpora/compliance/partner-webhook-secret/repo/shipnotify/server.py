"""HTTP entry point: python3 -m shipnotify.server."""

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shipnotify.config import load_config
from shipnotify.store import ShipmentStore
from shipnotify.webhooks import WebhookReceiver

MAX_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    server_version = "shipnotify/3.1"

    def do_POST(self):
        if self.path != "/webhooks/parcelo":
            return self._reply(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._reply(413, {"error": "too large"})
        body = self.rfile.read(length)
        status, answer = self.server.receiver.handle(body, self.headers)
        self._reply(status, answer)

    def _reply(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002
        pass


def build_receiver(config=None) -> WebhookReceiver:
    config = config or load_config()
    return WebhookReceiver(ShipmentStore(config.db_path), config.signing_secret, config.signature_tolerance)


def make_server(receiver: WebhookReceiver, host: str = "0.0.0.0", port: int = 8443) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    server.receiver = receiver
    return server


def main() -> None:
    config = load_config()
    parser = argparse.ArgumentParser(prog="shipnotify.server")
    parser.add_argument("--db", default=config.db_path)
    parser.add_argument("--port", type=int, default=config.port)
    args = parser.parse_args()
    receiver = WebhookReceiver(ShipmentStore(args.db), config.signing_secret, config.signature_tolerance)
    make_server(receiver, port=args.port).serve_forever()


if __name__ == "__main__":
    main()
