"""Python anchor for Herald's Avro compatibility benchmark (compat/benches/avro_compat.rs).

Times python-avro 1.12.x's ReaderWriterCompatibilityChecker (what Karapace uses) on the same generated
schemas as the criterion bench: record `Big` with N fields cycling through
int (new: long) | string | ["null","double"] default null | Sub_i{a:int,b:string,c:array<long>}
(new: + d string default "") | enum E_i of 4 symbols (new: 5); reader = new, writer = old (compatible).
The JSON text is byte-identical to the Rust generator's.

    python3 -m venv /tmp/avro-venv && /tmp/avro-venv/bin/pip install 'avro==1.12.*'
    /tmp/avro-venv/bin/python bench/python/avro_anchor.py --sizes 1000 5000 --runs 5
"""

import argparse
import statistics
import sys
import time

import avro
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


def big_record(n: int, new: bool) -> str:
    fields = []
    for i in range(n):
        k = i % 5
        if k == 0:
            ty = "long" if new else "int"
            fields.append(f'{{"name":"f{i}","type":"{ty}"}}')
        elif k == 1:
            fields.append(f'{{"name":"f{i}","type":"string"}}')
        elif k == 2:
            fields.append(f'{{"name":"f{i}","type":["null","double"],"default":null}}')
        elif k == 3:
            extra = ',{"name":"d","type":"string","default":""}' if new else ""
            fields.append(
                f'{{"name":"f{i}","type":{{"type":"record","name":"Sub_{i}","fields":[{{"name":"a","type":"int"}},'
                f'{{"name":"b","type":"string"}},{{"name":"c","type":{{"type":"array","items":"long"}}}}{extra}]}}}}'
            )
        else:
            extra = ',"E"' if new else ""
            fields.append(
                f'{{"name":"f{i}","type":{{"type":"enum","name":"E_{i}","symbols":["A","B","C","D"{extra}]}}}}'
            )
    return '{"type":"record","name":"Big","fields":[' + ",".join(fields) + "]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dump", type=int, metavar="N", help="print the old and new schema for N fields and exit")
    args = ap.parse_args()

    if args.dump:
        print(big_record(args.dump, False))
        print(big_record(args.dump, True))
        return 0

    print(f"python {sys.version.split()[0]}, avro {avro.__version__}")
    print(f"{'N':>6}  {'check median ms':>16}  {'min':>9}  {'max':>9}  {'parse both ms':>14}  runs")
    for n in args.sizes:
        old_text, new_text = big_record(n, False), big_record(n, True)
        checks, parses = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reader = avro.schema.parse(new_text)
            writer = avro.schema.parse(old_text)
            t1 = time.perf_counter()
            result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
            t2 = time.perf_counter()
            if result.compatibility is not SchemaCompatibilityType.compatible:
                raise SystemExit(f"python-avro says {result.compatibility} at N={n}: {result.messages}")
            parses.append((t1 - t0) * 1e3)
            checks.append((t2 - t1) * 1e3)
        print(
            f"{n:>6}  {statistics.median(checks):>16.1f}  {min(checks):>9.1f}  {max(checks):>9.1f}  "
            f"{statistics.median(parses):>14.1f}  {args.runs}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
