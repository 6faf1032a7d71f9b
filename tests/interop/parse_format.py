"""Parses stdin with a real parser and prints what it read as JSON.

Usage: parse_format.py dotenv|yaml|hcl < file

dotenv: python-dotenv's dotenv_values (with its default interpolation on);
yaml: PyYAML's safe_load_all (every document); hcl: python-hcl2's loads.
"""
import io
import json
import sys


def main() -> None:
    kind = sys.argv[1]
    text = sys.stdin.read()
    if kind == "dotenv":
        from dotenv import dotenv_values

        result = dict(dotenv_values(stream=io.StringIO(text)))
    elif kind == "yaml":
        import yaml

        result = list(yaml.safe_load_all(text))
    elif kind == "hcl":
        import hcl2
        from hcl2.utils import SerializationOptions

        options = SerializationOptions(strip_string_quotes=True, with_comments=False)
        result = hcl2.loads(text, serialization_options=options)
    else:
        raise SystemExit(f"unknown format {kind}")
    json.dump(result, sys.stdout, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
