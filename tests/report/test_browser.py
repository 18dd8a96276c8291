"""The HTML document rendered by a real browser: the figures it shows are the engine's.

Chromium (Debian's package, installed by ``.ci/install-browser`` in CI) loads the file and dumps
the DOM it built; every element carrying ``data-key`` is compared with the engine's JSON for the
same inputs, both its raw ``data-value`` and the text a reader sees.
"""

from __future__ import annotations

import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from .conftest import Engine, ExampleRun, resolve

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip without Chromium on a workstation; in CI (``CI`` set) a missing browser fails."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/install-browser should have installed it")
    pytest.skip(f"{CHROMIUM} is not installed (run .ci/install-browser)")


class Figures(HTMLParser):
    """Collect (key, raw value, shown text) of every element with ``data-key``, plus tags."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[list[Any]] = []
        self.raw = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if "data-key" in found:
            self._open.append([tag, found["data-key"], found.get("data-value") or "", ""])

    def handle_data(self, data: str) -> None:
        for entry in self._open:
            entry[3] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, key, value, text = self._open.pop()
            self.figures.append((key, value, text))


def dump_dom(page: Path, profile: Path) -> str:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def expected_figures(engine: Engine) -> dict[str, Any]:
    """The engine's JSON plus the two tables the report derives from it, computed here."""
    data = dict(engine.json)
    model = engine.model
    pools = {t.pool_name: i for i, t in enumerate(model.tiers)}
    per_tier = [0] * len(model.tiers)
    for csm in model.roster:
        per_tier[model.tier_index(csm.tier) if csm.tier else pools[csm.pool]] += 1
    data["current_headcount"] = {"per_tier": per_tier}
    bands = [b for b in ("green", "yellow", "orange", "red")]
    table = [dict.fromkeys(bands, 0) for _ in model.tiers]
    names = [t.name for t in model.tiers]
    for account in data["health"]["accounts"]:
        if account["tier"] is not None and account["band"] is not None:
            table[names.index(account["tier"])][account["band"]] += 1
    data["health_by_tier"] = table
    return data


def shown_number(text: str) -> tuple[float, int]:
    """('$1,234.5' | '7.37%' | '12') -> (value, decimals shown)."""
    clean = re.sub(r"[^0-9.\-]", "", text)
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    return float(clean), decimals


@pytest.fixture(scope="module")
def dom(example_run: ExampleRun, tmp_path_factory: pytest.TempPathFactory) -> Figures:
    require_chromium()
    parser = Figures()
    parser.raw = dump_dom(example_run.html, tmp_path_factory.mktemp("chromium-profile"))
    parser.feed(parser.raw)
    return parser


def test_browser_shows_the_engine_figures(dom: Figures, engine: Engine) -> None:
    expected = expected_figures(engine)
    assert len(dom.figures) > 60
    for key, raw, text in dom.figures:
        want = resolve(expected, key)
        if want is None:
            assert (raw, text) == ("", "—"), key
            continue
        if isinstance(want, str):
            assert raw == want and text == want, key
            continue
        assert float(raw) == pytest.approx(want, rel=1e-12, abs=1e-12), key
        value, decimals = shown_number(text)
        assert abs(value - want) <= 0.5 * 10**-decimals + 1e-9, (key, text, want)


def test_browser_shows_every_headline_figure(dom: Figures, engine: Engine) -> None:
    keys = {key for key, _, _ in dom.figures}
    n = len(engine.model.tiers)
    required = {
        "capacity.total_headcount",
        "capacity.total_cost",
        "capacity.cost_pct_arr",
        "segment.summary.accounts",
        "health.validation.correlation",
        "playbooks.grade",
    }
    for i in range(n):
        required |= {
            f"segment.tiers.{i}.{f}" for f in ("accounts", "share_accounts", "arr", "share_arr")
        }
        required |= {
            f"capacity.tiers.{i}.{f}"
            for f in ("accounts", "fte", "headcount", "cost", "cost_pct_arr")
        }
        required |= {f"current_headcount.per_tier.{i}"}
        required |= {f"health_by_tier.{i}.{b}" for b in ("green", "yellow", "orange", "red")}
    assert required <= keys, sorted(required - keys)
    shown = {key: text for key, _, text in dom.figures}
    # The example's plan, worked by hand from the table in the document: 1 + 3 + 2 + 0 CSMs.
    assert shown["capacity.total_headcount"] == str(engine.cap.total_headcount)


def test_browser_page_is_self_contained(dom: Figures) -> None:
    tags = [tag for tag, _ in dom.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    charts = {attrs.get("id") for tag, attrs in dom.tags if tag == "svg"}
    assert {"chart-distribution", "chart-capacity", "chart-health"} <= charts
    for _, attrs in dom.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value or value.startswith("#"), (name, value)


def text_of(html: str) -> str:
    """The text a reader sees in a DOM fragment, with whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_browser_shows_the_summary_and_approval_first(dom: Figures, engine: Engine) -> None:
    """Page one: the header with the checksums, the executive summary with the decisions,
    and the approval block, all before the contents and the recipe's sections."""
    raw = dom.raw
    summary = raw[raw.index('<section id="summary"') : raw.index('<nav class="toc"')]
    assert raw.index('<section id="summary"') < raw.index('<section id="tiers"')
    words = text_of(summary)
    assert words.startswith("Executive summary")
    for tier in engine.model.tiers:
        assert tier.name in words
    assert f"CSMs needed {engine.cap.total_headcount}" in words
    failing = [c for c in engine.cap.checks + engine.seg.checks if c.status == "fail"]
    assert "Failing checks" in words and all(c.id in words for c in failing)
    assert "Decisions asked of you" in words and "Approve the model: sign below." in words
    approval = summary[summary.index('<table class="approval"') :]
    approval = approval[: approval.index("</table>")]
    assert text_of(approval).startswith("Approval Name Signature Date Prepared by")
    assert "Approved by" in text_of(approval)
    assert approval.count('<td class="sign"></td>') >= 5  # left blank to sign and date
    header = raw[raw.index('<header class="doc">') : raw.index("</header>")]
    for label in ("As of", "Model sha256", "Account book sha256", "Generated on"):
        assert f"<dt>{label}</dt>" in header
    assert "#summary{break-after:page}" in raw  # the summary is page one when printed
