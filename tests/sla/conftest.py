"""Fixtures for the SLA tests (helpers live in ``sla_helpers``)."""

from __future__ import annotations

import pytest

from tests.sla.sla_helpers import Build, build
from workbench.workdays import WorkCalendar


@pytest.fixture
def frames_of() -> Build:
    return build


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.official()
