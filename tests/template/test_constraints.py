"""constraints.txt is the one set of versions the test venv, the Lambda layer and both images
install, and it is compatible with the SDK the Lambda runtime brings: the layer's copies of
python-dateutil, urllib3, jmespath and six shadow the runtime's, so a version outside botocore's
declared ranges would break boto3 in AWS while every test passed."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from template_support import REPO, RUNTIME_SDK, canonical, runtime_sdk_conflicts

CONSTRAINTS = REPO / "constraints.txt"


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        assert match, f"constraints.txt pins exact versions only: {line!r}"
        name = canonical(match.group(1))
        assert name not in found, f"{name} pinned twice"
        found[name] = match.group(2)
    return found


def test_pins_satisfy_every_range_the_runtime_sdk_declares() -> None:
    assert runtime_sdk_conflicts(pins()) == []


def test_the_check_catches_what_the_issue_found() -> None:
    """python-dateutil 4 (what an unpinned layer resolved to) breaks botocore's <3."""
    broken = runtime_sdk_conflicts({"python-dateutil": "4.0.0", "urllib3": "2.8.0"})
    assert len(broken) == 1 and "python-dateutil 4.0.0" in broken[0]


def test_the_runtime_sdk_read_is_the_pinned_one() -> None:
    for dist in RUNTIME_SDK:
        assert metadata.version(dist) == pins()[dist], f"reinstall with -c constraints.txt: {dist}"


def test_every_dependency_is_pinned_and_installed_at_its_pin() -> None:
    pinned = pins()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    names = {canonical(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in declared}
    names.discard("newswatch")
    assert names <= set(pinned), sorted(names - set(pinned))
    # The test venv runs the pinned versions (Makefile: pip install -c constraints.txt); the
    # gazetteer extra is installed only by `make places-data`.
    for name in names:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        assert installed.split("+")[0] == pinned[name], (name, installed, pinned[name])


def test_every_consumer_installs_with_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("-c constraints.txt -e") == 2
    layer = (REPO / "layers" / "core" / "Makefile").read_text(encoding="utf-8")
    assert '--constraint "$(CONSTRAINTS)" --requirement' in layer
    dockerfile = (REPO / "functions" / "ingest-ml" / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.count("-c /tmp/newswatch/constraints.txt") >= 3
    image = (REPO / "docker" / "lambda-python" / "build.sh").read_text(encoding="utf-8")
    assert '--constraint "$constraints" awslambdaric boto3' in image
    # The tools, pinned too.
    assert re.search(r"aws-sam-cli==\S+ cfn-lint==\S+ checkov==\S+", makefile)
