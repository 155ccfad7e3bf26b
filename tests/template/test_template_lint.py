"""template.yaml passes the three linters the README's `make validate` runs: `sam validate --lint`,
cfn-lint, and checkov with no failed check and every skip justified next to its resource."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO, TEMPLATE, find_tool, run

pytestmark = pytest.mark.tools

# The checks template.yaml skips; a new skip must be added here on purpose, with its reason in the
# template (the test below checks the comment is there).
JUSTIFIED_SKIPS = {
    "CKV_AWS_18",  # S3 access logging: a second bucket per stack; CloudTrail data events instead
    "CKV_AWS_27",  # SQS encrypted with SSE-SQS, which checkov does not recognise
    "CKV_AWS_115",  # reserved concurrency: bounded by the event sources; breaks new accounts
    "CKV_AWS_116",  # function DLQ: SQS/stream sources have their own DLQ / on-failure queue
    "CKV_AWS_117",  # VPC: no VPC resources to reach
    "CKV_AWS_119",  # DynamoDB CMK: encrypted with the AWS managed key
    "CKV_AWS_173",  # env var encryption with a CMK: no secrets in the environment
    "CKV_AWS_158",  # log groups with a CMK: CloudWatch Logs encrypts; no article text logged
}


def test_sam_validate_lint_passes(tool_env: dict[str, str]) -> None:
    sam = find_tool("sam")
    result = run(
        [sam, "validate", "--lint", "--template-file", str(TEMPLATE), "--region", "us-east-1"],
        tool_env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output


def test_cfn_lint_passes(tool_env: dict[str, str]) -> None:
    cfn_lint = find_tool("cfn-lint")
    result = run([cfn_lint, str(TEMPLATE)], tool_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def checkov(path: str, tool_env: dict[str, str]) -> dict[str, Any]:
    """checkov's JSON report on one CloudFormation file."""
    result = run(
        [
            find_tool("checkov"),
            "--file",
            path,
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--skip-download",
        ],
        tool_env,
    )
    # checkov exits 1 when a check fails; the report says which.
    assert result.returncode in (0, 1), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def checkov_report(tool_env: dict[str, str]) -> dict[str, Any]:
    return checkov(str(TEMPLATE.relative_to(REPO)), tool_env)


def test_checkov_passes_on_the_sam_translated_template(
    transformed: dict[str, Any], tool_env: dict[str, str], tmp_path: Path
) -> None:
    """Only the translation has the roles, policies and event source mappings SAM generates."""
    translated = tmp_path / "transformed.json"
    translated.write_text(json.dumps(transformed))
    results = checkov(str(translated), tool_env)["results"]
    failed = [f"{c['check_id']} {c['resource']}" for c in results["failed_checks"]]
    assert failed == []
    # The generated IAM roles were looked at (e.g. no wildcard write, no privilege escalation).
    checked = {c["resource"] for c in results["passed_checks"]}
    assert "AWS::IAM::Role.IngestFunctionRole" in checked
    assert {c["check_id"] for c in results["skipped_checks"]} <= JUSTIFIED_SKIPS


def test_checkov_reports_no_failed_check(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert failed == []
    # It really looked at the resources: encryption, public access and PITR checks passed.
    passed = {c["check_id"] for c in checkov_report["results"]["passed_checks"]}
    assert {"CKV_AWS_19", "CKV_AWS_53", "CKV_AWS_28", "CKV_AWS_26"} <= passed


def test_checkov_skips_are_the_justified_ones_with_a_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert {c["check_id"] for c in skipped} <= JUSTIFIED_SKIPS
    for check in skipped:
        reason = str(check.get("check_result", {}).get("suppress_comment") or "")
        assert len(reason) > 60, f"{check['check_id']} on {check['resource']} has no real reason"


def test_every_skip_in_the_template_has_a_comment(template: dict[str, Any]) -> None:
    for logical_id, resource in template["Resources"].items():
        skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        for skip in skips:
            assert skip["id"] in JUSTIFIED_SKIPS, (logical_id, skip["id"])
            assert len(str(skip.get("comment", ""))) > 60, (logical_id, skip["id"])
