# syntax=docker/dockerfile:1
# One image per service, chosen by the build arg SERVICE (auth, catalog, order, payment, production):
#   docker build --build-arg SERVICE=order -t fastfood/order .
# The image holds common/, the service package and the local/ops tools of infra/. It runs
# `python -m $SERVICE.main api` by default; `worker` and `migrate` select the other roles, and a
# full command (`python -m order.main worker`, as the ECS task definitions send it) runs as given.

FROM python:3.11.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
# Dependencies before the source: this layer is rebuilt only when the pins change. The runtime
# lock only (the test and lint tools of requirements-dev.lock have no place in a production
# image), each file checked against its hash, nothing resolved at build time (--no-deps).
COPY requirements.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

FROM python:3.11.11-slim-bookworm AS runtime
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<auth|catalog|order|payment|production>" >&2; exit 1; } \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 infra/compose/entrypoint.sh /usr/local/bin/fastfood-entrypoint
COPY common/ common/
COPY infra/__init__.py infra/
COPY infra/local/ infra/local/
# The gateway's route table, the one Terraform deploys (infra/local/routes.py).
COPY infra/terraform/routes.json infra/terraform/
COPY infra/ops/ infra/ops/
COPY ${SERVICE}/ ${SERVICE}/
# Bytecode compiled now, as root: on ECS the root filesystem is read-only at run time.
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
# Liveness of the API role without curl: GET /<service>/health on the API port. Worker and
# one-shot containers disable it (docker-compose.yml); ECS uses the ALB health check instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/%s/health' % (os.environ.get('PORT', '8000'), os.environ['SERVICE']), timeout=4)"]
ENTRYPOINT ["fastfood-entrypoint"]
CMD ["api"]
