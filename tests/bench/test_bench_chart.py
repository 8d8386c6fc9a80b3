"""The bench's chart from a small made-up result: a real PNG, one panel per section."""

import random
from pathlib import Path

from PIL import Image

from bench.chart import write_chart
from bench.figures import FlowFigures
from bench.load import LoadResult
from bench.procs import Rss
from bench.stats import Latency


def load(name: str, scale: float, count: int = 200) -> LoadResult:
    rng = random.Random(name)
    result = LoadResult(name, seconds=2.0)
    result.latencies = [rng.expovariate(1 / scale) for _ in range(count)]
    result.statuses.update({"201": count, "503": 3})
    return result


def flow(name: str, scale: float) -> FlowFigures:
    latency = Latency.of([scale * i for i in range(1, 51)])
    return FlowFigures(name, 50, 50, 10.0, latency, latency, latency)


def test_chart_of_every_section_is_a_valid_png(tmp_path: Path) -> None:
    api = [load("POST /order 1 item", 0.02), load("ceiling 1 item", 0.005)]
    flows = (flow("pipeline", 0.1), flow("SQS floor", 0.02))
    rss = [("order", Rss(3, 120_000, 90_000)), ("moto", Rss(1, 300_000, 250_000))]
    path = write_chart(tmp_path / "report.png", api=api, flows=flows, rss=rss)
    assert path == tmp_path / "report.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()  # the whole file decodes, not just its signature
    with Image.open(path) as image:
        width, height = image.size
        assert width >= 800 and height >= 3 * 300  # three panels stacked
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 10  # drawn


def test_chart_draws_only_what_was_measured(tmp_path: Path) -> None:
    assert write_chart(tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
    path = write_chart(tmp_path / "api.png", api=[load("POST /order", 0.02), load("ceiling", 0.01)])
    assert path is not None
    with Image.open(path) as image:
        assert image.size[1] < 3 * 300  # one panel
