"""`grantreview verify-receipt` reads both forms: a C2SP tlog-proof and the JSON receipt."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner, Result

from cli.main import app
from schemas.base.errors import InputError
from schemas.tlog.cosignature import cosign
from schemas.tlog.note import ALG_COSIGNATURE_V1, parse_note, verifier_key
from schemas.tlog.receipt import tlog_proof_of
from tests.unit.test_receipt import KEY, make_receipt
from usecases.receipts import witness_verifiers

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def public_pem(tmp_path: Path) -> Path:
    """The log's public key alone, as an auditor holds it."""
    path = tmp_path / "log.pub.pem"
    path.write_bytes(KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return path


def verify(file: Path, key: Path, *more: str) -> Result:
    """Run `grantreview verify-receipt FILE --verify-key KEY ...` in this process."""
    return CliRunner().invoke(app, ["verify-receipt", str(file), "--verify-key", str(key), *more])


def test_a_tlog_proof_and_a_json_receipt_both_verify(tmp_path: Path, public_pem: Path) -> None:
    """The default tlog-proof and the `--json` document of the same commit both exit 0."""
    receipt = make_receipt(42)
    proof = tmp_path / "r.tlog-proof"
    proof.write_bytes(tlog_proof_of(receipt).text().encode())
    document = tmp_path / "r.json"
    document.write_text(receipt.model_dump_json(indent=2))
    ok = verify(proof, public_pem)
    assert (ok.exit_code, ok.stdout) == (
        0,
        (
            "ok: leaf 42 of 300 in grantreview.example/bucket/log\n"
            "covers no record: the proven bytes are not a commit\n"
        ),  # the test's commit is junk
    )
    ok = verify(document, public_pem)
    assert (ok.exit_code, ok.stdout.splitlines()[0]) == (0, f"ok: {receipt.key} is leaf 42 of 300")


def test_a_flipped_commit_byte_in_a_tlog_proof_is_a_root_mismatch(
    tmp_path: Path, public_pem: Path
) -> None:
    """One bit of the commit changed inside the extra line: exit 1, root mismatch named."""
    proof = tlog_proof_of(make_receipt(42))
    assert proof.extra is not None
    changed = bytearray(proof.extra)
    changed[3] ^= 1
    bad = type(proof)(proof.index, proof.proof, proof.checkpoint, bytes(changed))
    path = tmp_path / "bad.tlog-proof"
    path.write_bytes(bad.text().encode())
    result = verify(path, public_pem)
    assert result.exit_code == 1
    assert result.stdout == (
        "FAILED: root mismatch: the commit and proof do not give the checkpoint's root\n"
    )


def test_a_malformed_tlog_proof_is_a_finding_and_a_missing_file_bad_input(
    tmp_path: Path, public_pem: Path
) -> None:
    """A proof that does not parse exits 1 `FAILED: malformed: ...`; no file at all exits 2."""
    path = tmp_path / "bad.tlog-proof"
    path.write_bytes(
        tlog_proof_of(make_receipt(42)).text().replace("index 42", "index 042").encode()
    )
    result = verify(path, public_pem)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED: malformed: expected `index N`"), result.stdout
    assert verify(tmp_path / "absent", public_pem).exit_code == 2


def test_each_witness_given_must_have_cosigned(tmp_path: Path, public_pem: Path) -> None:
    """`--witness VKEY`: a cosignature by it passes; a witness that did not cosign is named."""
    receipt = make_receipt(42)
    witness = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    line = cosign(parse_note(receipt.checkpoint).text, "w1.example", witness, 1_700_000_000)
    cosigned = receipt.model_copy(update={"checkpoint": receipt.checkpoint + line})
    path = tmp_path / "r.tlog-proof"
    path.write_bytes(tlog_proof_of(cosigned).text().encode())
    w1 = verifier_key("w1.example", witness, ALG_COSIGNATURE_V1)
    other = Ed25519PrivateKey.from_private_bytes(bytes([10]) * 32)
    w2 = verifier_key("w2.example", other, ALG_COSIGNATURE_V1)
    ok = verify(path, public_pem, "--witness", w1)
    assert ok.exit_code == 0, ok.stdout
    missing = verify(path, public_pem, "--witness", w1, "--witness", w2)
    assert (missing.exit_code, missing.stdout) == (
        1,
        "FAILED: witness w2.example: no cosignature\n",
    )
    with pytest.raises(InputError, match="not a cosignature"):
        witness_verifiers([verifier_key("w1.example", witness)])
