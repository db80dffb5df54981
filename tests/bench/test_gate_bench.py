"""The gate benchmark's own helpers: quantiles and the independent pruned minimum."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from benchmarks.bench_gate import pruned_minimum, quantile

from rastup_data.lake.layout import LakeLayout


def test_quantile_picks_the_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.5) == 51.0
    assert quantile(values, 0.95) == 96.0
    assert quantile([3.0], 0.95) == 3.0


def test_pruned_minimum_sums_the_kept_partitions_columns(tmp_path: Path) -> None:
    layout = LakeLayout(tmp_path / "lake")
    sizes = {}
    for day in ("2026-01-01", "2026-01-02"):
        folder = layout.bronze_events / f"dt={day}"
        folder.mkdir(parents=True)
        table = pa.table({"a": list(range(5000)), "b": [f"x{i}" for i in range(5000)]})
        pq.write_table(table, folder / "f.parquet", row_group_size=1000)
        meta = pq.ParquetFile(folder / "f.parquet").metadata
        sizes[day] = sum(
            meta.row_group(g).column(1).total_compressed_size for g in range(meta.num_row_groups)
        )
    assert pruned_minimum(layout, {"b"}, lambda d: d == "2026-01-02") == sizes["2026-01-02"]
    assert pruned_minimum(layout, {"b"}, lambda d: True) == sum(sizes.values())
    assert pruned_minimum(layout, {"nope"}, lambda d: True) == 0
