"""Static checks of splitbook's exports, run by the Swift tests with the pinned test venv.

    python check_export.py offline DIR    cronjob.yaml and workflow.yaml: the fields Kubernetes and Argo require
    python check_export.py online DIR     deployment.yaml (Deployment + Service, probes), openapi.json
    python check_export.py ipynb FILE     nbformat 4 validation, tags, outputs, the parameters and setup cells
    python check_export.py kubernetes FILE...   kubernetes-validate --strict with the network shut off

Prints "ok" and exits 0, or prints every problem and exits 1. No Docker or
cluster is needed: the checks are on the documents themselves.
"""
import json
import os
import sys

import yaml

problems = []


def need(condition, message):
    if not condition:
        problems.append(message)
    return condition


def dig(doc, *path):
    for key in path:
        if isinstance(key, int):
            if not isinstance(doc, list) or len(doc) <= key:
                return None
        elif not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def check_container(container, where):
    need(isinstance(container, dict), f"{where}: no container")
    if not isinstance(container, dict):
        return
    need(isinstance(container.get("name"), str), f"{where}: container without name")
    need(isinstance(container.get("image"), str), f"{where}: container without image")


def offline(directory):
    with open(os.path.join(directory, "cronjob.yaml")) as f:
        cron = yaml.safe_load(f)
    need(cron.get("apiVersion") == "batch/v1", "cronjob: apiVersion is not batch/v1")
    need(cron.get("kind") == "CronJob", "cronjob: kind is not CronJob")
    need(isinstance(dig(cron, "metadata", "name"), str), "cronjob: no metadata.name")
    need(isinstance(dig(cron, "spec", "schedule"), str), "cronjob: no spec.schedule")
    pod = dig(cron, "spec", "jobTemplate", "spec", "template", "spec")
    need(pod is not None, "cronjob: no spec.jobTemplate.spec.template.spec")
    if pod:
        need(pod.get("restartPolicy") in ("Never", "OnFailure"), "cronjob: restartPolicy must be Never or OnFailure")
        containers = pod.get("containers") or []
        need(len(containers) == 1, "cronjob: expected one container")
        for c in containers:
            check_container(c, "cronjob")
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"] for v in pod.get("volumes", [])}
            need(mounts <= volumes, f"cronjob: mounts {sorted(mounts - volumes)} have no volume")

    with open(os.path.join(directory, "workflow.yaml")) as f:
        wf = yaml.safe_load(f)
    need(wf.get("apiVersion") == "argoproj.io/v1alpha1", "workflow: apiVersion is not argoproj.io/v1alpha1")
    need(wf.get("kind") == "Workflow", "workflow: kind is not Workflow")
    need(isinstance(dig(wf, "metadata", "generateName") or dig(wf, "metadata", "name"), str), "workflow: no metadata name")
    templates = {t["name"]: t for t in dig(wf, "spec", "templates") or []}
    entry = dig(wf, "spec", "entrypoint")
    need(entry in templates, "workflow: entrypoint names no template")
    tasks = dig(templates.get(entry, {}), "dag", "tasks") or []
    need(len(tasks) > 0, "workflow: the entrypoint has no DAG tasks")
    names = [t.get("name") for t in tasks]
    need(len(set(names)) == len(names), "workflow: duplicate task names")
    for t in tasks:
        need(t.get("template") in templates, f"workflow: task {t.get('name')} names an unknown template")
        for d in t.get("dependencies", []):
            need(d in names, f"workflow: task {t.get('name')} depends on unknown task {d}")
    for t in templates.values():
        if "container" in t:
            check_container(dict(t["container"], name=t["name"]), "workflow")
    claims = {c["metadata"]["name"] for c in dig(wf, "spec", "volumeClaimTemplates") or []}
    volumes = {v["name"] for v in dig(wf, "spec", "volumes") or []}
    for t in templates.values():
        for m in dig(t, "container", "volumeMounts") or []:
            need(m["name"] in claims | volumes, f"workflow: mount {m['name']} has no volume")
    # Task order must respect every dependency: print it for the caller to compare with the notebook.
    print("tasks", json.dumps({t["name"]: sorted(t.get("dependencies", [])) for t in tasks}, sort_keys=True))


def online(directory):
    with open(os.path.join(directory, "deployment.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    kinds = {d.get("kind"): d for d in docs}
    need(set(kinds) == {"Deployment", "Service"}, f"deployment.yaml: kinds are {sorted(kinds)}")
    dep = kinds.get("Deployment", {})
    need(dep.get("apiVersion") == "apps/v1", "deployment: apiVersion is not apps/v1")
    need(isinstance(dig(dep, "metadata", "name"), str), "deployment: no metadata.name")
    labels = dig(dep, "spec", "template", "metadata", "labels") or {}
    selector = dig(dep, "spec", "selector", "matchLabels") or {}
    need(selector and selector.items() <= labels.items(), "deployment: selector does not match the pod labels")
    containers = dig(dep, "spec", "template", "spec", "containers") or []
    need(len(containers) == 1, "deployment: expected one container")
    for c in containers:
        check_container(c, "deployment")
        need(dig(c, "livenessProbe", "httpGet", "path") == "/healthz", "deployment: liveness probe is not GET /healthz")
        need(dig(c, "readinessProbe", "httpGet", "path") == "/readyz", "deployment: readiness probe is not GET /readyz")
        ports = {p.get("name") for p in c.get("ports", [])}
        need(dig(c, "livenessProbe", "httpGet", "port") in ports, "deployment: probe port is not a container port")
    svc = kinds.get("Service", {})
    need(svc.get("apiVersion") == "v1", "service: apiVersion is not v1")
    need((dig(svc, "spec", "selector") or {}).items() <= labels.items(), "service: selector does not match the pods")
    need(len(dig(svc, "spec", "ports") or []) > 0, "service: no ports")
    with open(os.path.join(directory, "openapi.json")) as f:
        api = json.load(f)
    need(api.get("openapi", "").startswith("3."), "openapi.json: not OpenAPI 3")
    endpoints = [p for p in api.get("paths", {}) if p.startswith("/v1/") and p != "/v1/artifacts"]
    need(len(endpoints) > 0, "openapi.json: no endpoint")
    print("endpoints", json.dumps(sorted(endpoints)))


def ipynb(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    need(nb.nbformat == 4, "ipynb: not nbformat 4")
    code = [c for c in nb.cells if c.cell_type == "code" and "splitbook" in c.metadata]
    need(len(code) > 0, "ipynb: no code cells")
    program = {c.id: c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code" and "splitbook" not in c.metadata}
    need(program == {"parameters": ["parameters"], "splitbook-setup": ["splitbook-setup"]},
         f"ipynb: the cells of its own are {program}, not the parameters and setup cells")
    for c in code:
        tags = c.metadata.get("tags", [])
        need(("offline" in tags) != ("online" in tags), f"ipynb: cell {c.id} is not tagged offline or online")
    need(any(o.get("output_type") == "stream" for c in code for o in c.outputs), "ipynb: no captured output")
    print("tags", json.dumps({c.id: c.metadata["tags"] for c in code}, sort_keys=True))


def kubernetes(paths):
    """kubernetes-validate --strict on each manifest, offline: an audit hook fails any use of a socket.

    Prints the tool's own lines, then `validated {FILE: [kind/name, ...]}` and `unvalidated {FILE: [kind, ...]}`:
    kubernetes-validate has schemas for Kubernetes' own kinds only, and for any other kind (a CRD such as
    Argo's Workflow) it warns and passes. Any other warning or error is a problem.
    """
    import contextlib
    import io
    import re

    def no_network(event, args):
        if event.startswith("socket."):
            problems.append(f"kubernetes-validate tried to use the network: {event} {args}")
            raise PermissionError("no network in this check")

    sys.addaudithook(no_network)
    from kubernetes_validate.__main__ import main

    sys.argv = ["kubernetes-validate", "--strict", *paths]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main()
    print(out.getvalue(), end="")
    validated, unvalidated = {}, {}
    for line in out.getvalue().splitlines():
        passed = re.fullmatch(r"INFO (\S+) passed for resource (\S+) against version [\d.]+", line)
        missing = re.fullmatch(r"WARN (\S+) Couldn't find schema for kind (\S+) with api version (\S+) for kubernetes version [\d.]+", line)
        if passed:
            validated.setdefault(passed[1], []).append(passed[2])
        elif missing and "." in missing[3].split("/")[0]:
            unvalidated.setdefault(missing[1], []).append(f"{missing[3]} {missing[2]}")
        else:
            problems.append(f"kubernetes-validate: {line}")
    need(status == 0, f"kubernetes-validate exited {status}")
    print("validated", json.dumps(validated, sort_keys=True))
    print("unvalidated", json.dumps(unvalidated, sort_keys=True))


if sys.argv[1] == "kubernetes":
    kubernetes(sys.argv[2:])
else:
    {"offline": offline, "online": online, "ipynb": ipynb}[sys.argv[1]](sys.argv[2])
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("ok")
