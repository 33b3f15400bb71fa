"""Hypothesis profiles: `ci` (the default, for `make test`) and `fuzz` (for `make fuzz`).

`ci` is small and derandomized: the same few hundred examples on every run, so the test suite
stays fast and never flakes. It also leaves out the inputs that reach a library's known
defects (each library's fuzz module lists them), so that it guards everything else. `fuzz`
explores everything, known defects included: thousands of fresh examples each run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Databags of megabytes are the point, ops.testing runs a whole hook per step, and a run
# never depends on examples saved by an earlier one.
_COMMON = settings(
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

settings.register_profile(
    "ci", parent=_COMMON, max_examples=40, stateful_step_count=15, derandomize=True
)
settings.register_profile(
    "fuzz", parent=_COMMON, max_examples=1500, stateful_step_count=25, print_blob=True
)
PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)

READING_MACHINE_EXAMPLES = 700
"""How many examples `make fuzz` gives the state machine of each role that reads remote data.

Its other properties get the profile's 1,500. An example of these machines now yields 20 to
30 remote databags: in a run with a fifth of the examples, etcd's gave 22.0 per example,
http's 23.0, innodb's 30.1, kafka's 19.8, zookeeper's 24.1. So 700 keep the fewest (kafka's,
about 13,900) well clear of `make fuzz`'s minimum of 10,000 per role. They used to yield
about eight, when some examples made no relation at all (`RemoteDataMachine.deploy`), and
1,500 examples were needed for the same minimum.
"""

SHARDS = 3 if PROFILE == "fuzz" else 1
"""Into how many tests a reading role's state machine splits its examples.

`make fuzz` runs its properties in several processes; a role's 700 examples, run as one test,
would keep one core busy long after the other had finished. Three tests of 234, each from a
seed of its own, let two cores share every role. The `ci` profile is derandomized, so
its shares would repeat each other's examples: it keeps one test per role.
"""

EXPLORE_KNOWN_DEFECTS = PROFILE == "fuzz"
"""Whether the properties feed the inputs that reach known defects (only `make fuzz` does)."""
