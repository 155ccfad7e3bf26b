"""Read the local stack's resources from ``template.yaml`` so the emulator and the deployment
cannot drift.

Only the part of CloudFormation the stack needs is understood: resource properties, the
intrinsic functions that build names and ARNs (``Ref``, ``Fn::Sub``, ``Fn::GetAtt``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::If`` with every condition false) and SAM's ``Globals``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STACK_NAME = "newswatch-local"

# Logical IDs the local stack relies on (template.yaml declares them).
BUCKET_ID = "ArticlesBucket"
QUEUE_ID = "IngestQueue"
DLQ_ID = "IngestDeadLetterQueue"
TABLE_ID = "ArticlesTable"
TOPIC_ID = "AlertsTopic"
ALERT_FAILURE_QUEUE_ID = "AlertFailureQueue"
INGEST_FUNCTION_ID = "IngestFunction"
ALERT_FUNCTION_ID = "AlertFunction"
DIGEST_FUNCTION_ID = "DigestFunction"


class TemplateError(ValueError):
    pass


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags (``!Sub``) into their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_CfnLoader)
    except FileNotFoundError:
        raise TemplateError(f"{path} not found: the local stack is built from it") from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources section")
    return data


@dataclass
class Resolver:
    """Evaluates intrinsic functions against the names the local stack gives each resource."""

    template: Mapping[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    stack_name: str = STACK_NAME
    parameters: Mapping[str, str] = field(default_factory=dict)
    endpoint_url: str = f"https://sqs.{REGION}.amazonaws.com"

    def physical_name(self, logical_id: str) -> str:
        return self.names.get(logical_id, f"{self.stack_name}-{logical_id}")

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{self.stack_name}/local"
            ),
            "AWS::NoValue": None,
        }.get(name, "")

    def _parameter(self, name: str) -> str | list[str]:
        spec = self.template.get("Parameters", {}).get(name, {})
        value = self.parameters.get(name, spec.get("Default", ""))
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            return [part.strip() for part in str(value).split(",")]
        return str(value)

    def condition(self, name: str) -> bool:
        expression = self.template.get("Conditions", {}).get(name)
        if expression is None:
            raise TemplateError(f"unknown condition {name!r}")
        return self._truth(expression)

    def _truth(self, expression: Any) -> bool:
        ((key, arg),) = expression.items()
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::Equals":
            return bool(str(self.resolve(arg[0])) == str(self.resolve(arg[1])))
        if key == "Fn::Not":
            return not self._truth(arg[0])
        if key == "Fn::And":
            return all(self._truth(item) for item in arg)
        if key == "Fn::Or":
            return any(self._truth(item) for item in arg)
        raise TemplateError(f"unsupported condition function {key}")

    def _resource_type(self, logical_id: str) -> str:
        resource = self.template["Resources"].get(logical_id)
        if resource is None:
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        return str(resource.get("Type", ""))

    def ref(self, name: str) -> str | list[str] | None:
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.template.get("Parameters", {}) or name in self.parameters:
            return self._parameter(name)
        kind = self._resource_type(name)
        physical = self.physical_name(name)
        if kind == "AWS::SQS::Queue":
            return f"{self.endpoint_url}/{ACCOUNT_ID}/{physical}"
        if kind == "AWS::SNS::Topic":
            return self.arn(name)
        return physical

    def arn(self, logical_id: str) -> str:
        kind = self._resource_type(logical_id)
        name = self.physical_name(logical_id)
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{name}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "TopicName", "BucketName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return str(self.ref(logical_id))
        if attribute == "StreamArn":
            return self.names.get(f"{logical_id}.StreamArn", f"{self.arn(logical_id)}/stream/local")
        raise TemplateError(f"unsupported attribute {logical_id}.{attribute}")

    def _sub(self, value: Any) -> str:
        if isinstance(value, list):
            text, variables = str(value[0]), {k: self.resolve(v) for k, v in value[1].items()}
        else:
            text, variables = str(value), {}

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and not token.startswith("AWS::"):
                logical_id, attribute = token.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(token) or "")

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Return ``value`` with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(str(parts[0]), str(self.resolve(parts[1])))
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(part)) for part in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(str(arg[0]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(str(arg[0])) else arg[2])
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(arg))
        return {k: self.resolve(v) for k, v in value.items()}


def resource(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    found = template["Resources"].get(logical_id)
    if not isinstance(found, dict):
        raise TemplateError(f"template.yaml has no resource {logical_id!r}")
    return found


def properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    props = resource(template, logical_id).get("Properties") or {}
    return dict(props)


def function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A SAM function's properties with ``Globals.Function`` merged in (environment included)."""
    defaults = dict((template.get("Globals") or {}).get("Function") or {})
    props = properties(template, logical_id)
    merged = {**defaults, **props}
    env: dict[str, Any] = {}
    for source in (defaults, props):
        env.update(((source.get("Environment") or {}).get("Variables")) or {})
    merged["Environment"] = {"Variables": env}
    return merged


def events_of(function: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        dict(event.get("Properties") or {})
        for event in (function.get("Events") or {}).values()
        if isinstance(event, dict) and event.get("Type") == kind
    ]


def references(value: Any) -> set[str]:
    """Logical IDs (and parameters) an expression refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref":
                found.add(str(arg))
            elif key == "Fn::GetAtt":
                found.add(str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0]))
            elif key == "Fn::If":
                found |= references(arg[1:])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                for token in re.findall(r"\$\{([^!}][^}]*)\}", str(text)):
                    found.add(token.split(".")[0])
                if isinstance(arg, list):
                    found |= references(arg[1])
            else:
                found |= references(arg)
    return found


def resolve_outputs(
    template: Mapping[str, Any], resolver: Resolver, created: set[str]
) -> dict[str, str]:
    """The template's Outputs whose resources exist locally, resolved to local names."""
    outputs: dict[str, str] = {}
    parameters = set(template.get("Parameters", {}))
    for key, output in (template.get("Outputs") or {}).items():
        value = output.get("Value")
        refs = {r for r in references(value) if not r.startswith("AWS::")}
        if output.get("Condition") or not refs <= created | parameters:
            continue
        try:
            outputs[key] = str(resolver.resolve(value))
        except (TemplateError, LookupError, TypeError):
            continue
    return outputs
