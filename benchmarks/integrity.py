"""Integrity checksum benchmark: rollwise's in-database checksum of a PostgreSQL table against `count(*)` (the
floor: one scan, no hashing) and against the two usual ways of fingerprinting a table in SQL.

    .venv/bin/python benchmarks/integrity.py [--rows 5000000] [--repeat 3]

Peers, on the same table and server, best of --repeat runs each:
  count(*)                  the floor (target: rollwise <= 2x); it reads no column values at all
  read every column         max() of each column: the floor for anything that looks at the values
  ordered md5               md5(string_agg(md5(t::text), '' ORDER BY id)), the common "dump and hash" recipe
  text-hash sum             sum(hashtextextended(t::text, 0)), order-independent but formats every row as text
Needs the postgresql Debian package (initdb). Takes about a minute for 5M rows on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rollwise.migrate.adapters.dialects import for_url  # noqa: E402
from support import services  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = services.start_postgres()
    try:
        url = services.create_database(server, "bench")
        dialect = for_url(url)
        engine = dialect.engine()
        with engine.connect() as conn:
            started = time.perf_counter()
            with conn.begin():
                conn.exec_driver_sql(
                    "CREATE TABLE big (id bigint PRIMARY KEY, email text NOT NULL, total numeric(12,2), "
                    "created_at timestamptz NOT NULL, note text)")
                conn.exec_driver_sql(
                    f"INSERT INTO big SELECT g, 'user' || g || '@example.com', (g %% 10000) / 100.0, "
                    f"timestamptz '2024-01-01' + g * interval '1 second', CASE WHEN g %% 7 = 0 THEN NULL "
                    f"ELSE md5(g::text) END FROM generate_series(1, {args.rows}) g")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE big")
        print(f"table big: {args.rows:,} rows, loaded in {time.perf_counter() - started:.1f}s")
        with engine.connect() as conn:
            def scalar(sql: str):
                return lambda: conn.exec_driver_sql(sql).all()

            floor = best(scalar("SELECT count(*) FROM big"), args.repeat)
            ours = best(lambda: dialect.checksum(conn, "big"), args.repeat)
            read_all = best(scalar("SELECT count(*), max(id), max(email), max(total), max(created_at), max(note) "
                                   "FROM big"), args.repeat)
            md5 = best(scalar("SELECT md5(string_agg(md5(big::text), '' ORDER BY id)) FROM big"), args.repeat)
            text_sum = best(scalar("SELECT sum(hashtextextended(big::text, 0)) FROM big"), args.repeat)
            checksum = dialect.checksum(conn, "big")
            conn.rollback()
        engine.dispose()
    finally:
        server.stop()
    print(f"\n{'method':<40} {'seconds':>8} {'x count(*)':>11}")
    for name, seconds in [("count(*) (floor)", floor), ("read every column (max of each)", read_all),
                          ("rollwise chunked checksum", ours),
                          ("ordered md5 of rows (string_agg)", md5), ("sum of hashtextextended(row::text)", text_sum)]:
        print(f"{name:<40} {seconds:>8.3f} {seconds / floor:>10.2f}x")
    print(f"\nrollwise checksum {checksum.checksum} over {checksum.rows:,} rows in {len(checksum.chunks)} chunks")
    ratio = ours / floor
    print(f"ratio rollwise/count(*) = {ratio:.2f} (target <= 2.00: {'met' if ratio <= 2 else 'NOT met'}); "
          f"rollwise/read-every-column = {ours / read_all:.2f}")


if __name__ == "__main__":
    main()
