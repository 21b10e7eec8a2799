"""`advice_timezone` must be a known IANA zone: refused when the settings load."""

from __future__ import annotations

import pydantic
import pytest

from chaupal.config import Settings


def test_advice_timezone__unknown_zone__refused_at_load():
    with pytest.raises(pydantic.ValidationError, match="unknown time zone"):
        Settings(advice_timezone="Mars/Olympus_Mons")


def test_advice_timezone__iana_name__accepted():
    assert Settings(advice_timezone="Europe/Berlin").advice_timezone == "Europe/Berlin"
