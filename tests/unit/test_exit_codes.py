"""The CLI's documented exit codes, through its real entry point: 2 for bad input, never 70."""

from __future__ import annotations

import importlib
import os
import pkgutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import EXIT_CODES, exit_code_for, main

FAR_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31"]
PRODUCT = ("cli", "flows", "tasks", "usecases", "infra", "schemas")
"""The product's packages (localdev is the developer's, never imported by them)."""


def product_errors() -> list[type[BaseException]]:
    """Every exception class defined in a module of the product, private ones included."""
    found: list[type[BaseException]] = []
    for package in PRODUCT:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            found.extend(
                value
                for value in vars(module).values()
                if isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            )
    return found


def test_every_error_class_of_the_product_has_an_exit_code() -> None:
    """Walking every product module: each error class derives from a base with an exit code."""
    errors = product_errors()
    assert len(errors) > 30  # the walk found the hierarchy, not an empty list
    unmapped = [f"{e.__module__}.{e.__qualname__}" for e in errors if exit_code_for(e) is None]
    assert unmapped == []


def test_the_exit_code_table_holds_product_bases_only() -> None:
    """No builtin or library class in the table: a class outside every base stays unmapped."""
    assert {base.__module__.split(".")[0] for base in EXIT_CODES} <= set(PRODUCT)
    assert exit_code_for(ValueError) is None
    assert exit_code_for(RuntimeError) is None


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str]:
    """Run `grantreview ARGS` in-process: its exit code and stderr."""
    monkeypatch.setattr(sys, "argv", ["grantreview", *map(str, args)])
    capsys.readouterr()
    try:
        main()
    except SystemExit as done:
        code = int(done.code or 0)
    else:
        code = 0
    return code, capsys.readouterr().err


@pytest.fixture
def no_umask() -> Iterator[None]:
    """Umask 0, so only an explicit mode can make a folder private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_keys_generate_onto_a_file_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`keys generate FILE` where FILE is a regular file exits 2 with one line."""
    target = tmp_path / "existing"
    target.write_text("keep me", encoding="utf-8")
    code, err = run_main(monkeypatch, capsys, "keys", "generate", target)
    assert (code, err.count("\n")) == (2, 1), err
    assert target.read_text(encoding="utf-8") == "keep me"


def test_keys_generate_onto_a_dangling_link_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dangling symlink where the signing key goes exits 2 and its target is never created."""
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "signing-key.pem").symlink_to(tmp_path / "elsewhere.pem")
    code, err = run_main(monkeypatch, capsys, "keys", "generate", folder)
    assert (code, err.count("\n")) == (2, 1), err
    assert not (tmp_path / "elsewhere.pem").exists()


def test_keys_generate_onto_a_dangling_folder_link_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dangling symlink given as the key folder exits 2."""
    (tmp_path / "keys").symlink_to(tmp_path / "nowhere")
    code, err = run_main(monkeypatch, capsys, "keys", "generate", tmp_path / "keys")
    assert (code, err.count("\n")) == (2, 1), err


@pytest.mark.usefixtures("no_umask")
def test_key_folders_are_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every folder `keys generate` creates is 0700, whatever the umask."""
    folder = tmp_path / "a" / "b"
    code, err = run_main(monkeypatch, capsys, "keys", "generate", folder)
    assert code == 0, err
    for created in (folder, folder.parent):
        assert stat.S_IMODE(created.stat().st_mode) == 0o700, created


@pytest.mark.parametrize("when", FAR_DATES)
@pytest.mark.parametrize(
    "command",
    [
        ("explain", "stockton-ca", "--program", "psp-2017", "--as-of"),
        ("explain", "stockton-ca", "--program", "psp-2017", "--known-at"),
        ("reevaluate", "--program", "psp-2017", "--dry-run", "--as-of"),
        ("review", "--program", "psp-2017", "stockton-ca", "--as-of"),
        ("audit", "replay", "--as-of"),
        ("keys", "generate", "{tmp}", "--valid-from"),
    ],
)
def test_far_dates_are_bad_input(
    command: tuple[str, ...],
    when: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A date outside 1900-01-01 .. 2200-01-01 exits 2 before anything is read or written."""
    args = [part.replace("{tmp}", str(tmp_path / "k")) for part in command]
    code, err = run_main(monkeypatch, capsys, *args, when)
    assert (code, err.count("\n")) == (2, 1), err
    assert "1900-01-01" in err or "invalid" in err.lower(), err
    assert not (tmp_path / "k").exists()


@pytest.mark.parametrize("kind", ["folder", "missing-folder", "link"])
def test_report_path_is_refused_before_the_replay(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`audit replay --report` to a folder, into a missing folder or via a link exits 2 first."""
    keyring = tmp_path / "keys" / "verify-keys.json"
    code, err = run_main(monkeypatch, capsys, "keys", "generate", tmp_path / "keys")
    assert code == 0, err
    target = {
        "folder": tmp_path,
        "missing-folder": tmp_path / "absent" / "r.html",
        "link": tmp_path / "r.html",
    }[kind]
    if kind == "link":
        target.symlink_to(tmp_path / "elsewhere.html")
    # No S3 is configured: reaching the replay would be exit 3, not 2.
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    code, err = run_main(
        monkeypatch, capsys, "audit", "replay", "--verify-key", keyring, "--report", target
    )
    assert (code, err.count("\n")) == (2, 1), err
    assert not (tmp_path / "elsewhere.html").exists()


def test_smtp_unreachable_is_unavailable() -> None:
    """Mail to a closed port fails as a dependency error (exit 3), not an internal one."""
    from infra.errors import DependencyUnavailableError  # noqa: PLC0415 - the error under test
    from infra.outbox.smtp import Mail, SmtpConfig, deliver  # noqa: PLC0415 - likewise

    config = SmtpConfig.from_url("smtp://127.0.0.1:9?from=a@b.org&to={slug}@b.org&timeout=2")
    mail = Mail("a@b.org", "x@b.org", "s", "m", "<p>m</p>", "<1@b.org>")
    with pytest.raises(DependencyUnavailableError):
        deliver(config, mail, attempts=1, backoff=0)
