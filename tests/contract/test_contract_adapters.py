"""The shipped conformance suite, run over every built-in adapter on its own fake."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tierform.adapters.http.retry import NO_WAIT
from tierform.adapters.sheets import SheetsAdapter, SheetsSettings
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.sync.adapter import AdapterContext
from tierform.sync.capabilities import Capabilities
from tierform.testing import AdapterContract, FakePlatform, Harness, fake_adapter_class
from tierform.testing.fake import FakeAdapter, FakeSettings

# The stateful Sheets fake lives with the Sheets adapter's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "sheets"))
from fake_sheets_server import TOKEN_URL, FakeSheets  # noqa: E402


class TestFakeAdapter(AdapterContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        store = FakePlatform()
        return Harness(
            lambda: FakeAdapter(FakeSettings(), AdapterContext("fake", tmp_path), store=store),
            tmp_path,
        )


class TestFakeAdapterWithoutConfigWrites(AdapterContract):
    """A platform like the SaaS ones: data writable, configuration only through build steps."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        caps = Capabilities.build(field="r", account="rcu", work_item="rcud")
        cls = fake_adapter_class(caps, "datasaas")
        store = FakePlatform()
        return Harness(
            lambda: cls(FakeSettings(), AdapterContext("saas", tmp_path), store=store), tmp_path
        )


class TestXlsxAdapter(AdapterContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return Harness(
            lambda: XlsxAdapter(
                XlsxSettings(path="contract.xlsx"), AdapterContext("xlsx", tmp_path)
            ),
            tmp_path,
        )


EMAIL = "contract@proj.iam.gserviceaccount.com"
SID = "contract-spreadsheet-0001"


@pytest.fixture(scope="module")
def key() -> tuple[dict[str, str], bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return (
        {
            "type": "service_account",
            "private_key": pem,
            "client_email": EMAIL,
            "private_key_id": "k1",
            "token_uri": TOKEN_URL,
        },
        public,
    )


class TestSheetsAdapter(AdapterContract):
    @pytest.fixture
    def harness(
        self, tmp_path: Path, key: tuple[dict[str, str], bytes], monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[Harness]:
        monkeypatch.setenv("TF_CONTRACT_SA", json.dumps(key[0]))
        server = FakeSheets({EMAIL: key[1]})
        server.create(SID, shared_with=EMAIL)
        settings = SheetsSettings.model_validate(
            {"platform": "sheets", "spreadsheet_id": SID, "credentials": {"env": "TF_CONTRACT_SA"}}
        )
        no_pace = {"retry": NO_WAIT, "sleep": lambda _s: None}
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
            server.router(mock)
            yield Harness(
                lambda: SheetsAdapter(
                    settings, AdapterContext("sheets", tmp_path, http_overrides=no_pace)
                ),
                tmp_path,
            )
