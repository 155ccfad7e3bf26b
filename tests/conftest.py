"""Shared fixtures: the repository's paths and builders for article files in every format.

Builders make the files in the test itself (no binary fixtures in the repo); the heavy writers
(fpdf2, python-docx) are imported only when a test asks for them.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = REPO_ROOT / "seeds" / "jeddah-ceasefire-talks.txt"

ARTICLE_TITLE = "Truce talks resume in Jeddah"
ARTICLE_PARAGRAPHS = (
    "Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal that "
    "would halt fighting along the front line for thirty days.",
    "The proposal, drafted by mediators, includes a prisoner exchange and the opening of "
    "humanitarian corridors for aid convoys into besieged towns.",
    '"We are ready to stop shooting if the other side does the same," a senior official said '
    "after the meeting ended late in the evening.",
    "Diplomats said a second round of talks could begin next week if both delegations agree on "
    "the monitoring mechanism.",
)


@pytest.fixture
def seed_bytes() -> bytes:
    return SEED_ARTICLE.read_bytes()


def make_pdf(
    paragraphs: Sequence[str] = ARTICLE_PARAGRAPHS,
    *,
    title: str | None = ARTICLE_TITLE,
    heading: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A real PDF written with fpdf2; ``heading`` is printed as the first line of the page."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.add_page()
    if heading:
        pdf.set_font("helvetica", style="B", size=16)
        pdf.multi_cell(0, 10, heading)
        pdf.ln(2)
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    if user_password is not None or owner_password is not None:
        pdf.set_encryption(
            owner_password=owner_password or "owner-secret", user_password=user_password
        )
    return bytes(pdf.output())


def make_docx(
    paragraphs: Sequence[str] = ARTICLE_PARAGRAPHS,
    *,
    core_title: str | None = None,
    heading: str | None = ARTICLE_TITLE,
) -> bytes:
    """A real .docx written with python-docx."""
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    if heading:
        document.add_heading(heading, level=0)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def pdf_builder() -> Callable[..., bytes]:
    return make_pdf


@pytest.fixture
def docx_builder() -> Callable[..., bytes]:
    return make_docx


@pytest.fixture
def article() -> tuple[str, tuple[str, ...]]:
    """(title, paragraphs) of the small article the builders write by default."""
    return ARTICLE_TITLE, ARTICLE_PARAGRAPHS


@pytest.fixture(scope="session")
def hostile_corpus() -> ModuleType:
    """bench/hostile_corpus.py (bench/ is not a package): the generated hostile inputs."""
    path = REPO_ROOT / "bench" / "hostile_corpus.py"
    spec = importlib.util.spec_from_file_location("hostile_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
