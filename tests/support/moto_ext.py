#!/usr/bin/env python3
"""moto server with IAM Identity Center (sso-admin) behaviour as AWS documents it.

The tests of `accessc plan | apply | drift | org snapshot` (tests/aws*.rs) run
against this launcher. It imports moto's own server (organizations and
identitystore as moto ships them) and replaces moto's sso-admin handlers with
the implementation below, written from the IAM Identity Center API Reference:
moto 5.2 leaves permissions boundaries, tags, access-control attributes and
provisioning status unimplemented (HTTP 500), nulls the fields an
UpdatePermissionSet omits, stores an integer session duration, adds duplicate
assignment rows, ignores the set in ListAccountsForProvisionedPermissionSet,
completes asynchronous operations at once and validates nothing.
docs/aws.md lists every difference.

Usage:  python moto_ext.py --port PORT [--host 127.0.0.1] [--account-id 123456789012]
                          [--op-delay SECONDS] [--max-outstanding 15]

Test-only control endpoints (not AWS APIs), all JSON:
  POST /_accessc/seed      {"org": <accessc-org/1 snapshot>, "groups": {display: id|null},
                            "users": {user_name: id|null},
                            "instance": {"arn", "identity_store_id"} (optional)}
                           -> {"instance_arn", "identity_store_id"}
  GET  /_accessc/stats     request counts per service:Action and async-operation figures
  POST /_accessc/stats/reset
  POST /_accessc/faults    {"fail": [{"permission_set": NAME, "account": ID, "reason": TEXT}],
                            "op_delay": SECONDS,
                            "stuck_token": BOOL (every listing answers its first page
                            with one NextToken that never ends, as a broken endpoint might),
                            "deny": [ACTION, ...] (these actions, of any service, are answered
                            AccessDeniedException, as AWS answers a role whose policy does
                            not allow them),
                            "inline_text": {SET_NAME: TEXT} (GetInlinePolicyForPermissionSet
                            answers TEXT for that set, as a broken endpoint might)}
  POST /_accessc/load      {"ir": <accessc IR>}: the live state the IR describes, at once (benchmarks)

An access key starting with EXPIRED is answered ExpiredTokenException, as AWS
answers a request signed with an expired session token; one starting with
DENIED is answered AccessDeniedException, as AWS answers a role whose policy
does not allow the action.
"""

import argparse
import base64
import json
import os
import re
import sys
import threading
import time
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--account-id", default="123456789012")
parser.add_argument("--op-delay", type=float, default=0.0)
parser.add_argument("--max-outstanding", type=int, default=15)
ARGS = parser.parse_args()
# moto reads the caller's account from here on every request.
os.environ["MOTO_ACCOUNT_ID"] = ARGS.account_id
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from werkzeug.serving import run_simple  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.core.responses import BaseResponse  # noqa: E402
from moto.identitystore.models import identitystore_backends  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.organizations import utils as org_utils  # noqa: E402
from moto.organizations.models import organizations_backends  # noqa: E402
from moto.ssoadmin.models import ssoadmin_backends  # noqa: E402
from moto.ssoadmin.responses import SSOAdminResponse  # noqa: E402
from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: E402

LOCK = threading.RLock()
STATS = {"calls": {}, "total": 0, "max_outstanding": 0, "account_overlaps": 0,
         "throttled_outstanding": 0}
FAULTS = {"fail": [], "op_delay": ARGS.op_delay, "stuck_token": False, "deny": [],
          "inline_text": {}}
STUCK_TOKEN = base64.b64encode(b"stuck").decode()


# --------------------------------------------------------------------------
# Errors, in the awsJson1_1 shape the SDKs parse (`__type`, `message`).

def err(kind, message):
    return JsonRESTError(kind, message)


def validation(message):
    return err("ValidationException", message)


def not_found(message):
    return err("ResourceNotFoundException", message)


def conflict(message):
    return err("ConflictException", message)


# --------------------------------------------------------------------------
# Validation patterns from the API Reference.

INSTANCE_ARN = re.compile(r"^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$")
PS_ARN = re.compile(r"^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$")
PS_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")
DESCRIPTION = re.compile(r"^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]{1,700}$")
RELAY = re.compile(r"^[a-zA-Z0-9&$@#\\/%?=~\-_'\"|!:,.;*+\[\] (){}]{1,240}$")
DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
PRINCIPAL_ID = re.compile(r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$")
TAG_KEY = re.compile(r"^[\w+=,.@-]{1,128}$")
TAG_VALUE = re.compile(r"^[\w+=,.@-]{0,256}$")
CMP_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
CMP_PATH = re.compile(r"^((/[A-Za-z0-9\.,\+@=_-]+)*)/$")
INLINE = re.compile(r"^[\u0009\u000A\u000D\u0020-\u00FF]{1,32768}$")
ATTR_KEY = re.compile(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$".replace(r"\p{L}\p{Z}\p{N}", r"\w\s"))

_managed = None


def managed_policy_exists(arn):
    global _managed
    if _managed is None:
        _managed = set()
        # moto's own check reads a lowercase `path` key that its data does
        # not have, so it rejects every job-function policy; the key is `Path`.
        for name, p in json.loads(aws_managed_policies_data).items():
            _managed.add(f"arn:aws:iam::aws:policy{p.get('Path', '/')}{name}")
    return arn in _managed


def duration_seconds(text):
    m = DURATION.match(text or "")
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(x) if x else 0 for x in m.groups())
    return h * 3600 + mi * 60 + s


def page(items, params, default=100):
    """MaxResults / NextToken pagination (opaque offset tokens)."""
    max_results = params.get("MaxResults")
    if max_results is None:
        max_results = default
    if not isinstance(max_results, int) or not 1 <= max_results <= 100:
        raise validation("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100")
    if FAULTS["stuck_token"]:
        return items[:max_results], STUCK_TOKEN
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(base64.b64decode(token).decode())
        except Exception:
            raise validation("Invalid NextToken")
    chunk = items[start:start + max_results]
    nxt = None
    if start + max_results < len(items):
        nxt = base64.b64encode(str(start + max_results).encode()).decode()
    return chunk, nxt


# --------------------------------------------------------------------------
# State: one per (account, region), kept on moto's backend object so that
# POST /moto-api/reset clears it with everything else.

class PermissionSet:
    def __init__(self, arn, name, description, session, relay, instance_arn):
        self.arn = arn
        self.name = name
        self.description = description
        self.session = session
        self.relay = relay
        self.instance_arn = instance_arn
        self.created = time.time()
        self.managed = []          # ARNs, attach order
        self.customer = []         # (name, path)
        self.inline = None
        self.boundary = None       # {"ManagedPolicyArn": ..} | {"CustomerManagedPolicyReference": ..}
        self.tags = {}             # key -> value, insertion order
        self.version = 1           # bumped on every change that reaches the IAM roles

    def describe(self):
        out = {"Name": self.name, "PermissionSetArn": self.arn,
               "CreatedDate": self.created, "SessionDuration": self.session}
        if self.description is not None:
            out["Description"] = self.description
        if self.relay is not None:
            out["RelayState"] = self.relay
        return out


class Operation:
    """One asynchronous request: an assignment creation or deletion, or a provisioning."""

    def __init__(self, kind, fields, accounts, effect, failure):
        self.kind = kind            # "create" | "delete" | "provision"
        self.request_id = str(uuid.uuid4())
        self.fields = fields
        self.accounts = accounts
        self.effect = effect
        self.failure = failure
        self.created = time.time()
        self.done_at = time.monotonic() + FAULTS["op_delay"]
        self.status = "IN_PROGRESS"
        self.reason = None

    def settle(self, now):
        if self.status != "IN_PROGRESS" or now < self.done_at:
            return
        if self.failure:
            self.status = "FAILED"
            self.reason = self.failure
        else:
            problem = self.effect()
            if problem:
                self.status = "FAILED"
                self.reason = problem
            else:
                self.status = "SUCCEEDED"

    def to_json(self):
        out = dict(self.fields)
        out.update({"RequestId": self.request_id, "Status": self.status,
                    "CreatedDate": self.created})
        if self.reason:
            out["FailureReason"] = self.reason
        return out


class State:
    def __init__(self, backend):
        self.backend = backend
        self.sets = {}              # arn -> PermissionSet
        self.assignments = {}       # (ps_arn, account, ptype, pid) -> True, insertion order
        self.provisioned = {}       # (ps_arn, account) -> version provisioned
        # Indexes, so that listing stays fast with 100,000 assignments.
        self.by_principal = {}      # (ptype, pid) -> {key: True}
        self.by_pair = {}           # (ps_arn, account) -> {key: True}
        self.prov_by_set = {}       # ps_arn -> {account: True}
        self.ops = []               # Operation, oldest first
        self.pending = []           # the IN_PROGRESS ones
        self.op_by_id = {}          # request id -> Operation
        self.abac = None            # {"attrs": [...], "status": ...}

    def instance(self, arn):
        if not arn or not INSTANCE_ARN.match(arn):
            raise validation(f"Value '{arn}' at 'instanceArn' failed to satisfy constraint")
        for i in self.backend.instances:
            if i.instance_arn == arn:
                return i
        raise not_found(f"Could not find Instance with arn {arn}")

    def pset(self, instance_arn, arn):
        self.instance(instance_arn)
        if not arn or not PS_ARN.match(arn):
            raise validation(f"Value '{arn}' at 'permissionSetArn' failed to satisfy constraint")
        ps = self.sets.get(arn)
        if ps is None or ps.instance_arn != instance_arn:
            raise not_found(f"Could not find PermissionSet with id {arn.split('/')[-1]}")
        return ps

    def settle(self):
        now = time.monotonic()
        for op in self.pending:
            op.settle(now)
        self.pending = [op for op in self.pending if op.status == "IN_PROGRESS"]

    def outstanding(self):
        return self.pending

    def start(self, op):
        busy = list(self.outstanding())
        if len(busy) >= ARGS.max_outstanding:
            STATS["throttled_outstanding"] += 1
            raise err("ThrottlingException",
                      f"Rate exceeded: more than {ARGS.max_outstanding} asynchronous requests are outstanding")
        touched = set(op.accounts)
        if any(touched & set(b.accounts) for b in busy):
            STATS["account_overlaps"] += 1
        self.ops.append(op)
        self.pending.append(op)
        self.op_by_id[op.request_id] = op
        STATS["max_outstanding"] = max(STATS["max_outstanding"], len(busy) + 1)
        # Like AWS, the request answers IN_PROGRESS; the effect lands when a
        # later request finds the operation's time has come.
        return op

    def changed(self, ps):
        """A change that reaches the roles: every provisioned account is now out of date."""
        ps.version += 1

    def accounts_of(self, ps_arn):
        return sorted(self.prov_by_set.get(ps_arn, {}))

    def add_assignment(self, key):
        self.assignments[key] = True
        self.by_principal.setdefault((key[2], key[3]), {})[key] = True
        self.by_pair.setdefault((key[0], key[1]), {})[key] = True

    def remove_assignment(self, key):
        self.assignments.pop(key, None)
        self.by_principal.get((key[2], key[3]), {}).pop(key, None)
        self.by_pair.get((key[0], key[1]), {}).pop(key, None)

    def provision(self, ps_arn, account, version):
        self.provisioned[(ps_arn, account)] = version
        self.prov_by_set.setdefault(ps_arn, {})[account] = True

    def unprovision(self, ps_arn, account):
        self.provisioned.pop((ps_arn, account), None)
        self.prov_by_set.get(ps_arn, {}).pop(account, None)

    def org_accounts(self):
        """The organization's account ids, or None when the caller has no organization."""
        account = self.backend.account_id
        try:
            org = organizations_backends[account]["aws"]
        except KeyError:
            return None
        if org.org is None:
            return None
        return {a.id for a in org.accounts}

    def principal_exists(self, identity_store_id, ptype, pid):
        try:
            store = identitystore_backends[self.backend.account_id][self.backend.region_name]
        except KeyError:
            return False
        data = store.identity_stores.get(identity_store_id)
        if data is None:
            return False
        return pid in (data.groups if ptype == "GROUP" else data.users)

    def failure_for(self, ps, account):
        for rule in FAULTS["fail"]:
            if rule.get("permission_set") in (None, ps.name) and rule.get("account") in (None, account):
                return rule.get("reason") or "injected failure"
        return None


def state_of(resp):
    backend = ssoadmin_backends[resp.current_account][resp.region]
    st = getattr(backend, "_accessc_state", None)
    if st is None:
        st = State(backend)
        backend._accessc_state = st
    return st


# --------------------------------------------------------------------------
# Handlers. Each is installed on moto's SSOAdminResponse under the snake_case
# name of the action, so moto's dispatcher finds it.

HANDLERS = {}


def handler(fn):
    HANDLERS[fn.__name__] = fn
    return fn


def params_of(resp):
    try:
        return json.loads(resp.body or "{}")
    except ValueError:
        raise err("SerializationException", "body is not JSON")


def run(resp, fn):
    with LOCK:
        st = state_of(resp)
        st.settle()
        p = params_of(resp)
        out = fn(st, p)
        return json.dumps(out if out is not None else {})


def make(name, fn):
    def method(self):
        return run(self, fn)
    method.__name__ = name
    return method


def check_tags(tags):
    if len(tags) > 50:
        raise validation("Tags: a resource has at most 50 tags")
    for t in tags:
        if not TAG_KEY.match(t.get("Key", "")):
            raise validation(f"Tag key '{t.get('Key')}' failed to satisfy constraint")
        if not TAG_VALUE.match(t.get("Value", "")):
            raise validation(f"Tag value '{t.get('Value')}' failed to satisfy constraint")


def check_session(value):
    secs = duration_seconds(value)
    if secs is None:
        raise validation(f"Value '{value}' at 'sessionDuration' failed to satisfy constraint: Member must satisfy ISO-8601 duration pattern")
    if not 3600 <= secs <= 43200:
        raise validation("SessionDuration must be between 1 hour (PT1H) and 12 hours (PT12H)")


@handler
def list_instances(st, p):
    items, nxt = page([i.to_json() for i in st.backend.instances], p)
    out = {"Instances": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def create_permission_set(st, p):
    inst = p.get("InstanceArn")
    st.instance(inst)
    name = p.get("Name") or ""
    if not PS_NAME.match(name):
        raise validation(f"Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    desc = p.get("Description")
    if desc is not None and not DESCRIPTION.match(desc):
        raise validation("Value at 'description' failed to satisfy constraint")
    session = p.get("SessionDuration", "PT1H")
    check_session(session)
    relay = p.get("RelayState")
    if relay is not None and not RELAY.match(relay):
        raise validation("Value at 'relayState' failed to satisfy constraint")
    tags = p.get("Tags") or []
    check_tags(tags)
    if any(ps.name == name and ps.instance_arn == inst for ps in st.sets.values()):
        raise conflict(f"PermissionSet with name {name} already exists.")
    ins_id = inst.split("/")[-1]
    arn = f"arn:aws:sso:::permissionSet/{ins_id}/ps-{uuid.uuid4().hex[:16]}"
    ps = PermissionSet(arn, name, desc, session, relay, inst)
    for t in tags:
        ps.tags[t["Key"]] = t.get("Value", "")
    st.sets[arn] = ps
    return {"PermissionSet": ps.describe()}


@handler
def describe_permission_set(st, p):
    return {"PermissionSet": st.pset(p.get("InstanceArn"), p.get("PermissionSetArn")).describe()}


@handler
def update_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    # AWS changes only the fields the request carries.
    if "Description" in p:
        if not DESCRIPTION.match(p["Description"] or ""):
            raise validation("Value at 'description' failed to satisfy constraint")
        ps.description = p["Description"]
    if "SessionDuration" in p:
        check_session(p["SessionDuration"])
        ps.session = p["SessionDuration"]
    if "RelayState" in p:
        if not RELAY.match(p["RelayState"] or ""):
            raise validation("Value at 'relayState' failed to satisfy constraint")
        ps.relay = p["RelayState"]
    st.changed(ps)
    return {}


@handler
def delete_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    if st.accounts_of(ps.arn):
        raise conflict(f"Permission set {ps.arn.split('/')[-1]} is provisioned to accounts; remove its account assignments first")
    del st.sets[ps.arn]
    return {}


@handler
def list_permission_sets(st, p):
    st.instance(p.get("InstanceArn"))
    arns = [a for a, ps in st.sets.items() if ps.instance_arn == p.get("InstanceArn")]
    items, nxt = page(arns, p)
    out = {"PermissionSets": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def put_inline_policy_to_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    doc = p.get("InlinePolicy") or ""
    if not INLINE.match(doc):
        raise validation("Value at 'inlinePolicy' failed to satisfy constraint: Member must have length less than or equal to 32768")
    try:
        json.loads(doc)
    except ValueError:
        raise validation("The policy is not in the valid JSON format.")
    ps.inline = doc
    st.changed(ps)
    return {}


@handler
def get_inline_policy_for_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    if ps.name in FAULTS["inline_text"]:
        return {"InlinePolicy": FAULTS["inline_text"][ps.name]}
    return {"InlinePolicy": ps.inline} if ps.inline else {}


@handler
def delete_inline_policy_from_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    ps.inline = None
    st.changed(ps)
    return {}


def attached_count(ps):
    return len(ps.managed) + len(ps.customer)


@handler
def attach_managed_policy_to_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    arn = p.get("ManagedPolicyArn") or ""
    if not managed_policy_exists(arn):
        raise not_found(f"Policy does not exist with ARN: {arn}")
    if arn in ps.managed:
        raise conflict(f"Permission set with id {ps.arn.split('/')[-1]} already has a typed link attachment to a managed policy with {arn}")
    if attached_count(ps) >= 20:
        raise err("ServiceQuotaExceededException", "Cannot attach managed policy: number of attached managed policies is already at maximum 20")
    ps.managed.append(arn)
    st.changed(ps)
    return {}


@handler
def detach_managed_policy_from_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    arn = p.get("ManagedPolicyArn")
    if arn not in ps.managed:
        raise not_found(f"Could not find ManagedPolicy with arn {arn}")
    ps.managed.remove(arn)
    st.changed(ps)
    return {}


@handler
def list_managed_policies_in_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    items, nxt = page([{"Arn": a, "Name": a.split("/")[-1]} for a in ps.managed], p)
    out = {"AttachedManagedPolicies": items}
    if nxt:
        out["NextToken"] = nxt
    return out


def cmp_ref(ref):
    if not isinstance(ref, dict) or not CMP_NAME.match(ref.get("Name") or ""):
        raise validation("Value at 'customerManagedPolicyReference.name' failed to satisfy constraint")
    path = ref.get("Path", "/")
    if not CMP_PATH.match(path) or len(path) > 512:
        raise validation("Value at 'customerManagedPolicyReference.path' failed to satisfy constraint")
    return (ref["Name"], path)


@handler
def attach_customer_managed_policy_reference_to_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    ref = cmp_ref(p.get("CustomerManagedPolicyReference"))
    if ref in ps.customer:
        raise conflict(f"Given customer managed policy with name: {ref[0]} and path {ref[1]} already attached")
    if attached_count(ps) >= 20:
        raise err("ServiceQuotaExceededException", "Cannot attach managed policy: number of attached managed policies is already at maximum 20")
    ps.customer.append(ref)
    st.changed(ps)
    return {}


@handler
def detach_customer_managed_policy_reference_from_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    ref = cmp_ref(p.get("CustomerManagedPolicyReference"))
    if ref not in ps.customer:
        raise not_found(f"Given managed policy with name: {ref[0]} and path {ref[1]} does not exist on PermissionSet")
    ps.customer.remove(ref)
    st.changed(ps)
    return {}


@handler
def list_customer_managed_policy_references_in_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    items, nxt = page([{"Name": n, "Path": pa} for (n, pa) in ps.customer], p)
    out = {"CustomerManagedPolicyReferences": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def put_permissions_boundary_to_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    b = p.get("PermissionsBoundary") or {}
    has_arn = bool(b.get("ManagedPolicyArn"))
    has_ref = b.get("CustomerManagedPolicyReference") is not None
    if has_arn == has_ref:
        raise validation("PermissionsBoundary must carry exactly one of ManagedPolicyArn and CustomerManagedPolicyReference")
    if has_arn:
        if not managed_policy_exists(b["ManagedPolicyArn"]):
            raise not_found(f"Policy does not exist with ARN: {b['ManagedPolicyArn']}")
        ps.boundary = {"ManagedPolicyArn": b["ManagedPolicyArn"]}
    else:
        name, path = cmp_ref(b["CustomerManagedPolicyReference"])
        ps.boundary = {"CustomerManagedPolicyReference": {"Name": name, "Path": path}}
    st.changed(ps)
    return {}


@handler
def get_permissions_boundary_for_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    if ps.boundary is None:
        raise not_found(f"Could not find PermissionsBoundary for PermissionSet {ps.arn.split('/')[-1]}")
    return {"PermissionsBoundary": ps.boundary}


@handler
def delete_permissions_boundary_from_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    if ps.boundary is None:
        raise not_found(f"Could not find PermissionsBoundary for PermissionSet {ps.arn.split('/')[-1]}")
    ps.boundary = None
    st.changed(ps)
    return {}


@handler
def tag_resource(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("ResourceArn"))
    tags = p.get("Tags") or []
    check_tags(tags)
    merged = dict(ps.tags)
    for t in tags:
        merged[t["Key"]] = t.get("Value", "")
    if len(merged) > 50:
        raise err("ServiceQuotaExceededException", "A permission set has at most 50 tags")
    ps.tags = merged
    return {}


@handler
def untag_resource(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("ResourceArn"))
    for k in p.get("TagKeys") or []:
        ps.tags.pop(k, None)
    return {}


@handler
def list_tags_for_resource(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("ResourceArn"))
    tags = [{"Key": k, "Value": v} for k, v in ps.tags.items()]
    items, nxt = page(tags, {"NextToken": p.get("NextToken"), "MaxResults": 50})
    out = {"Tags": items}
    if nxt:
        out["NextToken"] = nxt
    return out


def abac_config(p):
    cfg = p.get("InstanceAccessControlAttributeConfiguration") or {}
    attrs = cfg.get("AccessControlAttributes")
    if not isinstance(attrs, list) or len(attrs) > 50:
        raise validation("AccessControlAttributes must be a list of at most 50 attributes")
    keys = set()
    for a in attrs:
        key = a.get("Key") or ""
        if not ATTR_KEY.match(key):
            raise validation(f"Attribute key '{key}' failed to satisfy constraint")
        if key in keys:
            raise validation(f"Duplicate attribute key '{key}'")
        keys.add(key)
        src = (a.get("Value") or {}).get("Source")
        if not isinstance(src, list) or len(src) != 1 or not 0 <= len(src[0]) <= 256:
            raise validation("AccessControlAttributeValue.Source must hold exactly one string of at most 256 characters")
    return attrs


@handler
def create_instance_access_control_attribute_configuration(st, p):
    st.instance(p.get("InstanceArn"))
    if st.abac is not None:
        raise conflict("An access control attribute configuration already exists for this instance")
    st.abac = abac_config(p)
    return {}


@handler
def update_instance_access_control_attribute_configuration(st, p):
    st.instance(p.get("InstanceArn"))
    if st.abac is None:
        raise not_found("No access control attribute configuration exists for this instance")
    st.abac = abac_config(p)
    return {}


@handler
def describe_instance_access_control_attribute_configuration(st, p):
    st.instance(p.get("InstanceArn"))
    if st.abac is None:
        raise not_found("No access control attribute configuration exists for this instance")
    return {"Status": "ENABLED",
            "InstanceAccessControlAttributeConfiguration": {"AccessControlAttributes": st.abac}}


@handler
def delete_instance_access_control_attribute_configuration(st, p):
    st.instance(p.get("InstanceArn"))
    if st.abac is None:
        raise not_found("No access control attribute configuration exists for this instance")
    st.abac = None
    return {}


def assignment_params(st, p):
    inst = p.get("InstanceArn")
    instance = st.instance(inst)
    ps = st.pset(inst, p.get("PermissionSetArn"))
    if p.get("TargetType") != "AWS_ACCOUNT":
        raise validation("Value at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACCOUNT]")
    target = p.get("TargetId") or ""
    if not ACCOUNT_ID.match(target):
        raise validation(f"Value '{target}' at 'targetId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{{12}}")
    ptype = p.get("PrincipalType")
    if ptype not in ("USER", "GROUP"):
        raise validation("Value at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]")
    pid = p.get("PrincipalId") or ""
    if not PRINCIPAL_ID.match(pid):
        raise validation(f"Value '{pid}' at 'principalId' failed to satisfy constraint")
    fields = {"TargetId": target, "TargetType": "AWS_ACCOUNT", "PermissionSetArn": ps.arn,
              "PrincipalType": ptype, "PrincipalId": pid}
    return instance, ps, target, ptype, pid, fields


@handler
def create_account_assignment(st, p):
    instance, ps, target, ptype, pid, fields = assignment_params(st, p)
    failure = st.failure_for(ps, target)

    def effect():
        if ps.arn not in st.sets:
            return f"Permission set {ps.arn.split('/')[-1]} no longer exists"
        accounts = st.org_accounts()
        if accounts is not None and target not in accounts:
            return f"Account {target} is not a member of the organization"
        if not st.principal_exists(instance.identity_store_id, ptype, pid):
            return f"The {ptype.lower()} {pid} does not exist in identity store {instance.identity_store_id}"
        # Creating an assignment that exists succeeds and changes nothing.
        st.add_assignment((ps.arn, target, ptype, pid))
        # The set is provisioned to the account as it is now.
        st.provision(ps.arn, target, ps.version)
        return None

    op = st.start(Operation("create", fields, [target], effect, failure))
    return {"AccountAssignmentCreationStatus": op.to_json()}


@handler
def delete_account_assignment(st, p):
    instance, ps, target, ptype, pid, fields = assignment_params(st, p)
    key = (ps.arn, target, ptype, pid)
    if key not in st.assignments:
        raise not_found("Could not find the account assignment")
    failure = st.failure_for(ps, target)

    def effect():
        st.remove_assignment(key)
        # The last assignment of a set in an account removes its role there.
        if not st.by_pair.get((ps.arn, target)):
            st.unprovision(ps.arn, target)
        return None

    op = st.start(Operation("delete", fields, [target], effect, failure))
    return {"AccountAssignmentDeletionStatus": op.to_json()}


def find_op(st, kind, request_id):
    op = st.op_by_id.get(request_id)
    if op is not None and op.kind == kind:
        return op
    raise not_found(f"Could not find the request {request_id}")


@handler
def describe_account_assignment_creation_status(st, p):
    st.instance(p.get("InstanceArn"))
    op = find_op(st, "create", p.get("AccountAssignmentCreationRequestId"))
    return {"AccountAssignmentCreationStatus": op.to_json()}


@handler
def describe_account_assignment_deletion_status(st, p):
    st.instance(p.get("InstanceArn"))
    op = find_op(st, "delete", p.get("AccountAssignmentDeletionRequestId"))
    return {"AccountAssignmentDeletionStatus": op.to_json()}


def list_ops(st, p, kind, key):
    st.instance(p.get("InstanceArn"))
    want = (p.get("Filter") or {}).get("Status")
    rows = [{"RequestId": op.request_id, "Status": op.status, "CreatedDate": op.created}
            for op in st.ops if op.kind == kind and (want is None or op.status == want)]
    items, nxt = page(rows, p)
    out = {key: items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def list_account_assignment_creation_status(st, p):
    return list_ops(st, p, "create", "AccountAssignmentsCreationStatus")


@handler
def list_account_assignment_deletion_status(st, p):
    return list_ops(st, p, "delete", "AccountAssignmentsDeletionStatus")


@handler
def list_permission_set_provisioning_status(st, p):
    return list_ops(st, p, "provision", "PermissionSetsProvisioningStatus")


def assignment_row(key):
    ps_arn, account, ptype, pid = key
    return {"AccountId": account, "PermissionSetArn": ps_arn,
            "PrincipalType": ptype, "PrincipalId": pid}


@handler
def list_account_assignments(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    account = p.get("AccountId") or ""
    if not ACCOUNT_ID.match(account):
        raise validation(f"Value '{account}' at 'accountId' failed to satisfy constraint")
    rows = [assignment_row(k) for k in st.by_pair.get((ps.arn, account), {})]
    items, nxt = page(rows, p)
    out = {"AccountAssignments": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def list_account_assignments_for_principal(st, p):
    inst = p.get("InstanceArn")
    st.instance(inst)
    ptype = p.get("PrincipalType")
    pid = p.get("PrincipalId") or ""
    if ptype not in ("USER", "GROUP"):
        raise validation("Value at 'principalType' failed to satisfy constraint")
    if not PRINCIPAL_ID.match(pid):
        raise validation(f"Value '{pid}' at 'principalId' failed to satisfy constraint")
    account = (p.get("Filter") or {}).get("AccountId")
    rows = [assignment_row(k) for k in st.by_principal.get((ptype, pid), {})
            if (account is None or k[1] == account)
            and st.sets.get(k[0]) is not None and st.sets[k[0]].instance_arn == inst]
    items, nxt = page(rows, p)
    out = {"AccountAssignments": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def provision_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    target_type = p.get("TargetType")
    if target_type == "ALL_PROVISIONED_ACCOUNTS":
        if p.get("TargetId"):
            raise validation("TargetId must not be given with TargetType ALL_PROVISIONED_ACCOUNTS")
        accounts = st.accounts_of(ps.arn)
        fields = {"PermissionSetArn": ps.arn}
    elif target_type == "AWS_ACCOUNT":
        target = p.get("TargetId") or ""
        if not ACCOUNT_ID.match(target):
            raise validation(f"Value '{target}' at 'targetId' failed to satisfy constraint")
        accounts = [target]
        fields = {"PermissionSetArn": ps.arn, "AccountId": target}
    else:
        raise validation("Value at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACCOUNT, ALL_PROVISIONED_ACCOUNTS]")
    failure = None
    for a in accounts:
        failure = failure or st.failure_for(ps, a)

    def effect():
        if ps.arn not in st.sets:
            return f"Permission set {ps.arn.split('/')[-1]} no longer exists"
        for a in accounts:
            st.provision(ps.arn, a, ps.version)
        return None

    op = st.start(Operation("provision", fields, accounts, effect, failure))
    return {"PermissionSetProvisioningStatus": op.to_json()}


@handler
def describe_permission_set_provisioning_status(st, p):
    st.instance(p.get("InstanceArn"))
    op = find_op(st, "provision", p.get("ProvisionPermissionSetRequestId"))
    return {"PermissionSetProvisioningStatus": op.to_json()}


def status_filter(p):
    want = p.get("ProvisioningStatus")
    if want not in (None, "LATEST_PERMISSION_SET_PROVISIONED", "LATEST_PERMISSION_SET_NOT_PROVISIONED"):
        raise validation("Value at 'provisioningStatus' failed to satisfy constraint")
    return want


def provisioning_status(st, ps_arn, account):
    ps = st.sets[ps_arn]
    latest = st.provisioned[(ps_arn, account)] == ps.version
    return "LATEST_PERMISSION_SET_PROVISIONED" if latest else "LATEST_PERMISSION_SET_NOT_PROVISIONED"


@handler
def list_accounts_for_provisioned_permission_set(st, p):
    ps = st.pset(p.get("InstanceArn"), p.get("PermissionSetArn"))
    want = status_filter(p)
    rows = [a for a in st.accounts_of(ps.arn)
            if want is None or provisioning_status(st, ps.arn, a) == want]
    items, nxt = page(rows, p)
    out = {"AccountIds": items}
    if nxt:
        out["NextToken"] = nxt
    return out


@handler
def list_permission_sets_provisioned_to_account(st, p):
    inst = p.get("InstanceArn")
    st.instance(inst)
    account = p.get("AccountId") or ""
    if not ACCOUNT_ID.match(account):
        raise validation(f"Value '{account}' at 'accountId' failed to satisfy constraint")
    want = status_filter(p)
    rows = sorted(ps for (ps, a) in st.provisioned if a == account
                  and st.sets.get(ps) is not None and st.sets[ps].instance_arn == inst
                  and (want is None or provisioning_status(st, ps, a) == want))
    items, nxt = page(rows, p)
    out = {"PermissionSets": items}
    if nxt:
        out["NextToken"] = nxt
    return out


for _name, _fn in HANDLERS.items():
    setattr(SSOAdminResponse, _name, make(_name, _fn))


# --------------------------------------------------------------------------
# Request counting, for the call-count benchmark.

_call_action = BaseResponse.call_action


def counting_call_action(self):
    try:
        action = self._get_action()
    except Exception:
        action = "?"
    key = f"{self.service_name}:{action}"
    with LOCK:
        STATS["calls"][key] = STATS["calls"].get(key, 0) + 1
        STATS["total"] += 1
    return _call_action(self)


BaseResponse.call_action = counting_call_action


# --------------------------------------------------------------------------
# Seeding: an organization and identity store with the ids a test names.

class _Ids:
    queue = {"root": [], "ou": [], "account": []}


_orig = {
    "root": org_utils.make_random_root_id,
    "ou": org_utils.make_random_ou_id,
    "account": org_utils.make_random_account_id,
}
org_utils.make_random_root_id = lambda: _Ids.queue["root"].pop(0) if _Ids.queue["root"] else _orig["root"]()
org_utils.make_random_ou_id = lambda root: _Ids.queue["ou"].pop(0) if _Ids.queue["ou"] else _orig["ou"](root)
org_utils.make_random_account_id = lambda: _Ids.queue["account"].pop(0) if _Ids.queue["account"] else _orig["account"]()


def seed(body):
    account = ARGS.account_id
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    snap = body.get("org") or {}
    orgs = organizations_backends[account]["aws"]
    if orgs.org is None:
        if snap.get("root"):
            _Ids.queue["root"] = [snap["root"]]
        orgs.create_organization(region=region, FeatureSet="ALL")
    org = orgs.org
    root_id = org.root_id
    mgmt = snap.get("management_account")
    for acct in orgs.accounts:
        if acct.id == account:
            acct.name = "management"

    def place(accounts, parent):
        for a in accounts:
            if a["id"] == account:
                if mgmt is None or a["id"] == mgmt:
                    for acct in orgs.accounts:
                        if acct.id == account:
                            acct.name = a["name"]
                            acct.parent_id = parent
                continue
            _Ids.queue["account"] = [a["id"]]
            orgs.create_account(AccountName=a["name"], Email=f"{a['name']}@example.com")
            orgs.move_account(AccountId=a["id"], SourceParentId=root_id, DestinationParentId=parent)

    def walk(ous, parent):
        for ou in ous:
            if ou.get("id"):
                _Ids.queue["ou"] = [ou["id"]]
            made = orgs.create_organizational_unit(Name=ou["name"], ParentId=parent)
            oid = made["OrganizationalUnit"]["Id"]
            place(ou.get("accounts") or [], oid)
            walk(ou.get("ous") or [], oid)

    place(snap.get("accounts") or [], root_id)
    walk(snap.get("ous") or [], root_id)

    sso = ssoadmin_backends[account][region]
    instance = sso.instances[0]
    # An instance's ARN and identity store are fixed when it is enabled; a
    # test may name them, as a program's `instance` block does.
    wanted = body.get("instance") or {}
    if wanted.get("arn"):
        instance.instance_arn = wanted["arn"]
    if wanted.get("identity_store_id"):
        instance.identity_store_id = wanted["identity_store_id"]
    store = identitystore_backends[account][region]
    data_id = instance.identity_store_id
    for display, gid in (body.get("groups") or {}).items():
        new_id, _ = store.create_group(data_id, display, "")
        if gid:
            data = store.identity_stores[data_id]
            g = data.groups.pop(new_id)
            data.groups[gid] = g._replace(GroupId=gid)
    for user_name, uid in (body.get("users") or {}).items():
        made = store.create_user(data_id, user_name, {"GivenName": user_name, "FamilyName": "User"},
                                 user_name, None, None, [], [], [], None, None, None, None, None)
        new_id = made[0]
        if uid:
            data = store.identity_stores[data_id]
            u = data.users.pop(new_id)
            data.users[uid] = u._replace(UserId=uid)
    return {"instance_arn": instance.instance_arn, "identity_store_id": data_id, "root": root_id}


def load_ir(body):
    """Make the live state equal an accessc IR at once (benchmarks): its
    permission sets, assignments and ABAC attributes, as `accessc apply`
    would leave them."""
    account = ARGS.account_id
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    sso = ssoadmin_backends[account][region]
    instance = sso.instances[0]
    st = getattr(sso, "_accessc_state", None)
    if st is None:
        st = State(sso)
        sso._accessc_state = st
    ir = body["ir"]
    data = identitystore_backends[account][region].identity_stores[instance.identity_store_id]
    by_name = {("GROUP", g.DisplayName): gid for gid, g in data.groups.items()}
    by_name.update({("USER", u.UserName): uid for uid, u in data.users.items()})
    ids = {}
    for p in ir.get("principals", []):
        ids[(p["type"], p["name"])] = p.get("id") or by_name.get((p["type"], p["display_name"]))
    arns = {}
    ins_id = instance.instance_arn.split("/")[-1]
    for ps in ir.get("permission_sets", []):
        arn = f"arn:aws:sso:::permissionSet/{ins_id}/ps-{uuid.uuid4().hex[:16]}"
        obj = PermissionSet(arn, ps["name"], ps.get("description"), ps["session_duration"],
                            ps.get("relay_state"), instance.instance_arn)
        obj.managed = list(ps.get("managed_policies", []))
        obj.customer = [(c["name"], c["path"]) for c in ps.get("customer_managed_policies", [])]
        obj.inline = ps.get("inline_policy")
        b = ps.get("permissions_boundary")
        if b and "managed_policy_arn" in b:
            obj.boundary = {"ManagedPolicyArn": b["managed_policy_arn"]}
        elif b:
            c = b["customer_managed_policy"]
            obj.boundary = {"CustomerManagedPolicyReference": {"Name": c["name"], "Path": c["path"]}}
        obj.tags = {t["key"]: t["value"] for t in ps.get("tags", [])}
        st.sets[arn] = obj
        arns[ps["name"]] = arn
    n = 0
    for a in ir.get("assignments", []):
        pid = a.get("principal_id") or ids.get((a["principal_type"], a["principal"]))
        arn = arns[a["permission_set"]]
        st.add_assignment((arn, a["account_id"], a["principal_type"], pid))
        st.provision(arn, a["account_id"], st.sets[arn].version)
        n += 1
    if ir.get("attributes"):
        st.abac = [{"Key": x["key"], "Value": {"Source": [x["value"]]}} for x in ir["attributes"]]
    return {"permission_sets": len(arns), "assignments": n}


def control(environ, start_response, inner):
    req = Request(environ)
    path = req.path
    if not path.startswith("/_accessc/"):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        m = re.search(r"Credential=([^/]+)/", auth)
        if m and m.group(1).startswith("EXPIRED"):
            body = json.dumps({"__type": "ExpiredTokenException",
                               "message": "The security token included in the request is expired"})
            return Response(body, status=400, content_type="application/x-amz-json-1.1")(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
        if target and target in FAULTS["deny"]:
            full = environ.get("HTTP_X_AMZ_TARGET", "")
            service = "identitystore" if "IdentityStore" in full else "organizations" if "Organizations" in full else "sso"
            body = json.dumps({"__type": "AccessDeniedException",
                               "message": f"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {service}:{target}"})
            return Response(body, status=400, content_type="application/x-amz-json-1.1")(environ, start_response)
        if m and m.group(1).startswith("DENIED"):
            body = json.dumps({"__type": "AccessDeniedException",
                               "message": f"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sso:{target}"})
            return Response(body, status=400, content_type="application/x-amz-json-1.1")(environ, start_response)
        return inner(environ, start_response)
    try:
        body = json.loads(req.get_data(as_text=True) or "{}")
        with LOCK:
            if path == "/_accessc/seed":
                out = seed(body)
            elif path == "/_accessc/load":
                out = load_ir(body)
            elif path == "/_accessc/stats":
                out = STATS
            elif path == "/_accessc/stats/reset":
                STATS.update({"calls": {}, "total": 0, "max_outstanding": 0,
                              "account_overlaps": 0, "throttled_outstanding": 0})
                out = STATS
            elif path == "/_accessc/faults":
                if "fail" in body:
                    FAULTS["fail"] = body["fail"]
                if "op_delay" in body:
                    FAULTS["op_delay"] = float(body["op_delay"])
                if "stuck_token" in body:
                    FAULTS["stuck_token"] = bool(body["stuck_token"])
                if "deny" in body:
                    FAULTS["deny"] = list(body["deny"])
                if "inline_text" in body:
                    FAULTS["inline_text"] = dict(body["inline_text"])
                out = FAULTS
            else:
                return Response("not found", status=404)(environ, start_response)
            text = json.dumps(out)
        return Response(text, content_type="application/json")(environ, start_response)
    except Exception as e:  # a test-support endpoint: report, never hang
        return Response(json.dumps({"error": repr(e)}), status=500,
                        content_type="application/json")(environ, start_response)


def main():
    inner = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        return control(environ, start_response, inner)

    print(f"moto_ext listening on {ARGS.host}:{ARGS.port}", file=sys.stderr, flush=True)
    run_simple(ARGS.host, ARGS.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
