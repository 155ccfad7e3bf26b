"""`newswatch summarize` and the pipeline builder behind it."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newswatch.composition import analyzer_from_settings, build_analyzer
from newswatch.domain.models import SummaryLength
from newswatch.settings import Settings, SettingsError
from newswatch_tools.cli import summarize

RECORD_KEYS = {
    "path",
    "title",
    "language",
    "word_count",
    "content_sha256",
    "summary",
    "sentences",
    "topics",
    "flags",
    "status",
    "error",
}


def run(argv: list[str]) -> int:
    """Only this command's parser: the test does not depend on the other sub-commands."""
    parser = argparse.ArgumentParser(prog="newswatch")
    summarize.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def json_records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _no_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEWSWATCH_SUMMARY_SENTENCES", "NEWSWATCH_TAXONOMY", "NEWSWATCH_ENGINE"):
        monkeypatch.delenv(name, raising=False)


def write_article(path: Path, paragraphs: tuple[str, ...], title: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [title] if title else []
    path.write_text("\n".join([*lines, *paragraphs]), encoding="utf-8")
    return path


def test_command_is_registered() -> None:
    from newswatch_tools.cli import COMMAND_MODULES

    assert "summarize" in COMMAND_MODULES


def test_json_record_for_one_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_bytes: bytes
) -> None:
    path = tmp_path / "jeddah.txt"
    path.write_bytes(seed_bytes)
    assert run(["summarize", "--json", str(path)]) == 0
    (record,) = json_records(capsys.readouterr().out)
    assert set(record) >= RECORD_KEYS
    assert record["status"] == "ok"
    assert record["error"] is None
    assert record["path"] == str(path)
    assert record["title"] is None
    assert record["language"] == "en"
    assert record["word_count"] > 1000
    assert record["content_sha256"] == hashlib.sha256(seed_bytes).hexdigest()
    assert len(record["sentences"]) == 3
    assert record["summary"] == " ".join(record["sentences"])
    text = seed_bytes.decode()
    assert all(sentence in text for sentence in record["sentences"])
    assert record["topics"], "the seed is about conflict: it has topics"
    for topic in record["topics"]:
        assert set(topic) == {"label", "score", "iptc", "evidence"}
        assert 0.0 <= topic["score"] <= 1.0
        assert all(sentence in text for sentence in topic["evidence"])


def test_length_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_bytes: bytes
) -> None:
    path = tmp_path / "jeddah.txt"
    path.write_bytes(seed_bytes)
    assert run(["summarize", "--json", "--sentences", "1", str(path)]) == 0
    (record,) = json_records(capsys.readouterr().out)
    assert len(record["sentences"]) == 1


def test_folder_recursion_bad_file_and_exit_code(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    article: tuple[str, tuple[str, ...]],
    pdf_builder: Callable[..., bytes],
) -> None:
    title, paragraphs = article
    write_article(tmp_path / "a.txt", paragraphs, title)
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "b.txt.gz").write_bytes(gzip.compress("\n".join(paragraphs).encode()))
    (tmp_path / "sub" / "deeper" / "c.pdf").write_bytes(pdf_builder())
    (tmp_path / "sub" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    (tmp_path / "sub" / "empty.txt").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    write_article(tmp_path / ".hidden" / "skip.txt", paragraphs)
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")

    code = run(["summarize", "--json", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    records = {
        Path(r["path"]).relative_to(tmp_path).as_posix(): r for r in json_records(captured.out)
    }
    assert sorted(records) == [
        "a.txt",
        "sub/b.txt.gz",
        "sub/broken.pdf",
        "sub/deeper/c.pdf",
        "sub/empty.txt",
    ]
    for ok in ("a.txt", "sub/b.txt.gz", "sub/deeper/c.pdf"):
        assert records[ok]["status"] == "ok", records[ok]
    assert records["a.txt"]["title"] == title
    assert records["sub/deeper/c.pdf"]["title"] == title
    broken, empty = records["sub/broken.pdf"], records["sub/empty.txt"]
    assert (broken["status"], broken["error_code"]) == ("failed", "corrupt_file")
    assert "corrupt or truncated PDF" in broken["error"]
    assert (empty["status"], empty["error_code"]) == ("failed", "empty_file")
    assert empty["summary"] is None and empty["topics"] == []
    assert "Traceback" not in captured.err


def test_all_good_files_exit_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, article: tuple[str, tuple[str, ...]]
) -> None:
    write_article(tmp_path / "one.txt", article[1])
    write_article(tmp_path / "two.md", article[1], "# Second story")
    assert run(["summarize", "--json", str(tmp_path)]) == 0
    records = json_records(capsys.readouterr().out)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert records[1]["title"] == "Second story"


def test_missing_path_fails_without_stopping_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, article: tuple[str, tuple[str, ...]]
) -> None:
    good = write_article(tmp_path / "good.txt", article[1])
    assert run(["summarize", "--json", str(tmp_path / "nope.txt"), str(good)]) == 1
    missing, ok = json_records(capsys.readouterr().out)
    assert (missing["status"], missing["error_code"]) == ("failed", "unreadable")
    assert "No such file" in missing["error"]
    assert ok["status"] == "ok"


def test_max_bytes_is_checked_before_reading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, article: tuple[str, tuple[str, ...]]
) -> None:
    path = write_article(tmp_path / "big.txt", article[1])
    assert run(["summarize", "--json", "--max-bytes", "100", str(path)]) == 1
    (record,) = json_records(capsys.readouterr().out)
    assert record["error_code"] == "too_large"
    assert "over the limit of 100 bytes" in record["error"]


def test_human_output_shows_results_and_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, article: tuple[str, tuple[str, ...]]
) -> None:
    title, paragraphs = article
    write_article(tmp_path / "a.txt", paragraphs, title)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert run(["summarize", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert title in captured.out
    assert "photo.png" in captured.out
    assert "unsupported format: PNG image" in " ".join(captured.out.split())
    assert "1 of 2 file(s) failed" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_bad_taxonomy_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, article: tuple[str, tuple[str, ...]]
) -> None:
    path = write_article(tmp_path / "a.txt", article[1])
    missing = tmp_path / "missing.yaml"
    assert run(["summarize", "--taxonomy", str(missing), str(path)]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_min_score_option_filters_topics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_bytes: bytes
) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(seed_bytes)
    assert run(["summarize", "--json", "--min-score", "0.0", str(path)]) == 0
    everything = json_records(capsys.readouterr().out)[0]["topics"]
    assert run(["summarize", "--json", "--min-score", "1.0", str(path)]) == 0
    strict = json_records(capsys.readouterr().out)[0]["topics"]
    assert len(strict) < len(everything)


@pytest.mark.parametrize(
    "argv",
    [["--sentences", "0"], ["--min-score", "1.5"], ["--max-bytes", "x"], ["--engine", "gpt"]],
)
def test_invalid_options_are_rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(["summarize", *argv, "x.txt"])
    assert info.value.code == 2


# ---------------------------------------------------------------- build_analyzer


def test_build_analyzer_options() -> None:
    pipeline = build_analyzer(length=SummaryLength(sentences=2, words=40), max_bytes=1234)
    assert pipeline.options.length == SummaryLength(sentences=2, words=40)
    assert pipeline.options.max_bytes == 1234
    assert pipeline.summarizer.name == "extractive"


def test_analyzer_from_settings() -> None:
    settings = Settings.from_env(
        {"NEWSWATCH_SUMMARY_SENTENCES": "5", "NEWSWATCH_MAX_ARTICLE_BYTES": "2048"}
    )
    pipeline = analyzer_from_settings(settings)
    assert pipeline.options.length.sentences == 5
    assert pipeline.options.max_bytes == 2048


@pytest.mark.parametrize(
    "kwargs",
    [{"engine": "gpt"}, {"tagger": "psychic"}, {"min_score": 1.5}, {"max_bytes": 0}],
)
def test_build_analyzer_rejects_bad_choices(kwargs: dict[str, Any]) -> None:
    with pytest.raises(SettingsError):
        build_analyzer(**kwargs)
