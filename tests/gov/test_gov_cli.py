"""`chaupal gov import | coverage | snapshot` against the test database (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chaupal.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cabinet.yaml"
runner = CliRunner()


def _invoke(settings, *args: str):
    env = {"CHAUPAL_DATA_DIR": str(settings.data_dir), "CHAUPAL_DATABASE_URL": settings.database_url,
           "CHAUPAL_REDIS_URL": ""}
    return runner.invoke(app, ["gov", *args], env=env, catch_exceptions=False)


def test_gov_cli__import_coverage_snapshot(settings, tmp_path):
    done = _invoke(settings, "import", str(EXAMPLE))
    assert done.exit_code == 0, done.output
    assert "government 'demo'" in done.output and "removed" in done.output
    again = _invoke(settings, "import", str(EXAMPLE))
    assert "0 new, 0 updated" in again.output

    bad = tmp_path / "bad.yaml"
    bad.write_text("government:\n  key: demo\n  name: X\n  jurisdiction: India\n  entities:\n    - name: no key\n")
    refused = _invoke(settings, "import", str(bad))
    assert refused.exit_code == 1
    assert "not imported" in refused.output and "entities[0].key: required" in refused.output

    report = json.loads(_invoke(settings, "coverage", "--json").output)
    assert report["summary"]["total"] == report["summary"]["missing"] > 10  # nothing refused was kept
    table = _invoke(settings, "coverage")
    assert table.exit_code == 0 and "missing" in table.output

    snap = _invoke(settings, "snapshot", "--day", "2026-01-02")
    assert snap.exit_code == 0 and "recorded 0 follower snapshots" in snap.output
    assert _invoke(settings, "snapshot", "--day", "soon").exit_code == 2
    assert _invoke(settings, "import", str(tmp_path / "absent.yaml")).exit_code == 1
