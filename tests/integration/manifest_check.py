#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Structural check of dist/kubernetes/xfr-daemonset.yaml where no cluster can validate it.

Every document has apiVersion, kind and metadata.name; the DaemonSet's selector matches its
template's labels; every probe and the Prometheus annotation point at a declared container
port; every configMap volume names a ConfigMap of the file; the pod runs without privileges.
Writes the ConfigMap's config.toml to argv[2] for xfr itself to read. Exit 1 with one line.
"""
import sys

import yaml


def fail(msg):
    print(msg)
    sys.exit(1)


def check_pod(spec, anns, cms):
    ports = {}
    for c in spec.get("containers") or fail("no containers"):
        for p in c.get("ports", []):
            ports[p["containerPort"]] = p
        for probe in ("readinessProbe", "livenessProbe"):
            port = c.get(probe, {}).get("httpGet", {}).get("port")
            if port is not None and port not in ports:
                fail(f"{probe} port {port} is not a container port")
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation", True) or sc.get("capabilities", {}).get("drop") != ["ALL"]:
            fail(f"container {c['name']}: privileges not dropped")
    if int(anns.get("prometheus.io/port", 0)) not in ports:
        fail("prometheus.io/port is not a container port")
    for v in spec.get("volumes", []):
        if "configMap" in v and v["configMap"]["name"] not in cms:
            fail(f"volume {v['name']}: no ConfigMap {v['configMap']['name']}")
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        fail("pod does not set runAsNonRoot")


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    cms = {}
    for d in docs:
        for k in ("apiVersion", "kind"):
            if k not in d:
                fail(f"a document has no {k}")
        if not d.get("metadata", {}).get("name"):
            fail(f"{d['kind']} has no metadata.name")
        if d["kind"] == "ConfigMap":
            cms[d["metadata"]["name"]] = d["data"]
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    if len(ds) != 1 or ds[0]["apiVersion"] != "apps/v1":
        fail("expected one apps/v1 DaemonSet")
    tpl = ds[0]["spec"]["template"]
    sel = ds[0]["spec"]["selector"]["matchLabels"]
    if any(tpl["metadata"]["labels"].get(k) != v for k, v in sel.items()):
        fail("the selector does not match the template's labels")
    check_pod(tpl["spec"], tpl["metadata"].get("annotations", {}), cms)
    with open(sys.argv[2], "w") as f:
        f.write(cms["xfr-config"]["config.toml"])


main()
