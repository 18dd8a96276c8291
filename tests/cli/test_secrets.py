"""Secrets never reach output: -vv logs are redacted, and the model refuses what leaks them."""

from __future__ import annotations

import http.server
import logging
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tierform.cli import logs
from tierform.core.loader import starter_text


def model_with_target(settings: str) -> str:
    """The starter model with its targets replaced by one Vitally target."""
    text = starter_text()
    head, _, tail = text.partition("\ntargets:\n")
    rest = tail.split("\n\n", 1)[1] if "\n\n" in tail else ""
    return f"{head}\ntargets:\n  cs:\n    platform: vitally\n{settings}\n{rest}"


def token() -> str:
    return "tok" + secrets.token_hex(12)


@pytest.mark.parametrize(
    "template",
    [
        "send_request_headers.started headers=[(b'Authorization', b'Basic {t}'), (b'Host', b'x')]",
        "headers=[(b'accesskey', b'{t}'), (b'Accept', b'application/json')]",
        "{{'app-token': '{t}', 'Accept': 'application/json'}}",
        "Set-Cookie: session={t}; HttpOnly",
        "GET https://api-user:{t}@acme.example.com/public/v1/Account",
        "POST https://sdr.example.com/pixel.gif?sdr_s=SP-1&token={t}&sdr_o=ACC-1",
    ],
)
def test_redact_removes_the_secret_and_keeps_the_rest(template: str) -> None:
    secret = token()
    line = template.format(t=secret)
    out = logs.redact(line)
    assert secret not in out
    # What is not a credential stays readable.
    for word in ("Host", "Accept", "acme.example.com", "sdr_o=ACC-1", "Set-Cookie"):
        if word in line:
            assert word in out


class _Handler(http.server.BaseHTTPRequestHandler):
    cookie = ""

    def do_GET(self) -> None:  # noqa: N802 -- the stdlib's name
        self.send_response(200)
        self.send_header("Set-Cookie", f"session={self.cookie}")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_debug_logs_of_a_real_request_carry_no_secret(
    local_server: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """-vv turns on the HTTP libraries' debug logs, headers included: none of the credentials
    (request header, cookie the server sets) may appear."""
    key, cookie = token(), token()
    _Handler.cookie = cookie
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure(2)
        with httpx.Client() as client:
            client.get(f"{local_server}/v1/accounts", headers={"Authorization": f"Bearer {key}"})
        for handler in root.handlers:
            handler.flush()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capfd.readouterr().err
    assert "/v1/accounts" in err  # the debug log really ran
    assert key not in err and cookie not in err


def test_env_name_that_looks_like_a_key_is_refused_without_echo(run, tmp_path: Path) -> None:
    pasted = "sk_live_" + secrets.token_hex(12)
    model = tmp_path / "tierform.yaml"
    model.write_text(
        model_with_target(f"    subdomain: acme\n    api_key: {{env: {pasted}}}\n"),
        encoding="utf-8",
    )
    result = run("validate", "-c", str(model))
    assert result.exit_code == 1
    assert "looks like a secret value" in result.output
    assert pasted not in result.output and pasted[8:] not in result.output


def test_credentials_in_base_url_are_refused_without_echo(run, tmp_path: Path) -> None:
    password = token()
    model = tmp_path / "tierform.yaml"
    model.write_text(
        model_with_target(
            "    subdomain: acme\n    api_key: {env: VITALLY_API_KEY}\n"
            f"    base_url: https://admin:{password}@acme.rest.vitally.io\n"
        ),
        encoding="utf-8",
    )
    result = run("validate", "-c", str(model))
    assert result.exit_code == 1
    assert "must not carry credentials" in result.output
    assert password not in result.output
