"""docs/operations.md lists every setting in chaupal/config.py, with its current default."""

from pathlib import Path

from chaupal.cli.settings_doc import END, START, settings_table
from chaupal.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_operations_doc__settings_table__matches_config():
    text = DOC.read_text()
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == settings_table(), "run `make docs` to regenerate the settings table"


def test_settings_table__has_a_row_per_field():
    table = settings_table()
    for name in Settings.model_fields:
        assert f"`CHAUPAL_{name.upper()}`" in table
