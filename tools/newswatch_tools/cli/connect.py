"""Finding a newswatch deployment from the command line.

Every command that talks to AWS accepts the same three ways to find the stack, in this order:
``--stack NAME`` (a deployed CloudFormation stack: its outputs name the resources),
``--endpoint-url URL`` (an emulator such as the local stack, plus its state file), or, with neither,
the local stack's state file if one is running. Resource names are always the template's output
keys (ArticlesBucketName, ArticlesTableName, AlertsTopicArn, IngestQueueUrl, ...), so the local
stack and a deployed one look the same to the commands.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

from newswatch_tools import environment

DEFAULT_REGION = "us-east-1"


class StackNotFoundError(RuntimeError):
    """No stack could be found; the message says what to do."""


def read_local_state() -> dict[str, Any] | None:
    from newswatch_tools.local.state import default_state_path

    path = default_state_path()
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@dataclass(frozen=True)
class Connection:
    region: str
    endpoint_url: str | None
    outputs: dict[str, str] = field(default_factory=dict)
    # The embedded local stack (moto): no email or SMS leaves the machine.
    local: bool = False

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise StackNotFoundError(
                f"the stack has no output {key!r} (outputs: {', '.join(sorted(self.outputs))})"
            ) from None

    def client(self, service: str) -> Any:
        import boto3

        # Service names are only known at run time here, so boto3-stubs' overloads cannot apply.
        make_client: Any = boto3.client
        return make_client(service, region_name=self.region, endpoint_url=self.endpoint_url)


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where the stack is")
    group.add_argument("--stack", help="name of a deployed CloudFormation stack")
    group.add_argument("--endpoint-url", help="AWS endpoint, e.g. the local stack's")
    group.add_argument(
        "--region", help=f"AWS region (default: from the environment or {DEFAULT_REGION})"
    )


def _region(args: argparse.Namespace) -> str:
    return str(getattr(args, "region", None) or environment.aws_region() or DEFAULT_REGION)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def connect(args: argparse.Namespace) -> Connection:
    """Resolve the stack named by the command line (see the module docstring)."""
    region = _region(args)
    endpoint = getattr(args, "endpoint_url", None)
    stack = getattr(args, "stack", None)
    if stack:
        conn = Connection(region, endpoint)
        return Connection(region, endpoint, stack_outputs(conn.client("cloudformation"), stack))
    state = read_local_state()
    if state is not None and (endpoint is None or endpoint == state["endpoint_url"]):
        environment.use_dummy_credentials()
        return Connection(
            state.get("region", region), state["endpoint_url"], state["outputs"], local=True
        )
    if endpoint is not None:
        raise StackNotFoundError(
            f"no stack state for {endpoint}: start it with `newswatch local up` "
            f"or name a deployed stack with --stack"
        )
    raise StackNotFoundError(
        "no stack found: start the local one with `newswatch local up`, "
        "or name a deployed stack with --stack NAME"
    )
