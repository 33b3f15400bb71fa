# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""`make bench`: measure every registered library against its floor; report, never fail."""

from __future__ import annotations

import sys
import time

from bench import etcd, http, innodb_cluster, kafka, zookeeper
from bench.cases import BenchCase
from bench.measure import measure_case, measure_import
from bench.report import print_report, write_json
from bench.results import CaseResult, ImportCost

# Every case of every library; a new library adds its module's CASES here.
CASES: tuple[BenchCase, ...] = (
    *etcd.CASES,
    *zookeeper.CASES,
    *kafka.CASES,
    *http.CASES,
    *innodb_cluster.CASES,
)


def main(cases: tuple[BenchCase, ...]) -> int:
    """Measure each case, print the tables and write the JSON report."""
    started = time.perf_counter()
    results = measure_all(cases)
    print_report(results)
    path = write_json(results)
    print(f"\nwrote {path} in {time.perf_counter() - started:.0f} s")
    return 0


def measure_all(cases: tuple[BenchCase, ...]) -> list[CaseResult]:
    """Measure every case, each library's import cost only once."""
    import_costs: dict[str, ImportCost] = {}
    results: list[CaseResult] = []
    for case in cases:
        if case.module not in import_costs:
            _progress(f"measuring the import of {case.module}")
            import_costs[case.module] = measure_import(case.module)
        _progress(f"measuring {case.title}")
        results.append(measure_case(case, import_costs[case.module]))
    return results


def _progress(message: str) -> None:
    # On stderr, so that stdout holds the report alone.
    print(f"bench: {message}…", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main(CASES))
