"""Generates the git repository of 500 schema files that BENCHMARKS.md times `herald check --against-git` on.

    python3 bench/check_repo.py DIR [--proto 400] [--avro 100]

DIR becomes a git repository: branch `main` holds 400 .proto files (40 packages of 10 files, each file 5 messages
of 8 fields and an enum, importing the package's previous file and using a type from it) and 100 .avsc records of
10 fields; the checked-out branch `change` edits 16 of them: additions that every rule set accepts and breaking
changes (a field's type, a deleted field, a renamed enum value, a required Avro field without a default) that
`herald check` and `buf breaking` both report. Then time, from DIR:

    herald check --against-git main
    buf breaking --against '.git#branch=main'
"""

import argparse
import pathlib
import subprocess
import sys

TYPES = ["string", "int64", "bool", "bytes", "double", "int32", "uint64", "string"]


def proto_file(pkg: int, idx: int) -> str:
    package = f"bench.pkg{pkg:02}.v1"
    lines = ['syntax = "proto3";', "", f"package {package};", ""]
    if idx > 0:
        lines += [f'import "bench/pkg{pkg:02}/v1/file{idx - 1:02}.proto";', ""]
    for m in range(5):
        lines.append(f"// Message {m} of file {idx} in {package}.")
        lines.append(f"message F{idx:02}M{m} {{")
        for f in range(8):
            lines.append(f"  {TYPES[f]} field_{f} = {f + 1};")
        if idx > 0 and m == 0:
            lines.append(f"  F{idx - 1:02}M1 previous = 9;")
        lines.append(f"  F{idx:02}Kind kind = 10;")
        lines.append("}")
        lines.append("")
    lines.append(f"enum F{idx:02}Kind {{")
    for v, name in enumerate(["UNSPECIFIED", "SMALL", "MEDIUM", "LARGE"]):
        lines.append(f"  F{idx:02}_KIND_{name} = {v};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def avro_file(n: int) -> str:
    fields = ",\n".join(
        f'    {{"name": "field_{f}", "type": "{["string", "long", "boolean", "double", "int"][f % 5]}"}}'
        for f in range(10)
    )
    return (
        f'{{\n  "type": "record",\n  "name": "Event{n:03}",\n  "namespace": "bench.avro",\n'
        f'  "fields": [\n{fields}\n  ]\n}}\n'
    )


def git(repo: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=pathlib.Path)
    parser.add_argument("--proto", type=int, default=400, help="number of .proto files (multiple of 10)")
    parser.add_argument("--avro", type=int, default=100, help="number of .avsc files")
    args = parser.parse_args()
    repo: pathlib.Path = args.dir
    if repo.exists() and any(repo.iterdir()):
        print(f"{repo} exists and is not empty", file=sys.stderr)
        return 2
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@herald.invalid")
    git(repo, "config", "user.name", "bench")

    protos = {}
    for pkg in range(args.proto // 10):
        for idx in range(10):
            path = repo / f"bench/pkg{pkg:02}/v1/file{idx:02}.proto"
            protos[(pkg, idx)] = path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(proto_file(pkg, idx))
    avros = []
    for n in range(args.avro):
        path = repo / f"avro/event{n:03}.avsc"
        avros.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(avro_file(n))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "schemas")

    git(repo, "checkout", "-q", "-b", "change")
    packages = args.proto // 10
    edits = 0
    for k in range(12):
        path = protos[((k * 7) % packages, (k * 3) % 10)]
        text = path.read_text()
        if k % 3 == 0:  # compatible: a new field
            text = text.replace("  string field_0 = 1;\n", "  string field_0 = 1;\n  string added = 11;\n", 1)
        elif k % 3 == 1:  # breaking: a field's type
            text = text.replace("  int64 field_1 = 2;", "  string field_1 = 2;", 1)
        else:  # breaking: a deleted field and a deleted enum value
            text = text.replace("  bool field_2 = 3;\n", "", 1)
            text = text.replace("_KIND_LARGE = 3;", "_KIND_HUGE = 3;", 1)
        path.write_text(text)
        edits += 1
    for k in range(4 if avros else 0):
        path = avros[(k * 13) % len(avros)]
        text = path.read_text()
        if k % 2 == 0:  # compatible: a field with a default
            text = text.replace('"type": "string"}', '"type": "string"},\n    {"name": "added", "type": "string", "default": ""}', 1)
        else:  # breaking under BACKWARD: a new field without a default
            text = text.replace('"type": "string"}', '"type": "string"},\n    {"name": "added", "type": "string"}', 1)
        path.write_text(text)
        edits += 1
    git(repo, "commit", "-q", "-am", "changes")
    print(f"{repo}: {len(protos)} .proto + {len(avros)} .avsc files on main; branch change edits {edits}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
