"""Verification's OpenAPI document declares what its routes answer (found by the OpenAPI
fuzz: 401, 403, 404 and 409 were answered but not declared)."""

from __future__ import annotations

from pathlib import Path

from sipokat.verification.bootstrap import create_app
from sipokat.verification.settings import VerificationSettings


def test_refusals_are_declared(tmp_path: Path) -> None:
    paths = create_app(VerificationSettings(data_dir=tmp_path)).openapi()["paths"]
    decisions = paths["/v1/reports/{report_id}/decisions"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(decisions)
    assert {"401", "403", "404"} <= set(paths["/v1/reports/{report_id}"]["get"]["responses"])
    assert {"401", "403", "422"} <= set(paths["/v1/verification/queue"]["get"]["responses"])
    assert "403" in paths["/v1/verification/rebuild"]["post"]["responses"]
