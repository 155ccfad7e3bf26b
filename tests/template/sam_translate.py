"""Transform template.yaml into plain CloudFormation JSON with the SAM translator.

Run with the tools venv's Python, where samtranslator lives (not in the project venv):
``.tools/bin/python tests/template/sam_translate.py template.yaml``. Local ``CodeUri`` and
``ContentUri`` paths are replaced by S3 URIs first, as ``sam package`` would do; the JSON goes to
stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

CODE_BUCKET = "newswatch-test-artifacts"
REGION = "us-east-1"


class _NoManagedPolicies:
    """The template names no AWS managed policies, so the translator never needs IAM."""

    def load(self) -> dict[str, str]:
        return {}


def _package(template: dict[str, Any]) -> None:
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://{CODE_BUCKET}/{logical_id}.zip"


def main(argv: list[str]) -> int:
    # The translator asks a boto3 session for the region (no network, no credentials).
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.model.exceptions import (  # type: ignore[import-not-found, unused-ignore]
        InvalidDocumentException,
    )
    from samtranslator.translator.transform import (  # type: ignore[import-not-found, unused-ignore]
        transform,
    )
    from samtranslator.yaml_helper import (  # type: ignore[import-not-found, unused-ignore]
        yaml_parse,
    )

    template = yaml_parse(Path(argv[1]).read_text(encoding="utf-8"))
    _package(template)
    try:
        transformed = transform(template, {"AWS::Region": REGION}, _NoManagedPolicies())  # type: ignore[arg-type, unused-ignore]
    except InvalidDocumentException as exc:
        for cause in exc.causes:
            print(cause.message, file=sys.stderr)
        return 1
    json.dump(transformed, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
