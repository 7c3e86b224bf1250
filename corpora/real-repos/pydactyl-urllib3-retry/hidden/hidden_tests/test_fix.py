"""The hidden checks, copied into the checkout only for grading: the client runs a requests
without CVE-2023-32681, and its retry policy is the one it had (the methods it retries,
its total, its backoff, 429 among the status codes)."""
import importlib.metadata

from pydactyl import PterodactylClient


def version(name):
    return tuple(int(part) for part in importlib.metadata.version(name).split(".")[:3])


def test_requests_has_the_fix():
    assert version("requests") >= (2, 31, 0), (
        f"requests {importlib.metadata.version('requests')} is installed: "
        "CVE-2023-32681 (Proxy-Authorization sent on to the redirect target) is fixed in 2.31.0"
    )


def test_the_client_retries_as_it_did():
    client = PterodactylClient(url="https://panel.example", api_key="k", retries=4, backoff_factor=0.5)
    retry = client._session.get_adapter("https://panel.example/api/application/servers").max_retries
    methods = getattr(retry, "allowed_methods", None) or getattr(retry, "method_whitelist", None)
    assert set(methods or ()) == {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}, methods
    assert retry.total == 4
    assert retry.backoff_factor == 0.5
    assert 429 in retry.status_forcelist
