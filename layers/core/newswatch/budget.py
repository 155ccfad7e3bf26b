"""Every article within its own time budget and memory ceiling: a forked child per article.

Why a child process. Bounded parsers (``newswatch.extract``) stop the hostile files we know of
early and cheaply, but a parser library can still meet input that is slow or hungry in a way
nobody foresaw, and Python cannot interrupt a call that is inside C (lxml, zlib) or reclaim its
memory. A child can be killed, and the kernel enforces its limits:

- ``os.fork()``: the child inherits the parent's imported modules and built pipeline (tagger,
  taxonomy, models) copy-on-write, so an article pays a fork (a few milliseconds), not a cold
  start. ``multiprocessing`` is not used: its queues need ``/dev/shm``, which Lambda lacks, and
  its "spawn" start re-imports everything.
- ``setrlimit(RLIMIT_AS)`` in the child: its address space may grow by the article's memory
  ceiling and no more, so an allocation past it fails (``MemoryError``) inside the child instead
  of the whole Lambda environment running out of memory. ``RLIMIT_CPU`` is a backstop for CPU
  time; the wall-clock budget is enforced by the parent, which kills the child (SIGKILL) when
  its deadline passes.
- The result comes back pickled over a plain ``os.pipe()``; the parent reads it as it comes, so
  a large result never blocks the child on a full pipe.

A child that runs out of time or memory becomes :class:`~newswatch.domain.errors.TooComplexError`
(``too_complex``, a permanent failure recorded like any other) when it had its full budget. When
the invocation had too little time left to give the article its full budget, the article is not
judged: :class:`~newswatch.domain.errors.OutOfTimeError` makes the queue retry it in a fresh
invocation, so a healthy article sharing a batch with slow ones is never recorded as failed.

The budget is derived per article from the invocation: time = min(``seconds``, what is left of
the invocation minus ``reserve_seconds`` to store the record); memory = ``memory_mb`` if set,
else ``memory_share`` of the function's memory (the rest is the runtime's own: Python, boto3,
the parsers and the copy of the bytes and result the parent holds).

The modules a child imported (a format's parser, met for the first time) are imported in the
parent afterwards, so the next article's child inherits them instead of importing them again.

Without ``os.fork`` (Windows) the analysis runs in-process, unbounded.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import pickle
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newswatch.domain.errors import (
    ExtractionError,
    NewswatchError,
    OutOfTimeError,
    TooComplexError,
)

if TYPE_CHECKING:
    from newswatch.domain.models import Analysis
    from newswatch.ports import ArticleAnalyzer, Deadline

_log = logging.getLogger(__name__)

DEFAULT_SECONDS = 20.0
DEFAULT_MEMORY_SHARE = 0.6
DEFAULT_RESERVE_SECONDS = 5.0
# Off Lambda (the CLI, a script) with no memory given: the template's IngestFunction size, so a
# verdict on a laptop is the verdict the deployed function would give.
DEFAULT_FUNCTION_MEMORY_MB = 512
# A child whose peak memory reached this share of its ceiling failed for want of memory, whatever
# a parser said (lxml reports a failed allocation as a parse error, trafilatura as "no text").
_NEAR_CEILING = 0.9
_MB = 1024 * 1024


@dataclass(frozen=True)
class ArticleUsage:
    """What the last article's child used: wall time, CPU time, memory above the parent's."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    budget_seconds: float
    ceiling_mb: int


class UnexpectedChildError(Exception):
    """The analysis raised something other than a NewswatchError in the child (a bug)."""

    def __init__(self, kind: str, trace: str) -> None:
        super().__init__(f"unexpected {kind} while analysing")
        self.kind = kind
        self.trace = trace


class BudgetedAnalyzer:
    """An :class:`~newswatch.ports.ArticleAnalyzer` that runs each article in a bounded child."""

    def __init__(
        self,
        analyzer: ArticleAnalyzer,
        *,
        seconds: float = DEFAULT_SECONDS,
        memory_mb: int | None = None,
        memory_share: float = DEFAULT_MEMORY_SHARE,
        reserve_seconds: float = DEFAULT_RESERVE_SECONDS,
    ) -> None:
        self.analyzer = analyzer
        self.seconds = seconds
        self.memory_mb = memory_mb
        self.memory_share = memory_share
        self.reserve_seconds = reserve_seconds
        self.remaining_ms: Callable[[], int] | None = None
        self.function_memory_mb = DEFAULT_FUNCTION_MEMORY_MB
        self.last_usage: ArticleUsage | None = None
        self._warm = False
        self._unimportable: set[str] = set()

    @property
    def options(self) -> Any:
        return getattr(self.analyzer, "options", None)

    def start_invocation(
        self, remaining_ms: Callable[[], int] | None, memory_limit_mb: int | str | None = None
    ) -> None:
        """Call once per invocation with the Lambda context's remaining time and memory (the
        composition root does, for the ingest function)."""
        self.remaining_ms = remaining_ms
        if memory_limit_mb:
            self.function_memory_mb = int(memory_limit_mb)

    def ceiling_mb(self) -> int:
        if self.memory_mb:
            return self.memory_mb
        return max(64, int(self.function_memory_mb * self.memory_share))

    def budget_seconds(self) -> tuple[float, bool]:
        """(seconds this article may take, whether that is its full budget)."""
        if self.remaining_ms is None:
            return self.seconds, True
        left = self.remaining_ms() / 1000 - self.reserve_seconds
        if left >= self.seconds:
            return self.seconds, True
        return max(left, 0.0), False

    def analyze_bytes(
        self,
        data: bytes,
        name: str,
        content_type: str | None = None,
        deadline: Deadline | None = None,
    ) -> Analysis:
        """``deadline``: the invocation's time left, from which this article's budget is cut
        (without one, the last :meth:`start_invocation`'s, or the full budget)."""
        if deadline is not None:
            self.remaining_ms = deadline
        if not hasattr(os, "fork"):
            return self.analyzer.analyze_bytes(data, name, content_type, deadline=deadline)
        self._warm_up()
        budget, full = self.budget_seconds()
        if budget <= 0:
            raise OutOfTimeError("no time left in this invocation to analyse the article")
        ends = time.monotonic() + budget

        def work() -> Analysis:
            # The transformers engine falls back to extractive before the budget runs out.
            return self.analyzer.analyze_bytes(
                data, name, content_type, deadline=lambda: int((ends - time.monotonic()) * 1000)
            )

        outcome, usage = _run_child(work, budget, self.ceiling_mb())
        self.last_usage = usage
        self._import_modules(outcome.get("modules", ()))
        kind = outcome["kind"]
        if kind == "ok":
            analysis: Analysis = outcome["analysis"]
            return analysis
        if kind == "timeout" and not full:
            raise OutOfTimeError(f"only {budget:.1f} s were left in this invocation for it")
        if kind == "timeout":
            raise TooComplexError(
                f"the file needs more than {budget:.0f} s to analyse (the per-article time "
                "budget, NEWSWATCH_ARTICLE_SECONDS); it is too complex to process"
            )
        if kind == "memory" or usage.peak_mb >= _NEAR_CEILING * usage.ceiling_mb:
            raise TooComplexError(
                f"the file needs more than {usage.ceiling_mb} MB of memory to analyse (the "
                "per-article memory ceiling); it is too complex to process"
            )
        if kind == "error":
            error: NewswatchError = outcome["error"]
            raise error
        if kind == "crash":
            raise UnexpectedChildError(outcome["type"], outcome["trace"])
        # Killed by a signal we did not send (SIGXCPU, a parser crashing on a deep structure).
        raise TooComplexError(f"the parser stopped on this file ({outcome['how']})")

    def _warm_up(self) -> None:
        """Build what the analyzer loads lazily (models, compiled patterns) in the parent once,
        so that no child pays for it."""
        if self._warm:
            return
        self._warm = True
        warm = getattr(self.analyzer, "warm_up", None)
        if callable(warm):
            warm()

    def _import_modules(self, names: list[str]) -> None:
        """Import here what the child had to import, and let the analyzer build what it built
        on them (warm_up(modules)), so the next child starts with both."""
        new = [m for m in names if m not in sys.modules and m not in self._unimportable]
        if not new:
            return
        for module in new:
            try:
                importlib.import_module(module)
            except Exception:  # a module that only imports in some contexts: the child's loss
                self._unimportable.add(module)
                _log.debug("could not preload %s", module)
        warm = getattr(self.analyzer, "warm_up", None)
        if callable(warm):
            warm(new)


def _run_child(
    work: Callable[[], Any], budget: float, ceiling_mb: int
) -> tuple[dict[str, Any], ArticleUsage]:
    read_fd, write_fd = os.pipe()
    # Whatever the parent has buffered must not be written twice (once by the child).
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(work, write_fd, budget, ceiling_mb)
    os.close(write_fd)
    chunks: list[bytes] = []
    timed_out = finished = False
    poller = select.poll()
    poller.register(read_fd, select.POLLIN | select.POLLHUP)
    try:
        while True:
            left = started + budget - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if not poller.poll(left * 1000):
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        finished = True
    finally:
        os.close(read_fd)
        if timed_out or not finished:
            # Out of time, or the parent itself interrupted (a signal): no child outlives it.
            _kill(pid)
        if not finished:
            os.waitpid(pid, 0)
    _, status, rusage = os.wait4(pid, 0)
    outcome = _outcome(status, chunks, timed_out)
    usage = ArticleUsage(
        seconds=round(time.monotonic() - started, 3),
        cpu_seconds=round(rusage.ru_utime + rusage.ru_stime, 3),
        peak_mb=float(outcome.get("peak_mb", 0.0)),
        budget_seconds=round(budget, 3),
        ceiling_mb=ceiling_mb,
    )
    return outcome, usage


def _outcome(status: int, chunks: list[bytes], timed_out: bool) -> dict[str, Any]:
    if timed_out:
        return {"kind": "timeout"}
    if os.WIFSIGNALED(status):
        return {"kind": "signal", "how": signal.Signals(os.WTERMSIG(status)).name}
    code = os.WEXITSTATUS(status)
    if code == _EXIT_MEMORY:
        return {"kind": "memory"}
    try:
        outcome: dict[str, Any] = pickle.loads(b"".join(chunks))
    except Exception:
        return {"kind": "signal", "how": f"exit status {code} without a result"}
    return outcome


_EXIT_MEMORY = 75


def _child(work: Callable[[], Any], write_fd: int, budget: float, ceiling_mb: int) -> None:
    exit_code = 70
    try:
        start_vm = _limit(budget, ceiling_mb)
        before = set(sys.modules)
        result: dict[str, Any]
        try:
            result = {"kind": "ok", "analysis": work()}
        except NewswatchError as error:
            # A parser that met a failed allocation may report it as corrupt input (pypdf, lxml).
            result = {"kind": "memory" if _ran_out(error) else "error", "error": error}
        except MemoryError:
            result = {"kind": "memory"}
        except BaseException as error:
            trace = "".join(traceback.format_tb(error.__traceback__))
            result = {"kind": "crash", "type": type(error).__name__, "trace": trace}
        result["modules"] = sorted(set(sys.modules) - before)
        result["peak_mb"] = _peak_growth_mb(start_vm)
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            exit_code = _EXIT_MEMORY
            return
        except Exception as error:  # an exception class that does not pickle
            if result["kind"] != "error":
                raise
            plain = ExtractionError(str(error))
            plain.code = getattr(error, "code", plain.code)
            result["error"] = plain
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
        exit_code = 0
    except MemoryError:
        exit_code = _EXIT_MEMORY
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(exit_code)


def _ran_out(error: BaseException) -> bool:
    """Whether a MemoryError is among the causes of ``error``."""
    seen: BaseException | None = error
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _limit(budget: float, ceiling_mb: int) -> int | None:
    """Apply the child's limits; returns its address-space size before the article."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = math.ceil(budget) + 1
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY or cpu_hard > cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    size = _status_kb("VmSize")
    if size is not None:
        limit = size * 1024 + ceiling_mb * _MB
        _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
        if as_hard == resource.RLIM_INFINITY or as_hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, as_hard))
    return size


def _peak_growth_mb(start_kb: int | None) -> float:
    """How far the child's address space grew over the article (what RLIMIT_AS bounds)."""
    peak = _status_kb("VmPeak")
    if peak is None or start_kb is None:
        return 0.0
    return round(max(0, peak - start_kb) / 1024, 1)


def _status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` figure in kB (Linux); None elsewhere."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
