"""Settings.from_env: every variable's default, parsing, and the message for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.settings import Settings, SettingsError


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_env({})
    assert settings.table_name == "" and settings.topic_arn == ""
    assert settings.watched_topics == ()  # every topic may alert
    assert settings.min_topic_score == 0.3
    assert settings.article_link_expiry_seconds == 7 * 24 * 3600
    assert settings.article_base_url == ""
    assert settings.summary_sentences == 3
    assert settings.max_article_bytes == 10 * 1024 * 1024
    assert settings.taxonomy_path is None and settings.model_dir is None
    assert (settings.engine, settings.tagger) == ("extractive", "pattern")
    assert settings.alert_lease_seconds == 300


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "NEWSWATCH_TABLE": " articles ",
            "NEWSWATCH_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
            "NEWSWATCH_WATCHED_TOPICS": " Ceasefire, aid,,displacement ",
            "NEWSWATCH_MIN_TOPIC_SCORE": "0.55",
            "NEWSWATCH_SUMMARY_SENTENCES": "5",
            "NEWSWATCH_MAX_ARTICLE_BYTES": "2048",
            "NEWSWATCH_TAXONOMY": "/opt/taxonomy.yaml",
            "NEWSWATCH_ENGINE": "transformers",
            "NEWSWATCH_TAGGER": "hybrid",
            "NEWSWATCH_MODEL_DIR": "/opt/models",
            "NEWSWATCH_ALERT_LEASE_SECONDS": "45",
        }
    )
    assert settings.table_name == "articles"
    assert settings.topic_arn.endswith(":alerts")
    assert settings.watched_topics == ("ceasefire", "aid", "displacement")
    assert settings.min_topic_score == 0.55
    assert settings.summary_sentences == 5
    assert settings.max_article_bytes == 2048
    assert settings.taxonomy_path == Path("/opt/taxonomy.yaml")
    assert settings.engine == "transformers" and settings.tagger == "hybrid"
    assert settings.model_dir == Path("/opt/models")
    assert settings.alert_lease_seconds == 45


def test_an_empty_watch_list_watches_nothing() -> None:
    assert Settings.from_env({"NEWSWATCH_WATCHED_TOPICS": " , "}).watched_topics == ()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEWSWATCH_MIN_TOPIC_SCORE", "high", "must be a number"),
        ("NEWSWATCH_MIN_TOPIC_SCORE", "1.5", "between 0.0 and 1.0"),
        ("NEWSWATCH_SUMMARY_SENTENCES", "three", "whole number"),
        ("NEWSWATCH_SUMMARY_SENTENCES", "0", "at least 1"),
        ("NEWSWATCH_MAX_ARTICLE_BYTES", "-5", "at least 1"),
        ("NEWSWATCH_ALERT_LEASE_SECONDS", "0", "at least 1"),
        ("NEWSWATCH_ENGINE", "gpt", "one of extractive, transformers"),
        ("NEWSWATCH_TAGGER", "regex", "one of pattern, semantic, hybrid"),
        ("NEWSWATCH_ARTICLE_LINK_EXPIRY_SECONDS", "604801", "at most 604800"),
        ("NEWSWATCH_ARTICLE_BASE_URL", "news.example.org", "http"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({name: value})
    assert name in str(error.value)


def test_the_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_TABLE", "from-env")
    assert Settings.from_env().table_name == "from-env"


def test_the_hourly_alert_cap_defaults_to_none() -> None:
    assert Settings.from_env({}).max_alerts_per_topic_per_hour == 0
    assert (
        Settings.from_env(
            {"NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR": "3"}
        ).max_alerts_per_topic_per_hour
        == 3
    )
    with pytest.raises(SettingsError, match="at least 0"):
        Settings.from_env({"NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR": "-1"})
