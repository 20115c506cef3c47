"""Prints the median of every Avro-compat criterion benchmark, with apache-avro/Herald ratios and growth factors.

Run after `cargo bench -p herald-compat --bench avro_compat`:  python3 bench/criterion_medians.py
Reads target/criterion/<group>/<function>/<N>/new/estimates.json (criterion's own median estimate).
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def median_ms(group: str, function: str, n: int) -> float | None:
    path = ROOT / group / function / str(n) / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"] / 1e6


def fmt(ms: float | None) -> str:
    return "-" if ms is None else (f"{ms:.3f}" if ms < 10 else f"{ms:.1f}")


def main() -> int:
    sizes = [1000, 5000, 20000]
    functions = ["herald_check", "apache_avro_check", "herald_parse_check", "apache_avro_parse_check"]
    table = {(f, n): median_ms(f"compatible_{n}_fields", f, n) for f in functions for n in sizes}
    print("| N | " + " | ".join(f"{f} (ms)" for f in functions) + " | check ratio | parse+check ratio |")
    print("|---" * (len(functions) + 3) + "|")
    for n in sizes:
        cells = [fmt(table[(f, n)]) for f in functions]
        ratios = []
        for h, a in (("herald_check", "apache_avro_check"), ("herald_parse_check", "apache_avro_parse_check")):
            hv, av = table[(h, n)], table[(a, n)]
            ratios.append("-" if not hv or not av else f"{av / hv:.1f}x")
        print(f"| {n} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    print()
    for f in functions:
        a, b = table[(f, 5000)], table[(f, 20000)]
        if a and b:
            print(f"growth 5k -> 20k, {f}: {b / a:.1f}x (linear = 4x)")
    inc = median_ms("incompatible_5000_fields", "herald_check", 5000)
    if inc is not None:
        print(f"incompatible 5000 (100 mismatches, collect-all), herald_check: {fmt(inc)} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
