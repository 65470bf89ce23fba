#!/usr/bin/env python3
"""api_schema_check.py OPENAPI.yaml RECORD_DIR

Validates HTTP responses recorded from a live nimbus against the
cloud-hypervisor API document. RECORD_DIR holds, per request N:
  N.req      "METHOD ENDPOINT" (e.g. "GET vm.info")
  N.status   the HTTP status code
  N.headers  the response headers (curl -D)
  N.body     the response body
For every response: the endpoint and method exist in the document, the
status is one the document lists for that operation, a status documented
with a JSON schema has a JSON body (Content-Type application/json) that
validates against it, a success documented without content has an empty
body, and an error documented without content has at most one short
text/plain line (the message nimbus adds). Schemas are checked with jsonschema (Debian: python3-jsonschema) after
two tightenings so drift is caught: objects that list properties are closed
(no keys the document does not know), and integer formats (int64, uint8,
...) become range limits. The checker first proves it can fail: known-bad
samples must be rejected. Prints one line per response; exits 1 on any
failure."""
import copy
import glob
import json
import os
import sys

import jsonschema
import yaml

RANGES = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
    "int64": (-2**63, 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}


def tighten(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and "$ref" not in node:
            node["additionalProperties"] = False
        if node.get("type") == "integer" and node.get("format") in RANGES:
            lo, hi = RANGES[node["format"]]
            node.setdefault("minimum", lo)
            node.setdefault("maximum", hi)
        for v in node.values():
            tighten(v)
    elif isinstance(node, list):
        for v in node:
            tighten(v)


class Doc:
    def __init__(self, path):
        # libyaml's safe loader when present: 4x faster than the pure-Python
        # one, which matters inside the emulated KVM host.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path) as f:
            self.doc = yaml.load(f, Loader=loader)
        self.components = copy.deepcopy(self.doc["components"])
        tighten(self.components)

    def validator(self, schema):
        root = dict(copy.deepcopy(schema))
        tighten(root)
        root["components"] = self.components  # local $refs resolve inside
        return jsonschema.Draft4Validator(root)

    def operation(self, method, endpoint):
        path = self.doc["paths"].get("/" + endpoint)
        if path is None:
            return None, "endpoint /%s is not in the document" % endpoint
        op = path.get(method.lower())
        if op is None:
            return None, "%s is not documented for /%s" % (method, endpoint)
        return op, None


def check_one(doc, method, endpoint, status, headers, body):
    op, err = doc.operation(method, endpoint)
    if err:
        return err
    responses = {str(k): v for k, v in op.get("responses", {}).items()}
    if str(status) not in responses:
        return "status %s is not documented (documented: %s)" % (status, ", ".join(sorted(responses)))
    content = responses[str(status)].get("content")
    if not content:
        if body == "":
            return None
        if 200 <= status < 300:
            return "status %s is documented without a body, got %r" % (status, body[:80])
        # An error the document describes without content: a short text message is fine.
        if "text/plain" not in headers.lower() or "\n" in body.rstrip("\n") or len(body) > 512:
            return "error body is not one short text/plain line: %r" % body[:80]
        return None
    if "application/json" not in content:
        return "the document's content type is not JSON"
    if "application/json" not in headers.lower():
        return "Content-Type is not application/json"
    try:
        value = json.loads(body)
    except ValueError as e:
        return "body is not JSON: %s" % e
    errors = sorted(doc.validator(content["application/json"]["schema"]).iter_errors(value), key=str)
    if errors:
        e = errors[0]
        return "schema: %s at %s" % (e.message, "/".join(str(p) for p in e.absolute_path) or "(root)")
    return None


JSON_HDR = "Content-Type: application/json\r\n"
# Responses that must be rejected: proves the checks are not vacuous.
BAD_SAMPLES = [
    ("GET", "vm.info", 200, JSON_HDR, '{"config":{"payload":{"kernel":"/k"}}}'),               # no state
    ("GET", "vm.info", 200, JSON_HDR, '{"config":{"payload":{"kernel":"/k"}},"state":"Up"}'),  # not in enum
    ("GET", "vm.info", 200, JSON_HDR,
     '{"config":{"payload":{"kernel":"/k"},"nimbus_extra":1},"state":"Running"}'),            # unknown key
    ("GET", "vm.info", 200, JSON_HDR,
     '{"config":{"payload":{"kernel":"/k"},"net":[{"num_queues":"2"}]},"state":"Running"}'),  # wrong type
    ("GET", "vm.info", 200, JSON_HDR,
     '{"config":{"payload":{"kernel":"/k"},"disks":[{"path":"/d","pci_segment":70000}]},"state":"Running"}'),
    ("GET", "vmm.ping", 200, JSON_HDR, '{"version":"1","pid":"12"}'),
    ("GET", "vm.counters", 200, JSON_HDR, '{"_disk0":{"read_bytes":"1"}}'),
    ("GET", "vm.counters", 200, "Content-Type: text/plain\r\n", '{}'),
    ("PUT", "vm.boot", 200, "", ""),             # 200 is not documented for vm.boot
    ("PUT", "vm.pause", 204, "", "paused\n"),    # 204 has no body
    ("PUT", "vm.pause", 405, JSON_HDR, '{"error":"x"}'),  # an undocumented JSON error body
    ("PUT", "vm.frobnicate", 204, "", ""),
    ("GET", "vm.boot", 204, "", ""),
]
GOOD_SAMPLES = [
    ("PUT", "vm.pause", 405, "Content-Type: text/plain\r\n", "vm.pause: the VM is not booted\n"),
    ("GET", "vm.info", 200, JSON_HDR, '{"config":{"payload":{"kernel":"/k"}},"state":"Created"}'),
    ("GET", "vm.counters", 200, JSON_HDR, '{"_disk0":{"read_bytes":1}}'),
]


def main():
    doc = Doc(sys.argv[1])
    for s in BAD_SAMPLES:
        if check_one(doc, *s) is None:
            print("FAIL checker self-test: accepted a bad response %r" % (s,))
            return 1
    for s in GOOD_SAMPLES:
        err = check_one(doc, *s)
        if err:
            print("FAIL checker self-test: rejected a good response %r: %s" % (s, err))
            return 1
    failed = checked = 0
    for req in sorted(glob.glob(os.path.join(sys.argv[2], "*.req")), key=lambda p: int(os.path.basename(p)[:-4])):
        base = req[:-4]
        method, endpoint = open(req).read().split()
        status = int(open(base + ".status").read().strip())
        headers = open(base + ".headers", errors="replace").read()
        body = open(base + ".body", errors="replace").read()
        err = check_one(doc, method, endpoint, status, headers, body)
        checked += 1
        if err:
            failed += 1
            print("FAIL %s %s -> %s: %s" % (method, endpoint, status, err))
        else:
            print("ok   %s %s -> %s" % (method, endpoint, status))
    if checked == 0:
        print("FAIL no responses were recorded")
        return 1
    print("%d responses checked against the API document, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
