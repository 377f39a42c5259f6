#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate xfr output against the JSON Schemas in docs/schema/.

    tests/schema_check.py result FILE   # a --json document (or -o FILE)
    tests/schema_check.py stream FILE   # --json-stream output, every line
    tests/schema_check.py golden [DIR]  # every *.json / *.jsonl in DIR
                                        # (default tests/golden; error.* skipped:
                                        # the error document has its own shape)

Exit 0 when valid; otherwise print the first error and exit 1 (2 on usage).
Works with python3-jsonschema 4.x as Debian 12 ships it (RefResolver; the
stream schema's "end" event refers to result.schema.json).
"""
import json
import pathlib
import sys
import warnings

import jsonschema

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs" / "schema"


def load_schema(name):
    path = SCHEMA_DIR / name
    with open(path, encoding="utf-8") as f:
        return path.as_uri(), json.load(f)


def validator(name):
    uri, schema = load_schema(name)
    store = {}
    for other in ("result.schema.json", "stream-event.schema.json"):
        ouri, oschema = load_schema(other)
        store[ouri] = oschema
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver(base_uri=uri, referrer=schema, store=store)
    return cls(schema, resolver=resolver)


def first_error(v, doc):
    err = jsonschema.exceptions.best_match(v.iter_errors(doc))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(top)"
    return f"{where}: {err.message}"


def check_result(path):
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            return f"not JSON: {e}"
    return first_error(validator("result.schema.json"), doc)


def check_stream(path):
    v = validator("stream-event.schema.json")
    n = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                return f"line {n}: not terminated by a newline"
            try:
                ev = json.loads(line)
            except json.JSONDecodeError as e:
                return f"line {n}: not one JSON object: {e}"
            err = first_error(v, ev)
            if err:
                return f"line {n}: {err}"
    if n == 0:
        return "empty stream"
    return None


def check_golden(directory):
    """Validate every golden document and stream; print each failure, count them."""
    files = sorted(directory.glob("*.json")) + sorted(directory.glob("*.jsonl"))
    failed = 0
    for path in files:
        if path.stem == "error":
            continue
        check = check_result if path.suffix == ".json" else check_stream
        try:
            err = check(path)
        except OSError as e:
            err = f"cannot read: {e}"
        if err:
            print(f"{path}: {err}")
            failed += 1
    if not files:
        print(f"{directory}: no golden files")
        return 1
    return 1 if failed else 0


def main(argv):
    if len(argv) in (2, 3) and argv[1] == "golden":
        default = pathlib.Path(__file__).resolve().parent / "golden"
        return check_golden(pathlib.Path(argv[2]) if len(argv) == 3 else default)
    if len(argv) != 3 or argv[1] not in ("result", "stream"):
        print("usage: schema_check.py result|stream FILE | golden [DIR]", file=sys.stderr)
        return 2
    try:
        err = (check_result if argv[1] == "result" else check_stream)(argv[2])
    except OSError as e:
        err = f"cannot read: {e}"
    if err:
        print(f"{argv[2]}: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
