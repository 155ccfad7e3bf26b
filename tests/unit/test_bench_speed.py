"""The speed benchmark's measurement helpers (bench/speed.py and its section modules):
statistics, timestamps, package size accounting and the dependency graph. No timings are
asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_modules import load_bench

numbers = load_bench("speed_stats")
environment = load_bench("speed_env")
cold = load_bench("speed_cold")
memory = load_bench("speed_memory")
package = load_bench("speed_package")
e2e = load_bench("speed_e2e")
load_bench("speed")  # the entry point imports every section


def test_median_and_percentile() -> None:
    assert numbers.median([3.0, 1.0, 2.0]) == 2.0
    assert numbers.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert numbers.percentile(values, 0) == 1.0
    assert numbers.percentile(values, 100) == 100.0
    assert numbers.percentile(values, 50) == pytest.approx(50.5)
    assert numbers.percentile(values, 95) == pytest.approx(95.05)
    assert numbers.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        numbers.percentile([], 50)
    with pytest.raises(ValueError):
        numbers.percentile([1.0], 101)
    with pytest.raises(ValueError):
        numbers.median([])


def test_ratio_and_verdicts() -> None:
    assert numbers.ratio(30.0, 3.0) == 10.0
    assert numbers.ratio(1.0, 0.0) is None
    assert numbers.met(10.0, 10.0) == "met"
    assert numbers.met(9.9, 10.0) == "not met"
    assert numbers.met(1.3, 1.3, at_most=True) == "met"
    assert numbers.met(1.31, 1.3, at_most=True) == "not met"
    assert numbers.met(None, 1.0) == "not measured"


def test_epoch_reads_the_table_and_sns_forms() -> None:
    table = numbers.epoch("2026-11-29T18:00:00.250Z")
    assert numbers.epoch("2026-11-29T18:00:01.000Z") - table == pytest.approx(0.75)
    assert numbers.epoch("2026-11-29T19:00:00.250+01:00") == pytest.approx(table)
    assert numbers.epoch("2026-11-29T18:00:00.250") == pytest.approx(table)  # naive means UTC


def test_summarize_latencies() -> None:
    assert numbers.summarize_latencies([]) == {"n": 0}
    stats = numbers.summarize_latencies([1.0, 2.0, 3.0, 4.0])
    assert stats["n"] == 4
    assert stats["median_s"] == 2.5
    assert stats["max_s"] == 4.0
    assert 3.0 < stats["p95_s"] <= 4.0


def test_last_json_line_skips_logs() -> None:
    output = '{"level": "INFO"}\nsome log\n{"seconds": 0.5}\n\n'
    assert numbers.last_json_line(output) == {"seconds": 0.5}
    assert numbers.last_json_line('{"a": 1}\n{not json') == {"a": 1}
    with pytest.raises(ValueError):
        numbers.last_json_line("no json here\n")


def test_importtime_by_package_sums_self_time() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |   botocore.compat",
            "import time:       300 |        400 | botocore",
            "import time:      1500 |       1500 | aws_lambda_powertools.logging",
            "something else entirely",
        ]
    )
    rows = cold.importtime_by_package(stderr)
    assert rows == [
        {"package": "aws_lambda_powertools", "self_ms": 1.5, "modules": 1},
        {"package": "botocore", "self_ms": 0.4, "modules": 2},
    ]


def _dist(site: Path, name: str, files: dict[str, bytes], requires: list[str]) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    records = []
    for relative, data in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        records.append(f"{relative},sha256=x,{len(data)}")
    metadata = [f"Name: {name}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(metadata) + "\n")
    records.append(f"{info.name}/METADATA,,")
    records.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(records) + "\n")


def test_distribution_sizes_attribute_files_by_record(tmp_path: Path) -> None:
    _dist(tmp_path, "alpha", {"alpha/__init__.py": b"x" * 1000}, [])
    _dist(tmp_path, "beta_pkg", {"beta/a.py": b"y" * 300, "beta/b.so": b"z" * 700}, [])
    (tmp_path / "stray.txt").write_bytes(b"s" * 50)
    sizes = package.distribution_sizes(tmp_path)
    alpha_meta = (tmp_path / "alpha-1.0.dist-info" / "METADATA").stat().st_size
    alpha_record = (tmp_path / "alpha-1.0.dist-info" / "RECORD").stat().st_size
    assert sizes["alpha"] == 1000 + alpha_meta + alpha_record
    assert sizes["beta-pkg"] >= 1000
    assert sizes["(unlisted)"] == 50


def test_tree_size_skips_bytecode(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "m.py").write_bytes(b"a" * 10)
    (tmp_path / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"b" * 99)
    assert package.tree_size(tmp_path) == 10


def test_parse_requirement() -> None:
    assert package.parse_requirement("pypdf[crypto]>=5.0") == ("pypdf", {"crypto"}, None)
    assert package.parse_requirement("lxml_html_clean") == ("lxml-html-clean", set(), None)
    assert package.parse_requirement('cryptography>=43 ; extra == "crypto"') == (
        "cryptography",
        set(),
        "crypto",
    )
    assert package.parse_requirement("Foo.Bar (>=1) ; python_version < '3.13'") == (
        "foo-bar",
        set(),
        None,
    )


def test_dependency_graph_follows_only_requested_extras(tmp_path: Path) -> None:
    _dist(tmp_path, "pdf", {"pdf/__init__.py": b"p"}, ['crypto ; extra == "crypto"'])
    _dist(tmp_path, "tools", {"tools/__init__.py": b"t"}, ['crypto ; extra == "jwt"', "wrapt"])
    _dist(tmp_path, "crypto", {"crypto/__init__.py": b"c" * 10}, ["cffi"])
    _dist(tmp_path, "cffi", {"cffi/__init__.py": b"f"}, [])
    _dist(tmp_path, "wrapt", {"wrapt/__init__.py": b"w"}, [])
    graph = package.dependency_graph(tmp_path, ["pdf[crypto]>=1", "tools"])
    assert graph["pdf"] == {"crypto"}
    assert graph["tools"] == {"wrapt"}  # the jwt extra was not asked for
    assert graph["crypto"] == {"cffi"}
    only = package.exclusive_closure(graph, ["pdf", "tools"])
    assert only == {"pdf": {"pdf", "crypto", "cffi"}, "tools": {"tools", "wrapt"}}


def test_exclusive_closure_leaves_shared_dependencies_out() -> None:
    graph = {"a": {"lxml", "x"}, "b": {"lxml"}, "lxml": set(), "x": set()}
    assert package.exclusive_closure(graph, ["a", "b"]) == {"a": {"a", "x"}, "b": {"b"}}


def test_sqs_event_points_at_the_object() -> None:
    event = memory.sqs_event("my-bucket", "in/a b.txt", "v1", 42)
    assert len(event["Records"]) == 1
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    s3 = json.loads(record["body"])["Records"][0]["s3"]
    assert s3["bucket"]["name"] == "my-bucket"
    assert s3["object"] == {**s3["object"], "key": "in/a b.txt", "size": 42, "versionId": "v1"}


def test_lambda_env_has_the_template_settings_and_no_caller_aws_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("NEWSWATCH_ENGINE", "transformers")
    env = environment.lambda_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert "AWS_PROFILE" not in env
    assert env["NEWSWATCH_ENGINE"] == "extractive"  # the template's default, not the caller's
    assert env["NEWSWATCH_TABLE"]
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    # The stack name (the local spec's): two stacks in one account keep their metrics apart.
    assert env["POWERTOOLS_SERVICE_NAME"] == "newswatch-local"


def test_markdown_reports_failed_sections_and_verdicts() -> None:
    report = {
        "command": "python bench/speed.py --only package",
        "errors": {"e2e": "Traceback ...\nRuntimeError: stack did not start"},
        "package": {
            "architecture": "arm64",
            "python": "3.12",
            "command": "pip install ...",
            "total_mb": 20.0,
            "sdk_excluded_mb": 1.0,
            "sdk_excluded": {"botocore": 1.0},
            "with_sdk_mb": 21.0,
            "distributions_mb": {"lxml": 12.0, "newswatch (layer)": 8.0},
            "required_by": {"lxml": ["trafilatura"], "newswatch (layer)": []},
            "dropping_saves": {"trafilatura": {"mb": 12.0, "distributions": ["lxml"]}},
            "target": 15.0,
            "verdict": "not met",
        },
    }
    text = load_bench("speed_report").markdown(report)
    assert "e2e: failed" in text and "stack did not start" in text
    assert "**Total: 20.0 MB**" in text and "**not met**" in text
    assert "| lxml | 12.0 | trafilatura |" in text


def test_phase_figures_from_items_and_deliveries() -> None:
    from types import SimpleNamespace

    base = numbers.epoch("2026-11-29T18:00:00.000Z")
    uploaded = {"a.txt": base, "b.txt": base + 1.0, "c.txt": base + 2.0}
    settled = SimpleNamespace(
        items=[
            {"key": "a.txt", "status": "processed", "processed_at": "2026-11-29T18:00:00.500Z"},
            {
                "key": "b.txt",
                "status": "processed",
                "processed_at": "2026-11-29T18:00:02.000Z",
                "alerted_at": "2026-11-29T18:00:03.000Z",
            },
            {"key": "c.txt", "status": "failed", "processed_at": "2026-11-29T18:00:04.000Z"},
            {"key": "other.txt", "status": "processed", "processed_at": "2026-11-29T19:00:00Z"},
        ],
        deliveries={
            "watcher": [
                {"key": "b.txt", "timestamp": "2026-11-29T18:00:03.250Z"},
                {"key": "b.txt", "timestamp": "2026-11-29T18:00:09.000Z"},  # a redelivery
            ]
        },
        complete=True,
        missing=[],
    )
    figures = e2e.phase_figures(settled, uploaded, "watcher")
    assert figures["uploads"] == 3
    assert figures["stored"] == 3  # other.txt belongs to another batch
    assert figures["statuses"] == {"failed": 1, "processed": 2}
    assert figures["first_upload_to_last_stored_s"] == 4.0
    assert figures["articles_per_minute"] == 45.0  # 3 in 4 s
    assert figures["upload_to_stored"]["median_s"] == 1.0  # 0.5, 1.0, 2.0
    assert figures["upload_to_alerted_at"] == {"n": 1, "median_s": 2.0, "p95_s": 2.0, "max_s": 2.0}
    assert figures["upload_to_delivery"]["median_s"] == 2.25  # the first delivery counts
    assert figures["stored_to_alerted_at"]["median_s"] == 1.0
