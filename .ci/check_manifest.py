"""CI gate: app.yaml validates against Slack's published manifest schema, and every Web API method
the code's scope table names asks only for scopes Slack's reference lists for that method."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "slack"


def main() -> int:
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text())
    major = manifest.get("_metadata", {}).get("major_version", 1)
    schema_path = SHARED / f"manifest.schema.{major}.0.0.json"
    if not schema_path.exists():
        print(f"manifest check: {schema_path} not found (CI expects ../shared beside the project)")
        return 1
    schema = json.loads(schema_path.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=str)
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"app.yaml: {where}: {error.message}")
    sys.path.insert(0, str(ROOT))
    from handlers.slack_api import METHOD_SCOPES

    problems = 0
    for method, scopes in sorted(METHOD_SCOPES.items()):
        ref_file = SHARED / "methods" / f"{method}.json"
        if not ref_file.exists():
            print(f"handlers/slack_api.py: {method} is not a Slack Web API method")
            problems += 1
            continue
        allowed = set(json.loads(ref_file.read_text()).get("scope", {}).get("bot") or [])
        extra = set(scopes) - allowed
        if extra:
            print(
                f"handlers/slack_api.py: {method} does not need {sorted(extra)}"
                f" (Slack lists {sorted(allowed)})"
            )
            problems += 1
        if allowed and not scopes:
            print(f"handlers/slack_api.py: {method} needs one of {sorted(allowed)}")
            problems += 1
    if errors or problems:
        return 1
    print(
        f"manifest ok: app.yaml matches schema {schema_path.name};"
        f" {len(METHOD_SCOPES)} methods checked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
