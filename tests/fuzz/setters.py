"""Invalid charm input: every setter refuses it with ValueError and changes nothing.

`check_invalid_call` runs one hook in which the charm first has published valid values (in an
earlier hook, so that there is something to protect), then calls a setter with generated
invalid arguments. The setter must raise `ValueError` (a subclass is fine; `TypeError` or any
other exception is not), its message (and anything chained to it) must hold no secret, and
the hook's output must equal its input: every databag and the stored state unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from ops import testing

from tests.fuzz.harness import (
    FUZZ_CONFIG,
    TALLY,
    SecretLeakError,
    Setter,
    SetterMisbehavedError,
    SetterTarget,
    endpoint_relation,
    exception_texts,
    first_remote_unit,
    fuzz_charm,
    fuzz_context,
    release_finished_hooks,
    short,
)
from tests.fuzz.hostile import SECRETS
from tests.fuzz.profiles import EXPLORE_KNOWN_DEFECTS


def setter_test(target: SetterTarget) -> Callable[[Setter], None]:
    """The test pytest collects for a provider's setters: one property per setter.

    A setter that reaches known defects is skipped unless the profile explores them.
    """

    @pytest.mark.parametrize("setter", target.setters, ids=lambda setter: setter.name)
    def test_setters_refuse_invalid_input_with_value_error_and_change_nothing(setter: Setter):
        if setter.known_defects and not EXPLORE_KNOWN_DEFECTS:
            pytest.skip(
                f"reaches known defects {', '.join(setter.known_defects)}; `make fuzz` runs it"
            )

        @given(args=setter.invalid)
        def property_(args: tuple[Any, ...]) -> None:
            check_invalid_call(target, setter, args)

        property_()

    return test_setters_refuse_invalid_input_with_value_error_and_change_nothing


def check_invalid_call(target: SetterTarget, setter: Setter, args: tuple[Any, ...]) -> None:
    """Call the setter with invalid `args` after a valid publication; see the module."""
    ctx = fuzz_context(fuzz_charm(target), target.metadata, config=FUZZ_CONFIG)
    relation = endpoint_relation(target, {first_remote_unit(target): {}})
    before = _publish_valid(ctx, target, testing.State(relations={relation}))
    with ctx(ctx.on.update_status(), before) as manager:
        TALLY.setter_calls += 1
        error = _call(setter, manager.charm.library, args)
        after = manager.run()
    release_finished_hooks()
    where = f"{target.name}.{setter.name}{short(args)}"
    if error is None:
        raise SetterMisbehavedError(f"{where} accepted invalid input")
    if not isinstance(error, ValueError):
        raise SetterMisbehavedError(f"{where} raised {short(error)}, not ValueError")
    leaked = SECRETS.leaks(exception_texts(error))
    if leaked:
        raise SecretLeakError(f"{where}: secret tokens {leaked} are in the error: {short(error)}")
    changes = _changes(before, after)
    if changes:
        raise SetterMisbehavedError(f"{where} raised ValueError but changed {', '.join(changes)}")


def _publish_valid(
    ctx: testing.Context[Any], target: SetterTarget, state: testing.State
) -> testing.State:
    with ctx(ctx.on.update_status(), state) as manager:
        for setter in target.setters:
            setter.call(manager.charm.library, setter.valid)
        return manager.run()


def _call(setter: Setter, library: Any, args: tuple[Any, ...]) -> BaseException | None:
    """Call the setter; return what it raised, or None."""
    try:
        setter.call(library, args)
    except Exception as error:  # any exception but ValueError is the finding
        return error
    return None


def _changes(before: testing.State, after: testing.State) -> list[str]:
    """What differs between two states, among the databags and the stored state."""
    changes: list[str] = []
    for relation in before.relations:
        if after.get_relation(relation.id).local_unit_data != relation.local_unit_data:
            changes.append(f"the unit databag of relation {relation.id}")
    if _objects_stored_state(before) != _objects_stored_state(after):
        changes.append("the stored state")
    return changes


def _objects_stored_state(state: testing.State) -> dict[tuple[str, str], Any]:
    """The stored state of the charm's objects, without the framework's own bookkeeping.

    ops.testing reports the framework's event counter under an owner path of None or "",
    and the counter moves with every hook whatever the setter did.
    """
    return {(s.owner_path, s.name): s.content for s in state.stored_states if s.owner_path}
