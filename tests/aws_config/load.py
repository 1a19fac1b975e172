"""Reads every AWS config file accessc wrote, with Python's configparser and
with botocore's own loader, and prints what it found as JSON.

Usage: python load.py FILE...

For each file: its sections (configparser), and for each profile the
configuration botocore resolves for it (`Session(profile=...)`), with the
sso-session it names (`SSOProvider._load_sso_config`, which is how the AWS CLI
and the SDKs read an `aws configure sso` profile).
"""
import configparser
import json
import os
import sys

import botocore.credentials
import botocore.session

out = {}
for path in sys.argv[1:]:
    parser = configparser.ConfigParser(interpolation=None)
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    sections = {name: dict(parser[name]) for name in parser.sections()}
    os.environ["AWS_CONFIG_FILE"] = path
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    base = botocore.session.Session()
    profiles = {}
    for name in base.available_profiles:
        session = botocore.session.Session(profile=name)
        scoped = dict(session.get_scoped_config())
        provider = botocore.credentials.SSOProvider(
            load_config=lambda s=session: s.full_config,
            client_creator=session.create_client,
            profile_name=name,
            cache={},
            token_cache={},
        )
        sso = provider._load_sso_config()
        profiles[name] = {"scoped": scoped, "sso": sso}
    out[path] = {
        "sections": sections,
        "profiles": profiles,
        "sso_sessions": {k: dict(v) for k, v in base.full_config.get("sso_sessions", {}).items()},
    }
json.dump(out, sys.stdout, sort_keys=True)
