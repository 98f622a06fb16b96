"""Usage errors (a missing option, an unknown command or option) exit 2 with Click's message."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "--all"), "Missing option '--program'"),
        (("bogus",), "No such command 'bogus'"),
        (("status", "--program", "psp-2017", "--bogus"), "No such option: --bogus"),
        (("respond", "stockton-ca", "--program", "psp-2017"), "Missing option '--file'"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str, cli: Cli) -> None:
    """Each usage error exits 2, names the problem, and shows no traceback."""
    result = cli(*args)
    assert result.code == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr
