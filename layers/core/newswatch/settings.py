"""Every environment variable newswatch reads, declared and validated once.

Only :mod:`newswatch.composition` (for the handlers) and the tools' entry points call
:meth:`Settings.from_env`; nothing else in the runtime reads the environment. The README's
configuration table lists the same names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newswatch.domain.models import DEFAULT_MAX_ARTICLE_BYTES

# The summary engines and taggers NEWSWATCH_ENGINE / NEWSWATCH_TAGGER (and the CLI) choose from.
ENGINES = ("extractive", "transformers")
TAGGERS = ("pattern", "semantic", "hybrid")
DEFAULT_METRICS_NAMESPACE = "newswatch"


class SettingsError(ValueError):
    pass


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _threshold(env: Mapping[str, str], name: str, default: float) -> float:
    """A number in (0, 1]: 0 would make every article a near-duplicate of every other."""
    value = _float(env, name, default, 0.0, 1.0)
    if value <= 0.0:
        raise SettingsError(f"{name} must be greater than 0 and at most 1, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _csv(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    raw = env.get(name, default)
    return tuple(part.strip() for part in raw.split(",") if part.strip())


MAX_PRESIGN_SECONDS = 7 * 24 * 3600


def _base_url(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if value and not value.startswith(("https://", "http://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _link_expiry(env: Mapping[str, str], name: str) -> int:
    value = _int(env, name, MAX_PRESIGN_SECONDS)
    if value > MAX_PRESIGN_SECONDS:
        raise SettingsError(f"{name} must be at most {MAX_PRESIGN_SECONDS} (7 days), got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    table_name: str = ""
    topic_arn: str = ""
    # An allow-list of the topics that may raise instant alerts; empty: every taxonomy topic.
    watched_topics: tuple[str, ...] = ()
    min_topic_score: float = 0.3
    summary_sentences: int = 3
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    taxonomy_path: Path | None = None
    engine: str = "extractive"
    tagger: str = "pattern"
    model_dir: Path | None = None
    # Sentence-embedding model for the semantic/hybrid taggers; None: the ml extra's MiniLM.
    embedding_model_dir: Path | None = None
    # Optional zero-shot NLI checkpoint; when set, semantic/hybrid score topics with it.
    nli_model_dir: Path | None = None
    # How long an alert claim ("sending") holds before another invocation may take it over, when
    # the caller has no Lambda context (the handler uses the invocation's remaining time). It must
    # outlast one publish, or a slow publish could be overtaken and doubled.
    alert_lease_seconds: int = 300
    # Instant alerts per topic per clock hour (0: no cap); what the cap holds back is only in the
    # topic's next digest.
    max_alerts_per_topic_per_hour: int = 0
    # Estimated Jaccard similarity of word shingles at or above which an article is a
    # near-duplicate of an earlier one (RELIABILITY.md 2.2: no false positive measured at 0.3+).
    near_dup_threshold: float = 0.5
    # The link in an alert: a presigned S3 GET URL valid this long (SigV4 allows at most 7 days),
    # or, when set, this public base URL followed by the object key.
    article_link_expiry_seconds: int = MAX_PRESIGN_SECONDS
    article_base_url: str = ""
    # Each article's analysis runs in a child process with this wall-clock budget (cut to what the
    # invocation has left) and memory ceiling (0: a share of the function's memory);
    # newswatch/budget.py says why and how.
    article_seconds: float = 20.0
    article_memory_mb: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        taxonomy = env.get("NEWSWATCH_TAXONOMY", "").strip()
        model_dir = env.get("NEWSWATCH_MODEL_DIR", "").strip()
        embedding_dir = env.get("NEWSWATCH_EMBEDDING_MODEL_DIR", "").strip()
        nli_dir = env.get("NEWSWATCH_NLI_MODEL_DIR", "").strip()
        return cls(
            table_name=env.get("NEWSWATCH_TABLE", "").strip(),
            topic_arn=env.get("NEWSWATCH_TOPIC_ARN", "").strip(),
            # Taxonomy labels are lower case; "Ceasefire, Aid" means the same topics.
            watched_topics=tuple(t.lower() for t in _csv(env, "NEWSWATCH_WATCHED_TOPICS", "")),
            min_topic_score=_float(env, "NEWSWATCH_MIN_TOPIC_SCORE", 0.3, 0.0, 1.0),
            summary_sentences=_int(env, "NEWSWATCH_SUMMARY_SENTENCES", 3),
            max_article_bytes=_int(env, "NEWSWATCH_MAX_ARTICLE_BYTES", DEFAULT_MAX_ARTICLE_BYTES),
            taxonomy_path=Path(taxonomy) if taxonomy else None,
            engine=_choice(env, "NEWSWATCH_ENGINE", "extractive", ENGINES),
            tagger=_choice(env, "NEWSWATCH_TAGGER", "pattern", TAGGERS),
            model_dir=Path(model_dir) if model_dir else None,
            embedding_model_dir=Path(embedding_dir) if embedding_dir else None,
            nli_model_dir=Path(nli_dir) if nli_dir else None,
            alert_lease_seconds=_int(env, "NEWSWATCH_ALERT_LEASE_SECONDS", 300, minimum=1),
            max_alerts_per_topic_per_hour=_int(
                env, "NEWSWATCH_MAX_ALERTS_PER_TOPIC_PER_HOUR", 0, minimum=0
            ),
            near_dup_threshold=_threshold(env, "NEWSWATCH_NEAR_DUP_THRESHOLD", 0.5),
            article_link_expiry_seconds=_link_expiry(env, "NEWSWATCH_ARTICLE_LINK_EXPIRY_SECONDS"),
            article_base_url=_base_url(env, "NEWSWATCH_ARTICLE_BASE_URL"),
            article_seconds=_float(env, "NEWSWATCH_ARTICLE_SECONDS", 20.0, 1.0, 900.0),
            article_memory_mb=_int(env, "NEWSWATCH_ARTICLE_MEMORY_MB", 0, minimum=0),
        )


def metrics_namespace(env: Mapping[str, str] | None = None) -> str:
    """The CloudWatch namespace of the handlers' metrics (powertools' own variable)."""
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE


def use_offline_model_hub() -> None:
    """Tell transformers never to reach the model hub: checkpoints are local folders only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
