"""Execution environments of the local stack: a child process per environment, like Lambda."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newswatch_tools.local.functions import LocalFunction
from newswatch_tools.local.runtime import ProcessEnvironment

HANDLER = """
import os
import time

CALLS = []  # module state lives as long as the environment, like a Lambda container


def lambda_handler(event, context):
    CALLS.append(event)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {
        "calls": len(CALLS),
        "pid": os.getpid(),
        "setting": os.environ.get("EXAMPLE_SETTING"),
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[ProcessEnvironment]:
    handler = tmp_path / "app.py"
    handler.write_text(HANDLER, encoding="utf-8")
    function = LocalFunction(name="example", handler_file=handler, timeout_seconds=3)
    env = ProcessEnvironment(function, {"EXAMPLE_SETTING": "on"})
    env.warm()
    yield env
    env.close()


def test_an_environment_keeps_its_module_state_and_gets_the_function_settings(
    environment: ProcessEnvironment,
) -> None:
    first = environment.invoke({})
    second = environment.invoke({})
    assert (first["calls"], second["calls"]) == (1, 2)
    assert first["pid"] == second["pid"]
    assert first["setting"] == "on"
    assert first["function"] == "example"
    assert 0 < first["remaining_ms"] <= 3000


def test_a_handler_error_reaches_the_caller_and_the_environment_survives(
    environment: ProcessEnvironment,
) -> None:
    with pytest.raises(ValueError, match="asked to fail"):
        environment.invoke({"fail": True})
    assert environment.invoke({})["calls"] == 2


def test_an_invocation_past_the_timeout_is_killed_and_the_next_one_gets_a_fresh_environment(
    environment: ProcessEnvironment,
) -> None:
    before = environment.invoke({})
    with pytest.raises(TimeoutError, match="timed out"):
        environment.invoke({"sleep": 30})
    after = environment.invoke({})
    assert after["pid"] != before["pid"]
    assert after["calls"] == 1
