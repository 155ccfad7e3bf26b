"""`sam local invoke`, for real: the layer `sam build` makes, in a Lambda-like container, offline.

What runs is what a developer runs (README "Running the functions in Lambda containers"):
docker/start-dockerd.sh, docker/lambda-python/build.sh (the local stand-in for the python3.12
base image), `sam build` for this machine's architecture, then `sam local invoke` of
IngestFunction, AlertFunction and DigestFunction with the files in events/, against the local
stack listening on the Docker bridge. The stack's own pollers are stopped, so the containers do
the work: the article stored, the alert and the digest delivered to a subscriber are theirs.

The same built layer is then checked on its own, in the same image: every extraction path
imports and works with only the runtime's boto3 beside it, the versions it carries satisfy the
runtime botocore's declared requirements, and it stays within its size budget.

The build is cached in .aws-sam/local-<arch> by a hash of its inputs, and the image by build.sh.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO, find_tool, run, runtime_sdk_conflicts

# sam build (about 2 min when its inputs changed) and three invokes (about 1 min each on vfs).
pytestmark = [pytest.mark.tools, pytest.mark.timeout(1800)]

ARCH = "x86_64" if platform.machine().lower() in ("x86_64", "amd64") else "arm64"
BUILD_DIR = REPO / ".aws-sam" / f"local-{ARCH}"
SEED_KEY = "seeds/jeddah-ceasefire-talks.txt"
LAYER_BUDGET_BYTES = 40 * 1024 * 1024
# The runtime provides these; a layer copy would pair the runtime's boto3 with another botocore.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")
BUILD_INPUTS = (
    "template.yaml",
    "samconfig.toml",
    "constraints.txt",
    "layers/core/Makefile",
    "layers/core/requirements.txt",
    "functions/ingest/app.py",
    "functions/alert/app.py",
    "functions/digest/app.py",
)


def python312_bin() -> Path:
    """The bin folder of a CPython 3.12 (SAM's python3.12 builder looks for python3.12 on PATH)."""
    override = os.environ.get("PYTHON312_PREFIX")
    if override:
        return Path(override) / "bin"
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob("3.12.*/bin/python3.12"), key=lambda p: p.parent.parent.name)
    if found:
        return found[-1].parent
    pytest.fail("no CPython 3.12: set PYTHON312_PREFIX or `pyenv install 3.12`")


def inputs_digest() -> str:
    digest = hashlib.sha256(ARCH.encode())
    package = REPO / "layers" / "core" / "newswatch"
    files = [REPO / name for name in BUILD_INPUTS] + sorted(
        p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def sam_env(tool_env: dict[str, str]) -> dict[str, str]:
    return {
        **tool_env,
        "PATH": f"{python312_bin()}{os.pathsep}{tool_env['PATH']}",
        "LAYER_ARCH": ARCH,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


@pytest.fixture(scope="module")
def invoke_image(sam_env: dict[str, str]) -> str:
    started = run([str(REPO / "docker" / "start-dockerd.sh")], sam_env, timeout=600)
    assert started.returncode == 0, started.stderr
    built = run([str(REPO / "docker" / "lambda-python" / "build.sh")], sam_env, timeout=900)
    assert built.returncode == 0, built.stderr
    return built.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(sam_env: dict[str, str]) -> Path:
    """`sam build` for this machine's architecture, into .aws-sam/local-<arch>."""
    stamp = BUILD_DIR / ".inputs"
    digest = inputs_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return BUILD_DIR
    started = time.perf_counter()
    result = run(
        [
            find_tool("sam"),
            "build",
            "--build-dir",
            str(BUILD_DIR),
            "--no-cached",
            "--parameter-overrides",
            f"Architecture={ARCH}",
        ],
        sam_env,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"\nsam build ({ARCH}): {time.perf_counter() - started:.1f} s", file=sys.stderr)
    stamp.write_text(digest)
    return BUILD_DIR


@pytest.fixture(scope="module")
def gateway(invoke_image: str, sam_env: dict[str, str]) -> str:
    """The default bridge's gateway: the host as containers see it (host.docker.internal)."""
    inspect = ["docker", "network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"]
    result = run(inspect, sam_env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def stack(gateway: str) -> Iterator[Any]:
    from newswatch_tools.local.stack import LocalStack

    local = LocalStack(REPO, host=gateway, write_state=False, processes=False)
    local.start()
    # The containers are the ones to run the handlers here, not the stack's own pollers.
    for poller in (local.ingest_poller, local.alert_poller):
        assert poller is not None
        poller.stop()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="module")
def env_file(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """events/env.json with the port this stack listens on."""
    variables = json.loads((REPO / "events" / "env.json").read_text())["Parameters"]
    # The events and env.json name the local stack's resources: the same as this stack's.
    assert variables["NEWSWATCH_TABLE"] == stack.state.table
    assert variables["NEWSWATCH_TOPIC_ARN"] == stack.state.topic_arn
    variables["AWS_ENDPOINT_URL"] = f"http://host.docker.internal:{stack.port}"
    variables["POWERTOOLS_LOG_LEVEL"] = "INFO"
    path = tmp_path_factory.mktemp("sam-local") / "env.json"
    path.write_text(json.dumps({"Parameters": variables}))
    return path


def sam_local_invoke(
    function: str, event: Path, *, image: str, env_file: Path, env: Mapping[str, str]
) -> dict[str, Any]:
    command = [
        find_tool("sam"),
        "local",
        "invoke",
        function,
        "--template",
        str(BUILD_DIR / "template.yaml"),
        "--event",
        str(event),
        "--env-vars",
        str(env_file),
        "--parameter-overrides",
        f"Architecture={ARCH}",
        "--invoke-image",
        image,
        "--skip-pull-image",
        "--add-host",
        "host.docker.internal:host-gateway",
        "--region",
        "us-east-1",
    ]
    started = time.perf_counter()
    result = run(command, env, timeout=600)
    seconds = time.perf_counter() - started
    print(f"\n$ sam local invoke {function} -e {event.name}: {seconds:.1f} s", file=sys.stderr)
    print(result.stderr[-3000:], file=sys.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    # The function's return value is the last line SAM prints on stdout.
    response: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert "errorMessage" not in response, response
    return response


def deliveries(stack: Any, kind: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = [
            entry
            for entries in stack.inbox.snapshot().values()
            for entry in entries
            if entry["attributes"].get("kind") == kind
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_sam_local_invoke_runs_all_three_functions_against_the_local_stack(
    built: Path, invoke_image: str, stack: Any, env_file: Path, sam_env: dict[str, str]
) -> None:
    events = REPO / "events"
    # The upload happens now: a digest covers the articles uploaded in its period, and the
    # notification's fixed 2025 eventTime (the article's uploaded_at) is in none.
    s3_put = json.loads((events / "s3-put.json").read_text())
    s3_put["Records"][0]["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    fresh_put = env_file.with_name("s3-put.json")
    fresh_put.write_text(json.dumps(s3_put))
    stack.s3.put_object(Bucket=stack.bucket, Key=SEED_KEY, Body=(REPO / SEED_KEY).read_bytes())
    invoke = {"image": invoke_image, "env_file": env_file, "env": sam_env}

    ingested = sam_local_invoke("IngestFunction", fresh_put, **invoke)
    assert ingested == {"outcomes": [{"key": SEED_KEY, "status": "processed"}]}
    (article,) = [i for i in stack.items() if i.get("key") == SEED_KEY]
    assert article["status"] == "processed"
    assert article["summary"]
    assert "ceasefire" in json.dumps(article["topics"], default=str)

    # The stream record of what was stored: events/'s record, with the stored item's keys and
    # image (its sort key names the version this upload got, which no file can know).
    stored = stack.client("dynamodb").get_item(
        TableName=stack.table, Key={"pk": {"S": article["pk"]}, "sk": {"S": article["sk"]}}
    )["Item"]
    insert = json.loads((events / "dynamodb-stream-insert.json").read_text())
    record = insert["Records"][0]["dynamodb"]
    record["Keys"] = {"pk": stored["pk"], "sk": stored["sk"]}
    record["NewImage"] = stored
    stream_event = env_file.with_name("dynamodb-stream-insert.json")
    # Binary values (the packed fields) travel base64-encoded in a stream record's JSON.
    stream_event.write_text(json.dumps(insert, default=lambda b: base64.b64encode(b).decode()))
    alerted = sam_local_invoke("AlertFunction", stream_event, **invoke)
    assert alerted == {"batchItemFailures": []}
    alerts = deliveries(stack, "alert")
    assert alerts, "no subscriber received the alert"
    assert {a["key"] for a in alerts} == {SEED_KEY}
    assert "ceasefire" in alerts[0]["topics"]

    digested = sam_local_invoke("DigestFunction", events / "scheduled-digest.json", **invoke)
    assert {"topic": "ceasefire", "articles": 1} in digested["digests"]
    digests = deliveries(stack, "digest")
    assert digests, "no subscriber received the digest"
    assert "ceasefire" in json.dumps([d["topics"] for d in digests], default=str)


# -- the built layer on its own ---------------------------------------------------------------

ARTICLE = (
    "Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal that "
    "would halt fighting along the front line for thirty days. The proposal includes a prisoner "
    "exchange and humanitarian corridors for aid convoys into besieged towns. Diplomats said a "
    "second round of talks could begin next week if both delegations agree on monitoring."
)
HTML = (
    "<html><head><title>Truce talks resume in Jeddah</title><script>var tracker = 1;</script>"
    "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article>"
    "<h1>Truce talks resume in Jeddah</h1>"
    + "".join(f"<p>{s.strip()}.</p>" for s in ARTICLE.split(".") if s.strip())
    + "</article><footer>Copyright Daily Planet</footer></body></html>"
)

# Runs inside the invoke image with the layer at /opt/python, as in Lambda: every format, then
# where boto3 came from and the versions the layer carries.
CHECK_LAYER = """
import json, sys
from importlib import metadata
from pathlib import Path
from newswatch.extract import extract_document
results = {}
for path in sorted(Path("/samples").iterdir()):
    doc = extract_document(path.read_bytes(), path.name)
    results[path.name] = {"format": doc.format, "title": doc.title, "text": doc.text}
import boto3, botocore, lxml_html_clean
versions = {d.metadata["Name"].lower().replace("_", "-"): d.version
            for d in metadata.distributions()}
print(json.dumps({"results": results, "boto3": boto3.__file__, "botocore": botocore.__file__,
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                                    ("trafilatura", "pypdf", "docx", "cryptography")),
                  "versions": versions}))
"""


def write_samples(
    folder: Path, make_pdf: Callable[..., bytes], make_docx: Callable[..., bytes]
) -> None:
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    folder.mkdir()
    paragraphs = tuple(f"{s.strip()}." for s in ARTICLE.split(".") if s.strip())
    title = "Truce talks resume in Jeddah"
    (folder / "story.txt").write_text(f"{title}\n\n{ARTICLE}\n")
    (folder / "story.md").write_text(f"# {title}\n\n{ARTICLE}\n")
    (folder / "story.html").write_text(HTML)
    (folder / "story.json").write_text(json.dumps({"title": title, "text": ARTICLE}))
    (folder / "story.docx").write_bytes(make_docx(paragraphs))
    (folder / "story.txt.gz").write_bytes(gzip.compress(f"{title}\n\n{ARTICLE}\n".encode()))
    # AES-256 with an empty user password: opens without one, but only with cryptography.
    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    pdf.set_encryption(
        owner_password="owner-secret", user_password="", encryption_method=EncryptionMethod.AES_256
    )
    (folder / "story-aes.pdf").write_bytes(bytes(pdf.output()))
    (folder / "story.pdf").write_bytes(make_pdf(paragraphs, title=title))


# One container run serves every test that reads it (each run costs seconds on vfs).
_LAYER_REPORTS: dict[Path, dict[str, Any]] = {}


@pytest.fixture
def layer_report(
    built: Path,
    invoke_image: str,
    sam_env: dict[str, str],
    *,
    tmp_path: Path,
    pdf_builder: Callable[..., bytes],
    docx_builder: Callable[..., bytes],
) -> dict[str, Any]:
    if built in _LAYER_REPORTS:
        return _LAYER_REPORTS[built]
    samples = tmp_path / "samples"
    write_samples(samples, pdf_builder, docx_builder)
    command = [
        "docker",
        "run",
        "--rm",
        "-v",
        f"{built / 'CoreLayer'}:/opt:ro",
        "-v",
        f"{samples}:/samples:ro",
        "-e",
        "PYTHONPATH=/opt/python",
        "--entrypoint",
        "/var/lang/bin/python3.12",
        invoke_image,
        "-c",
        CHECK_LAYER,
    ]
    result = run(command, sam_env, timeout=300)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    _LAYER_REPORTS[built] = report
    return report


def test_built_layer_extracts_every_format_beside_only_the_runtime_boto3(
    layer_report: dict[str, Any],
) -> None:
    results = layer_report["results"]
    expected = {
        "story.txt": "txt",
        "story.md": "md",
        "story.html": "html",
        "story.json": "json",
        "story.docx": "docx",
        "story.pdf": "pdf",
        "story-aes.pdf": "pdf",
        "story.txt.gz": "txt",
    }
    assert {name: r["format"] for name, r in results.items()} == expected
    for name, result in results.items():
        assert "prisoner exchange" in result["text"], name
    html = results["story.html"]
    assert html["title"] == "Truce talks resume in Jeddah"
    assert "Home" not in html["text"] and "Copyright" not in html["text"]
    assert {"trafilatura", "pypdf", "docx", "cryptography"} <= {
        m.split(".")[0] for m in layer_report["modules"]
    }
    # boto3 is the runtime's, never a copy in the layer.
    assert layer_report["boto3"].startswith("/var/runtime/")
    assert layer_report["botocore"].startswith("/var/runtime/")


def test_built_layer_versions_satisfy_the_runtime_sdk(
    built: Path, layer_report: dict[str, Any]
) -> None:
    python = built / "CoreLayer" / "python"
    stems = (p.name.removesuffix(".dist-info").split("-", 1) for p in python.glob("*.dist-info"))
    in_layer = {name.lower().replace("_", "-"): version for name, version in stems}
    assert not set(RUNTIME_SDK) & set(in_layer)
    assert "lxml-html-clean" in in_layer
    # What Python sees from /opt/python in the image: the layer's copies shadow the runtime's.
    seen = layer_report["versions"]
    for name, version in in_layer.items():
        assert seen.get(name) == version, name
    assert runtime_sdk_conflicts(seen) == []
    assert (python / ".newswatch-layer-arch").read_text().strip() == ARCH


def test_built_layer_within_its_size_budget(built: Path) -> None:
    python = built / "CoreLayer" / "python"
    size = sum(p.stat().st_size for p in python.rglob("*") if p.is_file())
    print(f"\nCoreLayer ({ARCH}, unzipped): {size / 2**20:.1f} MiB", file=sys.stderr)
    assert size <= LAYER_BUDGET_BYTES
    # Trimmed as layers/core/Makefile says, and precompiled for Python 3.12.
    locale_data = (python / "babel" / "locale-data").glob("*.dat")
    assert sorted(p.name for p in locale_data) == ["en.dat", "root.dat"]
    assert not list((python / "trafilatura").glob("*.py"))
    assert (python / "trafilatura" / "core.pyc").is_file()
    assert list((python / "newswatch" / "__pycache__").glob("*.cpython-312.pyc"))


def test_invoke_image_is_a_local_stand_in(invoke_image: str, sam_env: dict[str, str]) -> None:
    labels = run(
        ["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", invoke_image], sam_env
    )
    assert labels.returncode == 0, labels.stderr
    assert "stand-in" in json.loads(labels.stdout)["newswatch.description"]
    version = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/var/lang/bin/python3.12", invoke_image, "-V"],
        capture_output=True,
        text=True,
        check=False,
        env=sam_env,
    )
    assert version.stdout.startswith("Python 3.12."), version.stderr
