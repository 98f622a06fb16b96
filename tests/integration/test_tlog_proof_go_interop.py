"""Go's x/mod reads the tlog-proofs we write, and we read the ones Go writes.

go_tlog_proof/main.go splits the C2SP tlog-proof text into lines itself (test code), then
leaves every check to golang.org/x/mod/sumdb: note.Open with our vkey, tlog.CheckRecord of
tlog.RecordHash(extra) against the checkpoint's tree. Going the other way, Go proves leaves
over our tiles with tlog.ProveRecord and writes the proof; ours must accept it, byte for byte
the proof we write. Built in GOPATH mode against Debian's golang-golang-x-mod-dev, offline;
skipped, never passed, without them.
"""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from schemas.tlog.proof import TlogProof, parse_tlog_proof
from schemas.tlog.receipt import build_receipt, tlog_proof_of, verify_tlog_proof
from tests.integration.test_tlog_go_interop import ORIGIN, SIZE, go_env, write_log

PROGRAM = Path(__file__).parent / "go_tlog_proof" / "main.go"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 70,000-leaf log in tiles with a cosigned checkpoint (test_tlog_go_interop's)."""
    directory = tmp_path_factory.mktemp("log")
    write_log(directory)
    return directory


@pytest.fixture(scope="module")
def go_proof(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go program, built once."""
    tmp = tmp_path_factory.mktemp("go")
    go, env = go_env(tmp)
    binary = tmp / "go_tlog_proof"
    subprocess.run([go, "build", "-o", str(binary), str(PROGRAM)], env=env, check=True, timeout=300)
    return binary


def our_proofs(log: Path) -> list[TlogProof]:
    """What `grantreview receipt` writes for each leaf of the test cases."""
    checkpoint = (log / "checkpoint").read_text()
    return [
        tlog_proof_of(
            build_receipt(
                f"streams/p/j/{case['index']:020d}.json",
                base64.b64decode(case["leaf"]),
                leaf_index=case["index"],
                tree_size=SIZE,
                proof=[base64.b64decode(h) for h in case["proof"]],
                checkpoint=checkpoint,
            )
        )
        for case in json.loads((log / "cases.json").read_text())["inclusions"]
    ]


def go(binary: Path, *args: Path | str) -> subprocess.CompletedProcess[str]:
    """Run the Go program; its status and its lines."""
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def test_go_verifies_the_tlog_proofs_we_write(log: Path, go_proof: Path, tmp_path: Path) -> None:
    """note.Open and tlog.CheckRecord accept our proofs of 7 leaves, cosignature and all."""
    files = []
    for proof in our_proofs(log):
        path = tmp_path / f"{proof.index}.tlog-proof"
        path.write_bytes(proof.text().encode())
        files.append(path)
    result = go(go_proof, "check", log / "vkey", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok proof: leaf ") == len(files) == 7, result.stdout
    assert f"ok proof: leaf 69999 of {SIZE} in {ORIGIN}\n" in result.stdout


def test_go_rejects_a_flipped_byte_in_extra_or_a_proof_line(
    log: Path, go_proof: Path, tmp_path: Path
) -> None:
    """One bit changed in the record (extra) or in one proof hash: Go's CheckRecord refuses."""
    proof = our_proofs(log)[4]
    assert proof.extra is not None
    extra = bytearray(proof.extra)
    extra[len(extra) // 2] ^= 1
    hashes = [bytearray(h) for h in proof.proof]
    hashes[-1][0] ^= 1
    damaged = {
        "extra": replace(proof, extra=bytes(extra)),
        "proof": replace(proof, proof=tuple(bytes(h) for h in hashes)),
    }
    for name, bad in damaged.items():
        path = tmp_path / f"{name}.tlog-proof"
        path.write_bytes(bad.text().encode())
        result = go(go_proof, "check", log / "vkey", path)
        assert result.returncode == 1, (name, result.stdout)
        assert "FAIL" in result.stdout
        assert "record 65535" in result.stdout, result.stdout
        assert verify_tlog_proof(parse_tlog_proof(path.read_bytes()), (log / "vkey").read_text())


def test_we_accept_the_tlog_proofs_go_writes(log: Path, go_proof: Path, tmp_path: Path) -> None:
    """Go's ProveRecord over our tiles, written as a tlog-proof: we parse and verify it."""
    vkey = (log / "vkey").read_text()
    for ours in our_proofs(log):
        assert ours.extra is not None
        record = tmp_path / "record"
        record.write_bytes(ours.extra)
        out = tmp_path / f"go-{ours.index}.tlog-proof"
        result = go(go_proof, "write", log, str(ours.index), record, out)
        assert result.returncode == 0, result.stdout
        theirs = parse_tlog_proof(out.read_bytes())
        assert verify_tlog_proof(theirs, vkey, ORIGIN) == []
        assert out.read_bytes() == ours.text().encode()
