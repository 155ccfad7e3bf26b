"""The local stack for end-to-end tests: `newswatch local up --foreground` in a child process.

A child process, not a thread of the test session: the integration tests use moto's in-process
``mock_aws``, which patches botocore and resets moto's global backends, and would otherwise
intercept or wipe the stack the end-to-end tests talk to.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("moto.server", reason="the local stack needs the `local` extra (moto)")

from e2e_stack import LocalStackProcess, local_stack_process


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    with local_stack_process(tmp_path_factory.mktemp("local-stack")) as stack:
        yield stack
