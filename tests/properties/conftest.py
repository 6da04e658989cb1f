"""Hypothesis settings for the property tests, sized for CI.

Each test runs its examples inside the one test transaction that pytest-django opens, and each
example inside a savepoint it rolls back (see ``support.rolled_back``), so the function-scoped
``db`` fixture is shared safely between examples: that is why its health check is off.
``HYPOTHESIS_PROFILE=thorough`` runs ten times as many examples, for a look before a release.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No example database in the working tree; a failure prints the blob that replays it.
    "database": None,
    "print_blob": True,
}
settings.register_profile("ci", max_examples=40, **_COMMON)
settings.register_profile("thorough", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
