"""The competency x department heatmap of others' ratings computed by DuckDB from raw
answers, for the benchmark harness: the CSV that `roundtable seed --answers-csv` writes is
converted to Parquet once, then the heatmap's cells (mean, spread, responses per department
and competency, and the organisation's per competency) are computed from the Parquet file
and, separately, from a table held in memory. Prints one JSON object of timings in ms."""

import json
import os
import statistics
import sys
import time

import duckdb


def timed(con, sql, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[min(len(times) - 1, int(0.99 * len(times)))]}


def main():
    csv_path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    parquet = os.path.splitext(csv_path)[0] + ".parquet"
    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count()}")
    started = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_csv_auto('{csv_path}')) TO '{parquet}' (FORMAT parquet)")
    convert = (time.perf_counter() - started) * 1000.0
    cells = """
        SELECT department, competency_key, avg(score), stddev_pop(score), count(*)
        FROM {source} WHERE relationship <> 'self'
        GROUP BY GROUPING SETS ((department, competency_key), (competency_key))
    """
    rows = con.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0]
    from_parquet = timed(con, cells.format(source=f"'{parquet}'"), runs)
    con.execute(f"CREATE TABLE answers AS SELECT * FROM '{parquet}'")
    in_memory = timed(con, cells.format(source="answers"), runs)
    print(json.dumps({"rows": rows, "convert_ms": convert, "parquet": from_parquet, "memory": in_memory}))


if __name__ == "__main__":
    main()
