# The two commands: `make run` (whole system, no Docker) and `make test` (whole suite).
PY := .venv/bin/python
.DEFAULT_GOAL := help
.PHONY: help setup setup-checkov setup-localstack lock run demo test test-fast lint format schemas
# AWS=localstack: SQS, KMS and Secrets Manager on a native LocalStack, DynamoDB on moto.
AWS ?= moto
ifeq ($(AWS),localstack)
LOCAL_AWS := AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL-http://127.0.0.1:4566} \
	AWS_ENDPOINT_URL_DYNAMODB=$${AWS_ENDPOINT_URL_DYNAMODB-http://127.0.0.1:5055}
else
LOCAL_AWS := AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL-http://127.0.0.1:5055}
endif

# Every target is listed here; tests/infra/test_makefile.py fails when one is missing.
help:
	@echo "make run              start Postgres, moto, the Mercado Pago simulator, 5 services and the gateway"
	@echo "                      (AWS=localstack: SQS, KMS and Secrets Manager on LocalStack instead)"
	@echo "make demo             walk one order from the totem to DELIVERED against the running stack"
	@echo "make test             the whole test suite + the per-service coverage gate (COVERAGE_MIN)"
	@echo "make test-fast        the suite without the end-to-end, infra, reliability and LocalStack tests"
	@echo "make lint             ruff + mypy + import contracts + deptry (every import declared)"
	@echo "make format           ruff --fix and ruff format"
	@echo "make bench            API vs a bare ceiling, pipeline vs a bare SQS floor, peak RSS; a PNG chart"
	@echo "make schemas          regenerate common/schemas/ (JSON Schema of every event)"
	@echo "make lock             re-resolve requirements.lock + requirements-dev.lock from pyproject.toml"
	@echo "make setup            the virtualenv from the hashed locks (every target runs it)"
	@echo "make setup-checkov    checkov in .venv-checkov (make test runs it)"
	@echo "make setup-localstack LocalStack in .venv-localstack (Python >= 3.12)"
	@echo "make browser          Chromium for the browser tests (make test runs it)"
	@echo "make dlq              list the DLQs' depths; ARGS=\"show|redrive <queue>\""
	@echo "make trace            ORDER=<uuid>: one order's timeline"
	@echo "make compose-up       the services as containers (docker compose), gateway on :8080"
	@echo "make compose-down     stop them and drop their volumes"
	@echo "make help             this list"

setup:
	@scripts/setup.sh
ifeq ($(AWS),localstack)
	@scripts/setup-localstack.sh
endif

# checkov for tests/infra only: it has its own venv (an older boto3) and make run needs none.
setup-checkov:
	@scripts/setup-checkov.sh

# After a change to the dependencies of pyproject.toml (scripts/lock.sh says how).
lock:
	@scripts/lock.sh

# LocalStack's own virtualenv (Python >= 3.12): make run AWS=localstack, tests/localstack/.
setup-localstack:
	@scripts/setup-localstack.sh

run: setup
	$(PY) -m infra.local.stack --aws $(AWS)

demo: setup
	$(PY) -m infra.local.demo

# Two workers: the Terraform apply mostly waits on the provider, the stacks on moto.
# Under coverage (pyproject [tool.coverage.run]): the workers and every Python process they
# start are measured; the gate then prints the per-service table and fails under COVERAGE_MIN
# percent per service (README "Tests"). The gate runs after a failed pytest too (its table
# still helps), and make fails if either failed.
# 90 is the target (issue 16), printed per service; the gate holds the highest floor every
# service passes today (order measured 87.3 % without tests/tracking): raise it as they reach 90.
COVERAGE_MIN ?= 80
test: setup setup-checkov setup-localstack browser
	@rm -rf test-artifacts/coverage && mkdir -p test-artifacts/coverage
	COVERAGE_FILE=$(CURDIR)/test-artifacts/coverage/.coverage $(PY) -m coverage run -m pytest -n 2; \
	status=$$?; $(PY) -m tests.coverage_gate --min $(COVERAGE_MIN) || status=1; exit $$status

test-fast: setup
	$(PY) -m pytest -m "not e2e and not infra and not reliability and not localstack"

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy common auth catalog order payment production infra/local infra/ops bench
	$(PY) -m infra.ops.layers
	$(PY) -m deptry .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

schemas: setup
	$(PY) -m common.schema_export

.PHONY: compose-up compose-down
compose-up:
	docker compose up --build -d
	@echo "gateway on http://localhost:8080 (docker compose ps for health)"

compose-down:
	docker compose down -v

.PHONY: dlq
# make dlq                       list every DLQ's depth
# make dlq ARGS="show order-service-queue"   /  ARGS="redrive order-service-queue"
dlq: setup
	$(LOCAL_AWS) AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID-test} \
	AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY-test} $(PY) -m infra.ops.dlq $(or $(ARGS),list)

.PHONY: trace browser
# make trace ORDER=<order uuid>: one order's timeline (local stack defaults; on AWS set
# AWS_ENDPOINT_URL= and DB_*)
trace: setup
	DB_HOST=$${DB_HOST-127.0.0.1} DB_PORT=$${DB_PORT-5433} DB_USER=$${DB_USER-app} \
	$(LOCAL_AWS) AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID-test} \
	AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY-test} $(PY) -m infra.ops.trace $(ORDER)

browser:
	@scripts/install-browser.sh || echo "no Chromium: the browser tests will say why they skip"

.PHONY: bench
bench: setup  ## performance figures, not part of make test (docs/performance.md)
	$(PY) -m bench $(ARGS)
