#!/usr/bin/env python3
"""Validate tinyvmm --report-json files against docs/report.schema.json.

A small validator for the JSON Schema subset the schema uses (type, enum,
required, properties, items), so no third-party package is needed.
usage: tests/validate_report.py REPORT.json [...]   (exit 1 on any error)
"""
import json
import os
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def validate(value, schema, path, errors):
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(type_ok(value, n) for n in names):
            errors.append(f"{path}: {value!r} is not {names}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing '{key}'")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                validate(value[key], sub, f"{path}.{key}", errors)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], f"{path}[{i}]", errors)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "docs", "report.schema.json")) as f:
        schema = json.load(f)
    bad = 0
    for name in sys.argv[1:]:
        errors = []
        try:
            with open(name) as f:
                validate(json.load(f), schema, "$", errors)
        except (OSError, ValueError) as e:
            errors.append(str(e))
        for e in errors:
            print(f"{name}: {e}")
        print(f"{name}: {'valid' if not errors else 'INVALID'}")
        bad += bool(errors)
    return 1 if bad or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
