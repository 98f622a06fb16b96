"""`review-signed`'s Resume form: the act's exact text and how to sign it."""

from __future__ import annotations

from flows.review_signed import ActSignature, how_to_sign


def test_the_resume_form_shows_the_exact_act_and_the_sign_command() -> None:
    """The act is shown verbatim in a code block, with `grantreview sign act.json`."""
    act = '{"actor":"olga","format":"grantreview.act/1","type":"review"}'
    text = how_to_sign(act)
    assert f"```json\n{act}\n```" in text
    assert "grantreview sign act.json" in text
    assert "ssh-keygen -Y sign -n grantreview" in text


def test_the_resume_form_takes_only_the_signature() -> None:
    """One required field, so the form cannot be resumed with something else."""
    schema = ActSignature.model_json_schema()
    assert schema["required"] == ["signature"]
    assert set(schema["properties"]) == {"signature"}
