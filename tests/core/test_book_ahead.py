"""A CSV book read ahead (``tierform.core.book_ahead``) is used only when it is the very read
``read_book`` makes, gives what a plain read gives, and is never left running."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from tierform.core import book, book_ahead, book_csv
from tierform.core.book import read_book
from tierform.core.loader import load_model
from tierform.errors import BookError

BOOK = 'Account ID,ARR,tier\n"00123","$1,200.50",Pro\n"00456","900",Basic\n'
MAPPED = (
    "accounts:\n  path: books/accounts.csv\n  columns:\n    account_id: Account ID\n    acv: ARR\n"
)


def project(tmp_path: Path, model: str = MAPPED, text: str = BOOK) -> Path:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "accounts.csv").write_text(text, encoding="utf-8")
    config = tmp_path / "tierform.yaml"
    config.write_text(model, encoding="utf-8")
    return config


def plain(path: str, config: Path) -> book.AccountBook:
    """The book as read without any read ahead."""
    book_ahead.finish()
    return read_book(path, load_model(config).accounts)


def same_book(got: book.AccountBook, expected: book.AccountBook) -> None:
    assert got.table.to_pylist() == expected.table.to_pylist()
    assert got.table.schema == expected.table.schema
    assert got.acv.tolist() == expected.acv.tolist()
    assert got.rows.tolist() == expected.rows.tolist()
    assert got.warnings == expected.warnings


def no_read_running() -> bool:
    return not any(t.name == book_ahead.THREAD_NAME for t in threading.enumerate())


def test_the_model_s_book_is_read_ahead_once_and_read_as_a_plain_read_reads_it(
    tmp_path: Path, csv_reads: list[str]
) -> None:
    config = project(tmp_path)
    book_ahead.start(str(config), None)
    model = load_model(config)
    got = read_book(model.accounts.path, model.accounts)
    assert csv_reads == [book_ahead.THREAD_NAME]
    # The mapped id column was kept as text: the zeros are there.
    assert got.table.column("account_id").to_pylist() == ["00123", "00456"]
    same_book(got, plain(model.accounts.path, config))
    assert csv_reads[1:] == ["MainThread"]
    assert no_read_running()


def test_accounts_given_on_the_command_line_are_read_ahead(
    tmp_path: Path, csv_reads: list[str]
) -> None:
    config = project(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text(BOOK.replace("00456", "00789"), encoding="utf-8")
    given = f"{tmp_path}/./other.csv"  # spelled as a user may type it
    book_ahead.start(str(config), given)
    got = read_book(given, load_model(config).accounts)
    assert csv_reads == [book_ahead.THREAD_NAME]
    assert got.table.column("account_id").to_pylist() == ["00123", "00789"]


def test_a_read_ahead_with_other_options_is_waited_for_and_not_used(
    tmp_path: Path, csv_reads: list[str]
) -> None:
    # The file maps no columns, so the read ahead keeps only `account_id` and `acv` as text;
    # the model the book is read with maps the id to "Account ID", which must stay text.
    config = project(tmp_path, "accounts:\n  path: books/accounts.csv\n")
    book_ahead.start(str(config), None)
    (tmp_path / "mapped.yaml").write_text(MAPPED, encoding="utf-8")
    mapped = load_model(tmp_path / "mapped.yaml").accounts
    path = str(tmp_path / "books" / "accounts.csv")
    got = read_book(path, mapped)
    assert csv_reads == [book_ahead.THREAD_NAME, "MainThread"]
    assert no_read_running()
    assert got.table.column("account_id").to_pylist() == ["00123", "00456"]


@pytest.mark.parametrize("in_place", [False, True])
def test_a_book_changed_after_its_read_began_is_read_again(
    tmp_path: Path, csv_reads: list[str], in_place: bool
) -> None:
    config = project(tmp_path)
    path = tmp_path / "books" / "accounts.csv"
    book_ahead.start(str(config), None)
    changed = BOOK + '"00789","50",Pro\n'
    if in_place:
        # Rewritten where it is (never while it is read: the read maps the file).
        for thread in threading.enumerate():
            if thread.name == book_ahead.THREAD_NAME:
                thread.join()
        path.write_text(changed, encoding="utf-8")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    else:  # exported again: a new file put in its place
        (tmp_path / "new.csv").write_text(changed, encoding="utf-8")
        os.replace(tmp_path / "new.csv", path)
    model = load_model(config)
    got = read_book(model.accounts.path, model.accounts)
    assert got.table.column("account_id").to_pylist() == ["00123", "00456", "00789"]
    assert csv_reads == [book_ahead.THREAD_NAME, "MainThread"]


def test_a_book_that_cannot_be_read_fails_as_a_plain_read_does(
    tmp_path: Path, csv_reads: list[str]
) -> None:
    config = project(tmp_path, text=BOOK + '"00789","50",Pro,extra\n')
    model = load_model(config)
    with pytest.raises(BookError) as plain_error:
        read_book(model.accounts.path, model.accounts)
    book_ahead.start(str(config), None)
    with pytest.raises(BookError) as ahead_error:
        read_book(model.accounts.path, model.accounts)
    assert csv_reads == ["MainThread", book_ahead.THREAD_NAME]
    assert str(ahead_error.value) == str(plain_error.value)
    assert ahead_error.value.issues == plain_error.value.issues
    assert "row" in str(ahead_error.value)


@pytest.fixture
def gated_read(monkeypatch: pytest.MonkeyPatch):
    """A read ahead that waits for ``release`` before reading and sets ``ended`` after."""
    release, ended = threading.Event(), threading.Event()
    real = book_csv.read_csv

    def slow(*args, **kwargs):
        release.wait(10)
        result = real(*args, **kwargs)
        ended.set()
        return result

    monkeypatch.setattr(book_csv, "read_csv", slow)
    monkeypatch.setattr(book_ahead, "MIN_BYTES", 0)
    yield release, ended
    release.set()
    book_ahead.finish()


def test_an_unused_read_ahead_is_waited_for(tmp_path: Path, gated_read) -> None:
    release, ended = gated_read
    book_ahead.start(str(project(tmp_path)), None)
    assert not no_read_running()
    threading.Timer(0.2, release.set).start()
    book_ahead.finish()
    assert ended.is_set()
    assert no_read_running()


def test_a_small_book_is_read_as_usual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(tmp_path)
    path = tmp_path / "books" / "accounts.csv"
    as_text = ("account_id", "Account ID", "acv", "ARR")
    monkeypatch.setattr(book_ahead, "MIN_BYTES", path.stat().st_size + 1)
    book_ahead.start(str(config), None)
    assert book_ahead.claim(path, None, as_text) is None
    monkeypatch.setattr(book_ahead, "MIN_BYTES", path.stat().st_size)
    book_ahead.start(str(config), None)
    assert book_ahead.claim(path, None, as_text) is not None


def interrupt_main_in(seconds: float) -> None:
    main = threading.main_thread().ident
    assert main is not None
    threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT)).start()


@pytest.fixture(autouse=True)
def ctrl_c_interrupts():
    """Ctrl-C raises KeyboardInterrupt here, however the tests were started: a shell that
    starts a job in the background (``cmd &``) has it ignore SIGINT, and Python then keeps
    it ignored."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_an_interrupt_while_the_read_is_claimed_leaves_it_to_be_waited_for(
    tmp_path: Path, gated_read
) -> None:
    release, ended = gated_read
    config = project(tmp_path)
    book_ahead.start(str(config), None)
    interrupt_main_in(0.2)
    with pytest.raises(KeyboardInterrupt):
        book_ahead.claim(tmp_path / "books" / "accounts.csv", None, ())
    assert not no_read_running()  # still reading: finish() must wait for it
    threading.Timer(0.2, release.set).start()
    book_ahead.finish()
    assert ended.is_set()
    assert no_read_running()


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_a_second_interrupt_while_the_read_is_waited_for_leaves_at_once(
    tmp_path: Path, gated_read, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, _ = gated_read
    config = project(tmp_path)
    codes: list[int] = []

    def leave(code: int) -> None:
        codes.append(code)
        raise SystemExit(code)  # stands in for the process ending here

    monkeypatch.setattr(os, "_exit", leave)
    with pytest.raises(SystemExit):
        with book_ahead.reading_ahead(str(config), None):
            interrupt_main_in(0.2)
            raise KeyboardInterrupt  # the first interrupt, in the command
    assert codes == [130]
    assert not no_read_running()  # left behind only because the process would be gone


@pytest.mark.parametrize(
    ("model", "accounts"),
    [
        ("accounts:\n  path: books/accounts.xlsx\n", None),  # not a CSV book
        ("accounts:\n  path: books/accounts.csv\n  format: json\n", None),
        ("accounts:\n  path: books/missing.csv\n", None),
        ("accounts:\n  columns: {account_id: 7}\n", "books/accounts.csv"),  # not names
        ("accounts:\n  encoding: [utf-8]\n", "books/accounts.csv"),
        ("accounts: [1, 2\n", "books/accounts.csv"),  # not YAML
        ("a: &a [1, 2]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" * 2, None),
        ("tiers: []\n", None),  # no book named
    ],
)
def test_nothing_is_read_ahead_without_a_csv_book_the_model_names(
    tmp_path: Path, model: str, accounts: str | None
) -> None:
    config = project(tmp_path, model)
    if accounts:
        accounts = str(tmp_path / accounts)
    assert book_ahead.planned_read(str(config), accounts) is None


def test_an_alias_bomb_in_the_model_is_refused_before_any_read(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    config = project(tmp_path, "\n".join(lines) + "\naccounts: {path: books/accounts.csv}\n")
    assert book_ahead.planned_read(str(config), None) is None


def test_the_planned_read_names_the_book_as_the_loader_does(tmp_path: Path) -> None:
    config = project(tmp_path)
    read = book_ahead.planned_read(str(config), None)
    assert read is not None
    assert read.name == load_model(config).accounts.path
    assert read.as_text == ("account_id", "Account ID", "acv", "ARR")
    assert read.encoding is None
