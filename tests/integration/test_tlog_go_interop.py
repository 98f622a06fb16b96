"""Go's golang.org/x/mod/sumdb/{note,tlog} check our checkpoint, cosignature, proofs and tiles.

The gold standard of interop: a tiny Go program (go_tlog_check/main.go) built in GOPATH mode
against the Debian package golang-golang-x-mod-dev, offline. Skipped, never passed, when the
Go toolchain or that package is absent (localdev/system-deps.sh installs both). Go reads and
writes our receipts (C2SP tlog-proof) in test_tlog_proof_go_interop.py.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.cosignature import cosign
from schemas.tlog.merkle import consistency_proof, inclusion_proof, leaf_hash, tree_root
from schemas.tlog.note import parse_note, raw_public_key, verifier_key
from schemas.tlog.tiles import integrate_tiles, new_tiles, tile_hash_reader

GOPATH = Path("/usr/share/gocode")
X_MOD = GOPATH / "src/golang.org/x/mod/sumdb/tlog"
PROGRAM = Path(__file__).parent / "go_tlog_check" / "main.go"
ORIGIN = "grantreview.example/bucket/log"
SIZE = 70_000
BATCHES = [1, 2, 253, 256, 3_000, 62_024, 4_464]


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode()


def write_log(directory: Path) -> None:
    """A 70,000-leaf log in tiles, grown in batches, with a cosigned checkpoint and cases."""
    store: dict[str, bytes] = {}
    leaves: list[bytes] = []
    size = 0
    for count in BATCHES:
        batch = [f'{{"seq":{size + i}}}'.encode() for i in range(count)]
        result = integrate_tiles(size, [leaf_hash(x) for x in batch], lambda t: store[t.path()])
        store.update({tile.path(): data for tile, data in result.tiles})
        leaves += batch
        size = result.size
    assert size == SIZE
    for path, data in store.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(data)
    reader = tile_hash_reader(SIZE, lambda t: store[t.path()])
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    witness = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    checkpoint = sign_checkpoint(TreeHead(ORIGIN, SIZE, tree_root(SIZE, reader)), key)
    checkpoint += cosign(parse_note(checkpoint).text, "witness.example/w1", witness, 1_700_000_000)
    (directory / "checkpoint").write_text(checkpoint)
    (directory / "vkey").write_text(verifier_key(ORIGIN, key))
    (directory / "cosigner").write_text(f"witness.example/w1 {b64(raw_public_key(witness))}")
    indices = [0, 1, 255, 256, 65_535, 65_536, 69_999]
    olds = [1, 2, 3, 256, 257, 3_512, 65_536, 69_999, 70_000]
    growths = [(0, 1), (255, 257), (3_512, 70_000), (65_535, 65_536)]
    cases = {
        "inclusions": [
            {
                "index": i,
                "leaf": b64(leaves[i]),
                "proof": [b64(h) for h in inclusion_proof(i, SIZE, reader)],
            }
            for i in indices
        ],
        "consistencies": [
            {
                "old": m,
                "old_root": b64(tree_root(m, reader)),
                "proof": [b64(h) for h in consistency_proof(m, SIZE, reader)],
            }
            for m in olds
        ],
        "tile_growth": growths,
        "tile_paths": [[t.path() for t in new_tiles(a, b)] for a, b in growths],
    }
    (directory / "cases.json").write_text(json.dumps(cases))


def go_env(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The Go binary and an environment for GOPATH mode against Debian's x/mod, offline."""
    go = shutil.which("go")
    if go is None or not X_MOD.is_dir():
        pytest.skip("Go or golang-golang-x-mod-dev absent: run localdev/system-deps.sh")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOCACHE": os.environ.get("GOCACHE", str(tmp_path / "gocache")),
    }
    return go, env


def run_go(directory: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Build and run the checker offline, in GOPATH mode against Debian's x/mod."""
    go, env = go_env(tmp_path)
    return subprocess.run(
        [go, "run", str(PROGRAM), str(directory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_go_verifies_our_log(tmp_path: Path) -> None:
    """Go's note.Open, tlog.CheckRecord/CheckTree/TileHashReader/NewTiles accept our output."""
    log = tmp_path / "log"
    log.mkdir()
    write_log(log)
    result = run_go(log, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == 5, result.stdout


def test_go_rejects_a_modified_tile(tmp_path: Path) -> None:
    """One flipped byte in the partial level-1 tile makes Go's tile reader refuse the tree."""
    log = tmp_path / "log"
    log.mkdir()
    write_log(log)
    tile = log / "tile/1/001.p/17"
    data = bytearray(tile.read_bytes())
    data[5] ^= 1
    tile.write_bytes(bytes(data))
    result = run_go(log, tmp_path)
    assert result.returncode == 1
    assert "FAIL tree hash from our tiles" in result.stdout, result.stdout
