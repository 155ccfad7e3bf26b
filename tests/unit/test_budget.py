"""The per-article budget (newswatch/budget.py): a forked child per article, its time budget and
memory ceiling enforced, its result or error brought back, the parent's process unharmed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from newswatch.budget import BudgetedAnalyzer, UnexpectedChildError
from newswatch.composition import budgeted, build_analyzer
from newswatch.domain.errors import (
    CorruptFileError,
    NewswatchError,
    OutOfTimeError,
    TooComplexError,
)
from newswatch.settings import Settings

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the budget needs os.fork")


@dataclass
class FakeAnalyzer:
    """Does what ``behaviour`` says in the child; records the parent-side calls."""

    behaviour: str = "ok"
    warmed: list[tuple[str, ...]] = field(default_factory=list)

    def warm_up(self, modules: Any = ()) -> None:
        self.warmed.append(tuple(modules))

    def analyze_bytes(
        self, data: bytes, name: str, content_type: str | None = None, deadline: Any = None
    ) -> Any:
        if self.behaviour == "sleep":
            time.sleep(30)
        if self.behaviour == "spin":
            while True:
                pass
        if self.behaviour == "hog":
            hoard = []
            while True:
                hoard.append(bytearray(8 * 1024 * 1024))
        if self.behaviour == "hidden-hog":
            try:
                bytearray(256 * 1024 * 1024)
            except MemoryError:
                raise CorruptFileError("corrupt or truncated: cannot allocate") from None
        if self.behaviour == "raise":
            raise CorruptFileError("corrupt thing")
        if self.behaviour == "bug":
            raise KeyError("a bug")
        if self.behaviour == "import":
            import colorsys  # noqa: F401  (a module nothing else here imports)
        if self.behaviour == "exit":
            os._exit(3)
        return {"pid": os.getpid(), "size": len(data), "name": name}


def test_the_result_comes_back_from_a_child_process() -> None:
    analyzer = BudgetedAnalyzer(FakeAnalyzer(), seconds=10)
    result = analyzer.analyze_bytes(b"x" * 3_000_000, "a.txt")
    assert result["pid"] != os.getpid()
    assert (result["size"], result["name"]) == (3_000_000, "a.txt")
    assert analyzer.last_usage is not None and analyzer.last_usage.budget_seconds == 10


def test_an_article_over_its_time_budget_is_too_complex_and_its_child_is_killed() -> None:
    analyzer = BudgetedAnalyzer(FakeAnalyzer("sleep"), seconds=1)
    with pytest.raises(TooComplexError, match="more than 1 s"):
        analyzer.analyze_bytes(b"x", "a.txt")
    assert analyzer.last_usage is not None and analyzer.last_usage.seconds < 10  # not 30


def test_a_parent_interrupted_while_waiting_leaves_no_child_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signal

    from newswatch import budget

    killed: list[int] = []
    real_kill = budget._kill
    monkeypatch.setattr(budget, "_kill", lambda pid: (killed.append(pid), real_kill(pid)))

    def interrupt(signum: int, frame: object) -> None:
        raise TimeoutError("the test runner's timeout")

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.alarm(1)
        with pytest.raises(TimeoutError):
            BudgetedAnalyzer(FakeAnalyzer("sleep"), seconds=30).analyze_bytes(b"x", "a.txt")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    [pid] = killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped


def test_a_busy_loop_is_stopped_too() -> None:
    with pytest.raises(TooComplexError, match="time budget"):
        BudgetedAnalyzer(FakeAnalyzer("spin"), seconds=1).analyze_bytes(b"x", "a.txt")


def test_an_article_over_its_memory_ceiling_is_too_complex() -> None:
    analyzer = BudgetedAnalyzer(FakeAnalyzer("hog"), seconds=30, memory_mb=64)
    with pytest.raises(TooComplexError, match="more than 64 MB"):
        analyzer.analyze_bytes(b"x", "a.txt")
    # The parent is untouched: it can still allocate what the child could not.
    assert len(bytearray(128 * 1024 * 1024)) == 128 * 1024 * 1024


def test_a_failed_allocation_a_parser_reported_as_corrupt_input_is_still_memory() -> None:
    with pytest.raises(TooComplexError, match="more than 64 MB"):
        BudgetedAnalyzer(FakeAnalyzer("hidden-hog"), memory_mb=64).analyze_bytes(b"x", "a.txt")


def test_the_ceiling_is_a_share_of_the_functions_memory_unless_set() -> None:
    analyzer = BudgetedAnalyzer(FakeAnalyzer())
    analyzer.start_invocation(lambda: 60_000, "512")  # Lambda's context gives a string
    assert analyzer.ceiling_mb() == int(512 * 0.6)
    assert BudgetedAnalyzer(FakeAnalyzer(), memory_mb=100).ceiling_mb() == 100


def test_the_childs_own_error_keeps_its_code_and_message() -> None:
    with pytest.raises(CorruptFileError, match="corrupt thing") as info:
        BudgetedAnalyzer(FakeAnalyzer("raise")).analyze_bytes(b"x", "a.txt")
    assert info.value.code == "corrupt_file"


def test_a_bug_in_the_child_comes_back_with_its_type_and_traceback() -> None:
    with pytest.raises(UnexpectedChildError) as info:
        BudgetedAnalyzer(FakeAnalyzer("bug")).analyze_bytes(b"x", "a.txt")
    assert info.value.kind == "KeyError" and "analyze_bytes" in info.value.trace
    assert not isinstance(info.value, NewswatchError)


def test_a_child_that_dies_without_a_result_is_a_clear_failure() -> None:
    with pytest.raises(TooComplexError, match="parser stopped"):
        BudgetedAnalyzer(FakeAnalyzer("exit")).analyze_bytes(b"x", "a.txt")


def test_the_budget_is_cut_to_the_invocations_time_and_then_the_article_is_retried() -> None:
    analyzer = BudgetedAnalyzer(FakeAnalyzer("sleep"), seconds=20, reserve_seconds=5)
    analyzer.start_invocation(lambda: 6_500, 512)  # 1.5 s left after the reserve
    assert analyzer.budget_seconds() == (1.5, False)
    # Not the file's fault: no failed record, the message is retried in a fresh invocation.
    with pytest.raises(OutOfTimeError):
        analyzer.analyze_bytes(b"x", "a.txt")
    analyzer.start_invocation(lambda: 4_000, 512)
    with pytest.raises(OutOfTimeError, match="no time left"):
        analyzer.analyze_bytes(b"x", "a.txt")


def test_modules_a_child_imported_are_imported_in_the_parent_for_the_next_child() -> None:
    import sys

    sys.modules.pop("colorsys", None)
    fake = FakeAnalyzer("import")
    BudgetedAnalyzer(fake).analyze_bytes(b"x", "a.txt")
    assert "colorsys" in sys.modules
    assert fake.warmed == [(), ("colorsys",)]  # warmed once at first use, then for colorsys


def test_once_a_web_page_came_through_the_parent_holds_trafilaturas_stop_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Built lazily and kept in a module global: built in a child, it would be lost with it.
    from trafilatura import external

    monkeypatch.setattr(external, "JT_STOPLIST", None)
    build_analyzer().warm_up(["trafilatura", "lxml"])
    assert external.JT_STOPLIST is not None
    assert "the" in external.JT_STOPLIST and "und" in external.JT_STOPLIST


def test_the_real_pipeline_gives_the_same_analysis_in_a_child(seed_bytes: bytes) -> None:
    pipeline = build_analyzer()
    direct = pipeline.analyze_bytes(seed_bytes, "seed.txt")
    bounded = budgeted(pipeline, Settings()).analyze_bytes(seed_bytes, "seed.txt")
    assert bounded == direct


def test_settings_configure_the_budget() -> None:
    settings = Settings.from_env(
        {"NEWSWATCH_ARTICLE_SECONDS": "12.5", "NEWSWATCH_ARTICLE_MEMORY_MB": "200"}
    )
    analyzer = budgeted(build_analyzer(), settings)
    assert (analyzer.seconds, analyzer.ceiling_mb()) == (12.5, 200)
    assert Settings.from_env({}).article_memory_mb == 0  # a share of the function's memory
