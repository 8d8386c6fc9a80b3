#!/bin/sh
# Entrypoint of every service image (see Dockerfile).
#   api | worker | migrate [args...]  ->  python -m "$SERVICE.main" <role> [args...]
#   anything else                      ->  run as given (ECS sends full commands such as
#                                          `python -m order.main worker`; compose runs the
#                                          gateway, simulator and bootstrap this way)
# `exec` leaves python as the container's main process (under the init of `init: true` /
# ECS initProcessEnabled), so SIGTERM reaches it directly and it shuts down gracefully.
set -eu

if [ "$#" -eq 0 ]; then
  set -- api
fi

case "$1" in
  api | worker | migrate)
    exec python -m "${SERVICE:?SERVICE is not set (build with --build-arg SERVICE=...)}.main" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
