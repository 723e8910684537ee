"""Benchmark: import a register of 100,000 residents, then import the same file again.

    python bench/import_residents.py                       # SQLite file in a temp dir
    python bench/import_residents.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

On PostgreSQL a dedicated database `consult_bench` is created on that server (dropped first if it
exists, and dropped again afterwards unless --keep). The import runs through the real service,
consult.registry.service.import_residents, in one transaction. Prints one JSON document:
{"backend", "rows", "seconds", "peak_memory_mb", "rows_per_second", "reimport_seconds", ...}.
Target (issue #2): under 20 s and under 500 MB on both backends; --check exits 1 if missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from scratch_db import drop_postgres, prepare_postgres

from consult import create_app
from consult.actor import Actor
from consult.config import Config, normalise_database_url
from consult.crypto.fields import generate_master_key
from consult.demo.people import CSV_HEADER, RegisterGenerator
from consult.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 20.0
TARGET_MEMORY_MB = 500.0
BENCH_DATABASE = "consult_bench"


def write_register(path: Path, rows: int, seed: int = 1) -> int:
    """Write `rows` residents (households of 1 to 5, ~97% with ID numbers) to a CSV file."""
    rng = random.Random(seed)
    gen = RegisterGenerator(rng, date(2026, 9, 1))
    written = 0
    n = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        while written < rows:
            n += 1
            group = f"第{n % 40 + 1}居民小组"
            # 20 districts, so the ID numbers' (area, birth date, sequence) space never runs out.
            area = f"1101{n % 20 + 1:02d}"
            for person in gen.household(f"H{n:06d}", group, area=area, without_id_share=0.03):
                if written == rows:
                    break
                writer.writerow(person.row())
                written += 1
    return written


def peak_memory_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def run(rows: int, database_url: str | None, keep: bool, workdir: Path) -> dict[str, Any]:
    from flask_migrate import upgrade

    from consult.registry.service import create_community, import_residents

    csv_path = workdir / "residents.csv"
    generated = write_register(csv_path, rows)
    if database_url:
        url = prepare_postgres(database_url, BENCH_DATABASE)
        backend = "postgresql"
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
        backend = "sqlite"

    config = Config()
    config.INSTANCE_PATH = workdir / "instance"
    config.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
    config.SECRET_KEY = "bench"  # a throwaway instance
    config.FIELD_KEY = generate_master_key()
    app = create_app(config)
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            actor = Actor.system("bench")
            community = create_community(actor, "bench", "基准测试社区", "urban")
            db.session.commit()
            cipher = app.extensions["consult.field_cipher"]
            data = csv_path.read_bytes()

            started = time.perf_counter()
            first = import_residents(actor, community, data, cipher)
            db.session.commit()
            seconds = time.perf_counter() - started
            memory = peak_memory_mb()

            started = time.perf_counter()
            again = import_residents(actor, community, data, cipher)
            db.session.commit()
            reimport_seconds = time.perf_counter() - started
            db.engine.dispose()
    finally:
        if database_url and not keep:
            drop_postgres(database_url, BENCH_DATABASE)

    unchanged_ok = again.created == 0 and again.updated == 0 and again.unchanged == generated
    return {
        "backend": backend,
        "rows": generated,
        "created": first.created,
        "seconds": round(seconds, 2),
        "peak_memory_mb": memory,
        "rows_per_second": round(generated / seconds),
        "reimport_seconds": round(reimport_seconds, 2),
        "reimport_changed_nothing": unchanged_ok,
        "peak_memory_mb_after_reimport": peak_memory_mb(),
        "target": {"seconds": TARGET_SECONDS, "peak_memory_mb": TARGET_MEMORY_MB},
        "target_met": seconds < TARGET_SECONDS and memory < TARGET_MEMORY_MB and unchanged_ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL (postgresql://user@host:port/db); "
        f"the benchmark uses its own database {BENCH_DATABASE} there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as tmp:
        result = run(args.rows, args.database_url, args.keep, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.check and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
