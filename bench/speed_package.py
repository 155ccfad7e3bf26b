"""Speed, package size: the layer built like ``sam build`` (pip for the template's architecture
and Python 3.12, binary wheels only, no bytecode; cached under bench/out/package/) plus
layers/core/newswatch and functions/ingest, unzipped, per distribution, without the AWS SDK the
Lambda runtime already has; what each requirement alone brings in; and the layer exactly as
``sam build`` ships it (layers/core/Makefile)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from speed_env import REPO
from speed_stats import TARGETS, mb, met

# The Lambda Python runtime ships these; a layer does not need to carry them.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")


def distribution_sizes(site: Path) -> dict[str, int]:
    """Bytes on disk per installed distribution in a ``pip install -t`` folder, from each
    ``*.dist-info/RECORD``; files no RECORD lists are counted under ``(unlisted)``."""
    sizes: dict[str, int] = {}
    listed: set[Path] = set()
    for record in sorted(site.glob("*.dist-info/RECORD")):
        name = record.parent.name.split("-")[0].lower().replace("_", "-")
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
            path = (site / relative).resolve()
            if relative and path.is_file() and path not in listed:
                listed.add(path)
                total += path.stat().st_size
        sizes[name] = sizes.get(name, 0) + total
    unlisted = sum(
        p.stat().st_size for p in site.rglob("*") if p.is_file() and p.resolve() not in listed
    )
    if unlisted:
        sizes["(unlisted)"] = unlisted
    return sizes


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, set[str], str | None]:
    """(normalised name, extras, the extra its marker asks for or None) of a requirement line
    such as ``lxml[html_clean]>=4.4`` or ``cryptography>=43 ; extra == "crypto"``."""
    spec, _, marker = text.partition(";")
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", spec)
    if match is None:
        raise ValueError(f"not a requirement: {text!r}")
    extras = {_norm(e) for e in (match.group(2) or "").split(",") if e.strip()}
    wanted = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
    return _norm(match.group(1)), extras, _norm(wanted.group(1)) if wanted else None


def dependency_graph(site: Path, direct: Sequence[str]) -> dict[str, set[str]]:
    """Installed distribution -> the installed distributions it requires, with the extras that
    were asked for (``direct`` requirement lines and requirements of requirements) and no others."""
    metadata = {
        _norm(m.parent.name.split("-")[0]): [
            line.split(":", 1)[1]
            for line in m.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith("Requires-Dist:")
        ]
        for m in sorted(site.glob("*.dist-info/METADATA"))
    }
    extras: dict[str, set[str]] = {name: set() for name in metadata}
    for line in direct:
        name, wanted, _ = parse_requirement(line)
        extras.setdefault(name, set()).update(wanted)
    graph: dict[str, set[str]] = {name: set() for name in metadata}
    changed = True
    while changed:
        changed = False
        for name, lines in metadata.items():
            for line in lines:
                child, child_extras, marker_extra = parse_requirement(line)
                if child not in metadata or child == name:
                    continue
                if marker_extra is not None and marker_extra not in extras[name]:
                    continue
                if child not in graph[name] or not child_extras <= extras[child]:
                    graph[name].add(child)
                    extras[child].update(child_extras)
                    changed = True
    return graph


def reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for child in graph.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def exclusive_closure(graph: Mapping[str, set[str]], roots: Sequence[str]) -> dict[str, set[str]]:
    """Root -> the distributions only it brings in (what dropping that requirement removes)."""
    closures = {root: reachable(graph, root) for root in roots}
    return {
        root: closure - set().union(*(c for other, c in closures.items() if other != root))
        for root, closure in closures.items()
    }


def tree_size(folder: Path, skip: Sequence[str] = ("__pycache__",)) -> int:
    return sum(
        p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and not any(part in skip for part in p.relative_to(folder).parts)
    )


def template_architecture() -> str:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # CloudFormation short tags (!Ref, !Sub, ...) carry no information needed here.
    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((REPO / "template.yaml").read_text(), Loader=_Loader)
    function = template["Resources"]["IngestFunction"]["Properties"]
    architectures = (
        function.get("Architectures")
        or template.get("Globals", {}).get("Function", {}).get("Architectures")
        or ["x86_64"]
    )
    if architectures[0] is None:  # !Ref Architecture: the parameter's default (what is deployed)
        return str(template["Parameters"]["Architecture"]["Default"])
    return str(architectures[0])


def build_layer(out: Path, architecture: str, python: str = "3.12") -> tuple[Path, list[str]]:
    """``pip install -r layers/core/requirements.txt -t DIR`` for Lambda's platform, cached by
    the requirements' content; returns the folder and the command.

    Distributions published only as source (langdetect) are built into pure-Python wheels first,
    as ``sam build`` builds them, and offered through ``--find-links``.
    """
    requirements = REPO / "layers" / "core" / "requirements.txt"
    platform = "manylinux2014_aarch64" if architecture == "arm64" else "manylinux2014_x86_64"
    digest = hashlib.sha256(requirements.read_bytes() + platform.encode()).hexdigest()[:12]
    target = out / "package" / f"layer-{architecture}-py{python}-{digest}"
    wheels = out / "package" / "sdist-wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    command = [
        *pip,
        "install",
        "--quiet",
        "--no-compile",
        "-r",
        str(requirements),
        "-t",
        str(target),
        "--platform",
        platform,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--find-links",
        str(wheels),
    ]
    if (target / ".complete").exists():
        return target, command
    wheels.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        shutil.rmtree(target, ignore_errors=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            (target / ".complete").write_text("ok\n")
            return target, command
        missing = re.search(r"No matching distribution found for (\S+)", done.stderr)
        if missing is None:
            raise RuntimeError(f"pip failed: {done.stderr.strip()[-2000:]}")
        # Only a source distribution: build its wheel here (pure Python only).
        subprocess.run(
            [*pip, "wheel", "--quiet", "--no-deps", "-w", str(wheels), missing.group(1)],
            check=True,
            capture_output=True,
            text=True,
        )
    raise RuntimeError("pip kept finding source-only distributions")


def build_shipped_layer(out: Path, architecture: str) -> tuple[Path, str]:
    """The layer exactly as ``sam build`` makes it (layers/core/Makefile: pinned, trimmed,
    precompiled), cached by its inputs; returns its ``python/`` folder and the command."""
    core = REPO / "layers" / "core"
    digest = hashlib.sha256(architecture.encode())
    inputs = [REPO / "constraints.txt", core / "Makefile", core / "requirements.txt"]
    inputs += sorted(
        p for p in (core / "newswatch").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    for path in inputs:
        digest.update(path.read_bytes())
    target = out / "package" / f"corelayer-{architecture}-{digest.hexdigest()[:12]}"
    command = (
        f"make -f layers/core/Makefile build-CoreLayer ARTIFACTS_DIR={target} "
        f"LAYER_ARCH={architecture}"
    )
    if not (target / ".complete").exists():
        env = {**os.environ, "ARTIFACTS_DIR": str(target), "LAYER_ARCH": architecture}
        make = ["make", "-s", "-f", str(core / "Makefile"), "build-CoreLayer"]
        subprocess.run(make, check=True, cwd=REPO, env=env, capture_output=True, text=True)
        (target / ".complete").write_text("ok\n")
    return target / "python", command


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def bench_package(out: Path) -> dict[str, Any]:
    architecture = template_architecture()
    site, command = build_layer(out, architecture)
    sizes = distribution_sizes(site)
    sizes.pop("(unlisted)", None)  # pip's own bookkeeping (.complete, bin/ shims) is not shipped
    direct = requirement_lines(REPO / "layers" / "core" / "requirements.txt")
    roots = [parse_requirement(line)[0] for line in direct]
    graph = dependency_graph(site, direct)
    parents = {
        name: sorted(p for p, children in graph.items() if name in children) for name in graph
    }
    ours = {
        "newswatch (layer)": tree_size(REPO / "layers" / "core" / "newswatch"),
        "functions/ingest": tree_size(REPO / "functions" / "ingest"),
    }
    sdk = {name: size for name, size in sizes.items() if name in RUNTIME_PROVIDED}
    shipped = {name: size for name, size in sizes.items() if name not in RUNTIME_PROVIDED}
    shipped.update(ours)
    total = sum(shipped.values())
    biggest = sorted(shipped.items(), key=lambda kv: -kv[1])
    only = exclusive_closure(graph, roots)
    savings: dict[str, dict[str, Any]] = {
        root: {
            "mb": mb(sum(shipped.get(n, 0) for n in names)),
            "distributions": sorted(n for n in names if n in shipped),
        }
        for root, names in only.items()
    }
    shipped_dir, shipped_command = build_shipped_layer(out, architecture)
    shipped_bytes = sum(p.stat().st_size for p in shipped_dir.rglob("*") if p.is_file())
    return {
        "architecture": architecture,
        "python": "3.12",
        "shipped_layer_command": shipped_command,
        "shipped_layer_mb": mb(shipped_bytes),
        "shipped_layer_mib": round(shipped_bytes / 2**20, 1),
        "shipped_layer_target_mb": TARGETS["shipped_layer_mb"],
        "shipped_layer_verdict": met(mb(shipped_bytes), TARGETS["shipped_layer_mb"], at_most=True),
        "command": " ".join(["pip", *command[4:]]).replace(str(REPO) + "/", ""),
        "total_mb": mb(total),
        "sdk_excluded_mb": mb(sum(sdk.values())),
        "sdk_excluded": {k: mb(v) for k, v in sorted(sdk.items(), key=lambda kv: -kv[1])},
        "sdk_required_by": sorted(
            {p for name in sdk for p in parents.get(name, []) if p not in RUNTIME_PROVIDED}
        ),
        "with_sdk_mb": mb(total + sum(sdk.values())),
        "distributions_mb": {name: mb(size) for name, size in biggest},
        "required_by": {
            name: (["requirements.txt"] if name in roots else []) + parents.get(name, [])
            for name, _ in biggest
        },
        "dropping_saves": dict(sorted(savings.items(), key=lambda kv: -float(kv[1]["mb"]))),
        "target": TARGETS["package_mb"],
        "verdict": met(mb(total), TARGETS["package_mb"], at_most=True),
    }
