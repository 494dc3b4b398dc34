"""`motovault vin decode`: table, --json, --file with progress and a failure summary, one-line errors."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from motovault.cli import main
from motovault.commands.vin import Progress
from motovault.vin import vpic
from support import vpic_fixtures as fx

#: the mocked vPIC's request handler, under "h"
Handlers = dict[str, Callable[[httpx.Request], httpx.Response]]


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vin", "decode", "1FTMW1T88MFA00001", "1hgcm82633a004352"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:7] == ["VIN", "VALID", "YEAR", "MAKE", "MODEL", "TRIM", "BODY"]
    assert out[1].split()[:5] == ["1FTMW1T88MFA00001", "yes", "2021", "FORD", "F-150"]
    assert out[2].split()[:5] == ["1HGCM82633A004352", "yes", "2003", "HONDA", "Accord"]


def test_invalid_vin_gives_exit_status_1_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vin", "decode", "1FTMW1T84MFA00001"]) == 1
    out = capsys.readouterr().out
    assert "NO" in out and "position 9 should be 8, found 4" in out


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vin", "decode", "--json", "1FTMW1T88MFA00001", "ABC"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    for key in ("vin", "valid", "errors", "make", "model", "model_year", "source"):
        assert key in first
    assert (first["vin"], first["valid"], first["make"], first["model"], first["model_year"], first["source"]) == (
        "1FTMW1T88MFA00001", True, "FORD", "F-150", 2021, "offline")
    assert "raw" not in first
    assert second["valid"] is False and second["errors"] == ["17 characters expected, found 3"]


def test_json_raw(capsys: pytest.CaptureFixture[str]) -> None:
    main(["vin", "decode", "--json", "--raw", "1FTMW1T88MFA00001"])
    assert json.loads(capsys.readouterr().out)["raw"]["Make"] == "FORD"


def test_file_with_a_bad_line_streams_results_and_summarizes_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "vins.txt"
    path.write_text("# fleet\n1FTMW1T88MFA00001\n\nNOT-A-VIN\n1hgcm82633a004352  # the Accord\n")
    assert main(["vin", "decode", "--file", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["vin"] for r in rows] == ["1FTMW1T88MFA00001", "NOT-A-VIN", "1HGCM82633A004352"]
    err = captured.err
    assert "decoded 3 VIN(s) (offline): 2 valid, 1 invalid" in err
    assert "line 4: NOT-A-VIN: 17 characters expected, found 9" in err
    assert "\r" not in err  # stderr is not a terminal: no bar


def test_file_of_good_vins_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "vins.txt"
    path.write_text("1FTMW1T88MFA00001\n" * 3)
    assert main(["vin", "decode", "-f", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("FORD") == 3 and captured.out.count("VIN ") == 1  # one header
    assert "3 valid, 0 invalid" in captured.err


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    p = Progress(tty, 10)
    p.advance(5)
    p.finish()
    assert "\r[###############---------------] 5/10 (50%)" in tty.getvalue()

    monkeypatch.setattr("motovault.commands.vin.PROGRESS_INTERVAL", 0.0)
    plain = io.StringIO()
    p = Progress(plain, 4)
    p.advance(2)
    p.advance(2)
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("progress: 2/4 (50%) VINs") and lines[1].startswith("progress: 4/4 (100%) VINs")
    assert "\r" not in plain.getvalue()


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("motovault vin: error: ")
    return lines[0]


def test_missing_file_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, ["vin", "decode", "--file", str(tmp_path / "nope.txt")])
    assert "cannot read" in line and "No such file" in line


def test_no_vins_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "give VINs" in one_line_error(capsys, ["vin", "decode"])


@pytest.fixture
def mocked_vpic(monkeypatch: pytest.MonkeyPatch) -> Handlers:
    """Make the command's VpicClient talk to a MockTransport and never sleep."""
    handlers: Handlers = {}

    class Mocked(vpic.VpicClient):
        def __init__(self, *args: Any, **kw: Any) -> None:
            kw["transport"] = httpx.MockTransport(handlers["h"])
            kw["sleep"] = lambda s: None
            super().__init__(*args, **kw)

    monkeypatch.setattr(vpic, "VpicClient", Mocked)
    return handlers


def test_online_decode(mocked_vpic: Handlers, capsys: pytest.CaptureFixture[str]) -> None:
    mocked_vpic["h"] = lambda request: fx.response("decode-vin.json")
    assert main(["vin", "decode", "--online", "--json", "1FTMW1T88MFA00001"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["source"] == "vpic" and row["trim"] == "SuperCrew-SSV"


def test_online_failure_is_a_one_line_error(mocked_vpic: Handlers, capsys: pytest.CaptureFixture[str]) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known\nsecond line")

    mocked_vpic["h"] = down
    line = one_line_error(capsys, ["vin", "decode", "--online", "1FTMW1T88MFA00001"])
    assert "vPIC failed for VIN 1FTMW1T88MFA00001 after 5 attempt(s)" in line


def test_file_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1FTMW1T88MFA00001\n1FTMW1T84MFA00001\n"))
    assert main(["vin", "decode", "--json", "--file", "-"]) == 1
    captured = capsys.readouterr()
    assert [json.loads(x)["valid"] for x in captured.out.splitlines()] == [True, False]
    assert "line 2: 1FTMW1T84MFA00001: position 9 should be 8, found 4" in captured.err
