"""Loads the hypothesis profile before any fuzz property is collected."""

import tests.fuzz.profiles  # noqa: F401 - registering and loading the profiles is the point
