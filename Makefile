# newswatch: every developer and CI entry point. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup setup-dev tools browser demo test lint typecheck pytest bench loadtest validate clean \
	places-data docker invoke-image sam-local

# Every environment installs the versions pinned in constraints.txt (the layer and images too).
$(BIN)/newswatch: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[local]'
	@touch $@

setup: $(BIN)/newswatch

# The test environment: dev tools plus the optional transformers engine (CPU torch).
$(VENV)/.dev: $(BIN)/newswatch
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,ml]'
	@touch $@

setup-dev: $(VENV)/.dev

# sam, checkov and cfn-lint pin versions of click/boto3 that fight the project's, so they get their own venv.
# Pinned, so that every machine lints, translates and builds with the same rules.
TOOL_VERSIONS := aws-sam-cli==1.170.0 cfn-lint==1.58.0 checkov==3.2.459
$(TOOLS)/bin/sam:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --upgrade pip
	$(TOOLS)/bin/pip install -q $(TOOL_VERSIONS)
	@touch $@

tools: $(TOOLS)/bin/sam

demo: setup
	$(BIN)/newswatch demo

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy
	for handler in functions/*/app.py; do $(BIN)/mypy "$$handler" || exit 1; done
	# The in-memory fakes against the ports' protocols (tests/fakes.py:check_protocols).
	$(BIN)/mypy tests/fakes.py

# The report test looks at the page in a real browser: Debian's chromium (CI runs as root).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

pytest: setup-dev tools browser invoke-image
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(BIN)/pytest -m "not slow"

test: lint typecheck pytest

# checkov runs on the template as written and on its SAM translation, the CloudFormation AWS
# deploys: only the latter has the roles and policies SAM generates.
validate: tools
	$(TOOLS)/bin/sam validate --lint
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact
	mkdir -p .aws-sam
	$(TOOLS)/bin/python tests/template/sam_translate.py template.yaml > .aws-sam/transformed.json
	$(TOOLS)/bin/checkov -f .aws-sam/transformed.json --framework cloudformation --quiet --compact

# `sam local invoke` offline (README "Running the functions in Lambda containers"): a Docker engine
# (started as root if none answers), the local stand-in for the Lambda python3.12 image, then the
# three functions built for this machine's architecture and invoked with events/ against the
# local stack. It is a test (tests/template/test_sam_local.py), so it also checks the effects.
docker:
	docker/start-dockerd.sh

invoke-image: docker
	docker/lambda-python/build.sh

sam-local: setup-dev tools invoke-image
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(BIN)/pytest tests/template/test_sam_local.py -v -s

bench: setup-dev
	$(BIN)/python bench/run.py

# Time and peak memory of every hostile input; rewrites RELIABILITY.md's table (section 8.5).
.PHONY: bench-hostile
bench-hostile: setup-dev
	$(BIN)/python bench/hostile.py --update-reliability

# Rebuild layers/core/newswatch/domain/places.tsv from pycountry, countryinfo and GeoNames.
places-data: setup
	$(BIN)/pip install -q -e '.[gazetteer]'
	$(BIN)/python scripts/places_data.py

loadtest: setup-dev
	$(BIN)/newswatch local loadtest --count 1000

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache
