"""Lambda execution environments for the local pollers.

Lambda runs each concurrent invocation in its own execution environment: its own process, module
globals and clients, one invocation at a time. :class:`ProcessEnvironment` does the same with a
child process that imports the handler once (a cold start) and then serves invocations; the
handlers reach the emulator over HTTP (``AWS_ENDPOINT_URL``) like any other client, and the work
spreads over the machine's cores. :class:`InProcessEnvironment` calls the handler in this process
instead (one invocation at a time for all functions: powertools keeps per-invocation state in
module and class globals), for machines where starting processes is not wanted.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from newswatch_tools import environment
from newswatch_tools.local.functions import Handler, LocalFunction


class Environment(Protocol):
    def invoke(self, event: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class InProcessEnvironment:
    """The handler called in this process, under a lock shared by all functions; no timeout."""

    def __init__(self, function: LocalFunction, handler: Handler, lock: threading.Lock) -> None:
        self.function = function
        self.handler = handler
        self.lock = lock

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.lock:
            return self.handler(event, self.function.context())

    def close(self) -> None:
        return None


# -- the child process -----------------------------------------------------------------------

# The child's function and handler, set once by the pool's initializer.
_child: dict[str, Any] = {}
# How often a child checks that the stack that started it is still alive.
PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """End this process once its parent is gone (``kill -9`` of the stack leaves no worker).

    Not PR_SET_PDEATHSIG: Linux sends that signal when the *thread* that started the child ends,
    and the stack starts its environments from short-lived threads. A parent that dies makes the
    child an orphan, adopted by another process: its parent pid changes.
    """
    import os
    import time

    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _start_child(function: LocalFunction, env: Mapping[str, str], log_path: str | None) -> None:
    import os
    import signal

    # Ctrl-C reaches the whole process group: the parent stops the stack and then its children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with_parent, args=(os.getppid(),), name="exit-with-parent", daemon=True
    ).start()
    environment.set_variables(env)  # the function's environment, as Lambda gives it
    if log_path:
        # The parent's redirect of sys.stdout does not reach a child: send the logs to the file.
        sys.stdout = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    _child["function"] = function
    _child["handler"] = function.load()


def _invoke_in_child(event: dict[str, Any]) -> Any:
    function: LocalFunction = _child["function"]
    handler: Handler = _child["handler"]
    return handler(event, function.context())


class ProcessEnvironment:
    """One execution environment: a child process serving one invocation at a time."""

    def __init__(
        self, function: LocalFunction, env: Mapping[str, str], log_path: Path | None = None
    ) -> None:
        self.function = function
        self.env = dict(env)
        self.log_path = str(log_path) if log_path else None
        self._executor = self._spawn()

    def _spawn(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs threads (moto's server) that fork would copy mid-call.
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self.function, self.env, self.log_path),
        )

    def warm(self) -> None:
        """Start the process and import the handler now (the cold start), not on first use."""
        self._executor.submit(_noop).result()

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's answer; raises what it raised, or :class:`TimeoutError` when it ran past
        the function's timeout (the environment is then killed, as Lambda does)."""
        future = self._executor.submit(_invoke_in_child, event)
        try:
            return future.result(timeout=self.function.timeout_seconds)
        except FuturesTimeoutError:
            if future.done():
                raise  # the handler's own TimeoutError
            self._replace(kill=True)
            raise TimeoutError(
                f"{self.function.name}: task timed out after {self.function.timeout_seconds:.0f} s"
            ) from None
        except BrokenProcessPool:
            # The environment died (like a Lambda crash): the next invocation gets a fresh one.
            self._replace(kill=False)
            raise

    def _replace(self, kill: bool) -> None:
        old = self._executor
        if kill:
            # The executor cannot stop a running call; its worker process can be.
            for process in list(getattr(old, "_processes", {}).values()):
                process.terminate()
        old.shutdown(wait=False, cancel_futures=True)
        self._executor = self._spawn()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _noop() -> None:
    return None
