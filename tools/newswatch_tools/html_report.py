"""The analyst's report: one self-contained HTML page (no scripts, no external files) with a chart
of articles per topic per day, the latest articles per topic with their evidence highlighted, and
the alerts that were sent. Pure rendering: the CLI gathers the rows from the archive."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from newswatch.domain.headline import headline_of

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip
LATEST_PER_TOPIC = 5
CHART_WIDTH, CHART_HEIGHT, MARGIN = 900, 280, 40

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666}.topic{margin-top:1.2rem}.article{border-left:3px solid #ccc;padding:.2rem .8rem;
margin:.6rem 0}.article h4{margin:.2rem 0}.score{color:#555;font-size:.85rem}
mark{background:#fff2a8;padding:0 .1rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left;font-size:.9rem}
.legend span{display:inline-block;margin-right:1rem}.swatch{display:inline-block;width:.8rem;
height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def counts_per_day(entries: Sequence[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    """topic -> Counter of 'YYYY-MM-DD' -> number of articles."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        counts[str(entry["topic"])][str(entry["uploaded_at"])[:10]] += 1
    return counts


def render_chart(counts: Mapping[str, Counter[str]], first: date, last: date) -> str:
    """Stacked bars, one per day, one colour per topic, as inline SVG."""
    days = _days(first, last)
    topics = sorted(counts)
    totals = [sum(counts[t][d.isoformat()] for t in topics) for d in days]
    peak = max(totals, default=0) or 1
    plot_w, plot_h = CHART_WIDTH - 2 * MARGIN, CHART_HEIGHT - 2 * MARGIN
    bar_w = plot_w / max(len(days), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'role="img" aria-label="articles per topic per day">',
        f'<line x1="{MARGIN}" y1="{MARGIN + plot_h}" x2="{MARGIN + plot_w}" '
        f'y2="{MARGIN + plot_h}" stroke="#999"/>',
        f'<text x="{MARGIN - 6}" y="{MARGIN + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{MARGIN - 6}" y="{MARGIN + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, day in enumerate(days):
        x = MARGIN + i * bar_w
        y = float(MARGIN + plot_h)
        for t_index, topic in enumerate(topics):
            n = counts[topic][day.isoformat()]
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            colour = PALETTE[t_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{_e(topic)} {day}: {n}</title></rect>'
            )
        if len(days) <= 31 and (i % max(len(days) // 10, 1) == 0 or i == len(days) - 1):
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{MARGIN + plot_h + 14}" font-size="10" '
                f'text-anchor="middle">{day.strftime("%d %b")}</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></i>'
        f"{_e(topic)} ({sum(counts[topic].values())})</span>"
        for i, topic in enumerate(topics)
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def highlight(text: str, evidence: Sequence[str]) -> str:
    """``text`` escaped, with every evidence sentence it contains wrapped in <mark>."""
    escaped = _e(text)
    for sentence in sorted({s for s in evidence if s}, key=len, reverse=True):
        needle = _e(sentence)
        if needle in escaped:
            escaped = escaped.replace(needle, f"<mark>{needle}</mark>")
    return escaped


def _article_html(article: Mapping[str, Any], topic: str) -> str:
    tags = {t["label"]: t for t in article.get("topics", [])}
    evidence = list(tags.get(topic, {}).get("evidence", []))
    scores = ", ".join(f"{_e(label)} {float(t['score']):.2f}" for label, t in tags.items())
    places = ", ".join(
        f"{_e(c['name'])} ({_e(c['code'])}) {float(c['score']):.2f}"
        for c in article.get("countries") or ()
    )
    title = headline_of(article)
    summary = highlight(str(article.get("summary", "")), evidence)
    unseen = [s for s in evidence if s not in str(article.get("summary", ""))]
    extra = "".join(f"<li><mark>{_e(s)}</mark></li>" for s in unseen[:3])
    return (
        f'<div class="article"><h4>{_e(title)}</h4>'
        f'<div class="score">{_e(article.get("uploaded_at"))} · {scores} · '
        + (f'<span class="places">{places}</span> · ' if places else "")
        + f"s3://{_e(article.get('bucket'))}/{_e(article.get('key'))}</div>"
        f"<p>{summary}</p>" + (f"<ul>{extra}</ul>" if extra else "") + "</div>"
    )


def render_report(
    *,
    entries: Sequence[Mapping[str, Any]],
    articles: Sequence[Mapping[str, Any]],
    period: tuple[date, date],
    generated_at: str,
) -> str:
    """``entries``: topic-index entries of the period; ``articles``: the full article items."""
    first, last = period
    counts = counts_per_day(entries)
    by_key = {(a["pk"], a["sk"]): a for a in articles}
    sections = []
    for topic in sorted(counts, key=lambda t: -sum(counts[t].values())):
        latest = [e for e in entries if e["topic"] == topic][:LATEST_PER_TOPIC]
        items = [
            _article_html(by_key[(e["article_pk"], e["article_sk"])], topic)
            for e in latest
            if (e["article_pk"], e["article_sk"]) in by_key
        ]
        sections.append(f'<section class="topic"><h3>{_e(topic)}</h3>{"".join(items)}</section>')
    alerts = sorted(
        (a for a in articles if a.get("alert_state") == "sent"),
        key=lambda a: str(a.get("alerted_at", "")),
        reverse=True,
    )
    alert_rows = "".join(
        f"<tr><td>{_e(a.get('alerted_at'))}</td><td>{_e(headline_of(a))}</td>"
        f"<td>{_e(', '.join(a.get('alert_topics') or []))}</td></tr>"
        for a in alerts
    )
    total = len({(e["article_pk"], e["article_sk"]) for e in entries})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newswatch report {first} to {last}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>newswatch report</h1>
<p class="meta">{first} to {last} · {_plural(total, "tagged article")} ·
{_plural(len(alerts), "alert")} sent ·
generated {_e(generated_at)}</p>
<h2>Articles per topic per day</h2>{render_chart(counts, first, last)}
<h2>Latest articles by topic</h2>{"".join(sections) or "<p>No tagged articles in this period.</p>"}
<h2>Alerts sent</h2>
<table><thead><tr><th>sent</th><th>article</th><th>topics</th></tr></thead>
<tbody>{alert_rows or '<tr><td colspan="3">No alerts in this period.</td></tr>'}</tbody></table>
</body></html>
"""
