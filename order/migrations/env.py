from common.migrations_env import run
from order.repository import metadata

run(metadata)
