"""`newswatch demo --json` and the 100-article load test, each on its own fresh local stack."""

from __future__ import annotations

import json

from e2e_stack import REPO_ROOT, run_cli


def test_demo_json_lists_every_seed_and_the_alerts_each_subscriber_received() -> None:
    result = run_cli("demo", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout)

    assert {"articles", "alerts"} <= set(output)
    seeds = sorted(p.name for p in (REPO_ROOT / "seeds").iterdir() if not p.name.startswith("."))
    assert sorted(a["key"] for a in output["articles"]) == seeds
    for article in output["articles"]:
        assert set(article) == {"key", "status", "topics", "summary"}
        assert article["status"] == "processed"
        assert all(isinstance(label, str) for label in article["topics"])
        assert article["summary"].strip()

    assert set(output["alerts"]) == {"email-ceasefire", "sms-aid"}
    topics_of = {a["key"]: set(a["topics"]) for a in output["articles"]}
    for subscriber, watched in (("email-ceasefire", "ceasefire"), ("sms-aid", "aid")):
        for alert in output["alerts"][subscriber]:
            assert set(alert) == {"key", "topics", "subject"}
            assert watched in alert["topics"]
            assert watched in topics_of[alert["key"]]
            assert 0 < len(alert["subject"]) < 100
    alerted = {a["key"] for alerts in output["alerts"].values() for a in alerts}
    assert "jeddah-ceasefire-talks.txt" in alerted
    assert "harbour-cup-final.md" not in alerted


def test_a_100_article_load_test_loses_nothing_and_alerts_nothing_twice() -> None:
    result = run_cli(
        "local", "loadtest", "--count", "100", "--generated", "--timeout", "480", timeout=600
    )
    report = json.loads(result.stdout)
    assert report["settled"], result.stderr[-3000:]
    assert report["uploaded"] == 100
    assert report["stored"] == 100
    assert report["lost"] == 0
    assert report["duplicates_alerted"] == 0
    assert report["alerts_expected"] > 0
    assert report["alerts_received"] == report["alerts_expected"]
    assert report["dead_letter_queue"] == 0
    assert result.returncode == 0
