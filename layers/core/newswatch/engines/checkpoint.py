"""Loading a transformers checkpoint from a local directory, the one way every engine does it:
offline only (no hub access, ever), in eval mode, with a clear EngineError when it cannot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from newswatch.domain.errors import EngineError
from newswatch.settings import use_offline_model_hub


def load_checkpoint(directory: Path, auto_class: str, what: str) -> tuple[Any, Any, float]:
    """(tokenizer, model, load milliseconds) of the checkpoint in ``directory``.

    ``auto_class`` names the transformers Auto class for the model head (``AutoModel``,
    ``AutoModelForSeq2SeqLM``, ...); ``what`` names the model in error messages.
    """
    if not (directory / "config.json").is_file():
        raise EngineError(f"no {what} at {directory}: expected a directory with config.json")
    # huggingface_hub reads this when first imported; local_files_only covers later imports.
    use_offline_model_hub()
    started = time.perf_counter()
    try:
        import transformers
        from transformers.utils import logging as hf_logging

        # Progress bars are noise in CloudWatch and in test output.
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            str(directory), local_files_only=True
        )
        model_class = getattr(transformers, auto_class)
        model = model_class.from_pretrained(str(directory), local_files_only=True)
        model.eval()
    except Exception as exc:
        raise EngineError(f"cannot load the {what} in {directory}: {exc}") from exc
    return tokenizer, model, (time.perf_counter() - started) * 1000
