"""`python -m bench [--orders 300] [--rate 10] [--concurrency 16] ...` (make bench)."""

import argparse
import time
from pathlib import Path

from bench.chart import write_chart
from bench.phases import ApiOptions
from bench.result import BenchOptions
from bench.run import run_bench
from infra.local.processes import REPO_ROOT


def parse(argv: list[str] | None = None) -> tuple[BenchOptions, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders through the pipeline")
    parser.add_argument("--rate", type=float, default=10.0, help="orders created per second")
    parser.add_argument("--concurrency", type=int, default=16, help="API load concurrency")
    parser.add_argument("--api-requests", type=int, default=500, help="per round and target")
    parser.add_argument("--api-warmup", type=int, default=100, help="per round, not counted")
    parser.add_argument("--api-rounds", type=int, default=2)
    parser.add_argument(
        "--api-with-workers",
        action="store_true",
        help="keep the workers running during the API phase (default: paused)",
    )
    parser.add_argument(
        "--no-direct", action="store_true", help="skip the pair measured without the gateway"
    )
    parser.add_argument(
        "--approve-after",
        type=float,
        default=0.5,
        help="seconds the simulator waits before approving each Pix (the customer paying)",
    )
    parser.add_argument("--pipeline-timeout", type=float, default=240.0)
    parser.add_argument("--queue-wait-seconds", type=int, default=20, help="SQS long poll")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also record py-spy profiles of the order and catalog APIs and the workers",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="write the table here (default: LOG_DIR/report.md); its chart goes beside it as .png",
    )
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / "test-artifacts" / "bench")
    args = parser.parse_args(argv)
    options = BenchOptions(
        orders=args.orders,
        rate=args.rate,
        api=ApiOptions(
            args.concurrency,
            args.api_requests,
            args.api_warmup,
            args.api_rounds,
            pause_workers=not args.api_with_workers,
            direct=not args.no_direct,
        ),
        pipeline_timeout=args.pipeline_timeout,
        queue_wait_seconds=args.queue_wait_seconds,
        log_dir=args.log_dir,
        profile_dir=args.profile,
        approve_after_seconds=args.approve_after,
        skip_api=args.skip_api,
        skip_pipeline=args.skip_pipeline,
    )
    return options, args.output


def main() -> None:
    options, output = parse()
    started = time.monotonic()
    result = run_bench(options)
    table = result.render(options)
    print(f"\n{table}\n\nbench took {time.monotonic() - started:.0f} s", flush=True)
    report = output or options.log_dir / "report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(table + "\n")
    chart = write_chart(
        report.with_suffix(".png"), api=result.api, flows=result.flows, rss=result.rss
    )
    print(f"report: {report}" + (f", chart: {chart}" if chart else ""), flush=True)


if __name__ == "__main__":
    main()
