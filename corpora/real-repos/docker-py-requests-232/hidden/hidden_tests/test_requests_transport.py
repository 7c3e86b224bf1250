"""Hidden checks of the requests 2.32 remediation (skillbench real-repos/docker-py-requests-232).

Written for skillbench; nothing here is copied from docker-py. They hold three things the
repository's own unit tests do not hold together:
  * the requests that the dev requirements install is fixed (>= 2.32.0, CVE-2024-35195);
  * the Docker client still talks to a daemon over a unix socket (requests 2.32 stopped
    calling the adapters' get_connection, so a custom scheme such as http+docker fails
    with "Not supported URL scheme");
  * the same holds for the ssh transport, whose adapter the unit tests never send through:
    a fix made in UnixHTTPAdapter alone leaves `DOCKER_HOST=ssh://...` broken.
"""

import json
import os
import socket
import stat
import sys
import tempfile
import textwrap
import threading
import unittest
from importlib.metadata import version

from packaging.version import Version

import docker

BODY = json.dumps({"ApiVersion": "1.44", "Version": "25.0.0-skillbench"}).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY
)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class RequestsIsFixed(unittest.TestCase):
    def test_installed_requests_is_2_32_or_later(self):
        installed = Version(version("requests"))
        self.assertGreaterEqual(
            installed, Version("2.32.0"),
            f"requests {installed} is installed: CVE-2024-35195 is fixed in 2.32.0",
        )


class UnixSocketTransport(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "docker.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self.requests = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self.requests.append(read_request(conn))
                conn.sendall(RESPONSE)

    def tearDown(self):
        self.server.close()

    def test_version_over_a_unix_socket(self):
        client = docker.APIClient(base_url="unix://" + self.path, version="1.44", timeout=10)
        got = client.version(api_version=False)
        self.assertEqual(got["Version"], "25.0.0-skillbench")
        self.assertTrue(self.requests, "the daemon's socket saw no request")
        self.assertTrue(self.requests[0].startswith(b"GET /version "), self.requests[0][:80])


class SshTransport(unittest.TestCase):
    """DOCKER_HOST=ssh://... with use_ssh_client: docker-py runs `ssh ... docker system
    dial-stdio`; a stand-in ssh on PATH answers the HTTP request on its stdout and, like
    dial-stdio, reads its stdin until the client hangs up."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.log = os.path.join(self.dir, "request.log")
        self.errors = os.path.join(self.dir, "ssh.err")
        script = os.path.join(self.dir, "dial_stdio.py")
        ssh = os.path.join(self.dir, "ssh")
        with open(ssh, "w") as f:
            f.write(f"#!/bin/sh\nexec '{sys.executable}' '{script}' \"$@\" 2>>'{self.errors}'\n")
        os.chmod(ssh, stat.S_IRWXU)
        with open(script, "w") as f:
            f.write(textwrap.dedent(f"""\
                import os, sys
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = os.read(0, 4096)
                    if not chunk:
                        break
                    data += chunk
                with open({self.log!r}, "wb") as log:
                    log.write(data)
                sys.stdout.buffer.write({RESPONSE!r})
                sys.stdout.buffer.flush()
                # Like `docker system dial-stdio`, read until the client hangs up: the
                # client writes to the pipe when it closes the connection.
                while os.read(0, 4096):
                    pass
                """))
        self.path = os.environ.get("PATH", "")
        os.environ["PATH"] = self.dir + os.pathsep + self.path

    def tearDown(self):
        os.environ["PATH"] = self.path

    def test_version_over_ssh(self):
        client = docker.APIClient(
            base_url="ssh://deploy@build-host", version="1.44", use_ssh_client=True, timeout=10
        )
        try:
            got = client.version(api_version=False)
        except Exception as e:
            errors = open(self.errors).read() if os.path.exists(self.errors) else ""
            raise AssertionError(f"{e!r}; the stand-in ssh wrote: {errors!r}") from e
        self.assertEqual(got["Version"], "25.0.0-skillbench")
        with open(self.log, "rb") as f:
            self.assertTrue(f.read().startswith(b"GET /version "))


if __name__ == "__main__":
    unittest.main()
