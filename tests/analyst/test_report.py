"""The HTML report: rendered from the archive, self-contained, looked at in headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest

from newswatch_tools.cli import main
from newswatch_tools.html_report import counts_per_day, highlight, render_report

ENTRIES = [
    {"topic": "aid", "uploaded_at": "2026-11-28T08:00:00Z", "article_pk": "a#2", "article_sk": "v"},
    {
        "topic": "ceasefire",
        "uploaded_at": "2026-11-20T08:00:00Z",
        "article_pk": "a#1",
        "article_sk": "v",
    },
    {"topic": "aid", "uploaded_at": "2026-11-20T08:00:00Z", "article_pk": "a#1", "article_sk": "v"},
]
ARTICLES = [
    {
        "pk": "a#1",
        "sk": "v",
        "bucket": "b",
        "key": "talks.txt",
        "title": "Talks <resume>",
        "summary": "Both sides agreed to a truce. Aid convoys moved in.",
        "uploaded_at": "2026-11-20T08:00:00Z",
        "topics": [
            {"label": "ceasefire", "score": 0.9, "evidence": ["Both sides agreed to a truce."]},
            {"label": "aid", "score": 0.5, "evidence": ["Aid convoys moved in."]},
        ],
        "alert_state": "sent",
        "alerted_at": "2026-11-20T08:00:05Z",
        "alert_topics": ["ceasefire"],
    },
    {
        "pk": "a#2",
        "sk": "v",
        "bucket": "b",
        "key": "aid.txt",
        "title": "Food arrives",
        "summary": "Lorries carried food.",
        "uploaded_at": "2026-11-28T08:00:00Z",
        "topics": [{"label": "aid", "score": 0.8, "evidence": ["Lorries carried food."]}],
        "alert_state": "none",
    },
]


def _page() -> str:
    return render_report(
        entries=ENTRIES,
        articles=ARTICLES,
        period=(date(2026, 11, 1), date(2026, 11, 29)),
        generated_at="2026-11-29 12:00 UTC",
    )


def test_counts_per_topic_per_day() -> None:
    counts = counts_per_day(ENTRIES)
    assert counts["aid"] == {"2026-11-28": 1, "2026-11-20": 1}
    assert counts["ceasefire"] == {"2026-11-20": 1}


def test_evidence_is_highlighted_and_article_text_escaped() -> None:
    assert (
        highlight("A <b>. Truce held.", ["Truce held."]) == "A &lt;b&gt;. <mark>Truce held.</mark>"
    )
    page = _page()
    assert "<mark>Both sides agreed to a truce.</mark>" in page
    assert "Talks &lt;resume&gt;" in page and "<resume>" not in page
    assert page.count("<rect") == 3  # one bar segment per (topic, day) with articles
    assert "2 tagged articles ·\n1 alert sent" in page
    assert "<script" not in page and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_report_command_writes_the_page(archive_stack: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert (
        main(["report", "--since", "2026-09-01", "--until", "2026-11-29", "--html", str(out)]) == 0
    )
    page = out.read_text()
    assert "Title of mid.txt" in page and "Title of new.txt" in page
    assert "3 tagged articles" in page
    assert "3 alerts sent" in page


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)"
)
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(_page())
    shot = tmp_path / "report.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    assert CHROMIUM is not None
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "<svg" in dom.stdout and "<mark>Lorries carried food.</mark>" in dom.stdout
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert _png_size(shot) == (1000, 1400)
    # A rendered page, not a blank canvas: the PNG of a blank page compresses to a few KB.
    assert shot.stat().st_size > 20_000
