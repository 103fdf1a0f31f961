"""Offline checks of the deploy manifests and the Helm chart (run by
.ci/deploy-validate inside its venv).

The chart is rendered by Helm's own Go engine (the `helm-python-sdk` wheel
binds the official Helm v4 SDK as a C library: the same template engine,
Sprig functions and lint rules as `helm template` / `helm lint`), offline, so
`lookup` answers nothing, as in `helm template`.

Usage: deploy-check.py OUTDIR   (writes the rendered variants there)
"""

import shutil
import sys
import tempfile
import zlib
from pathlib import Path

import yaml

try:
    import helm_python as helm
except ImportError:  # the wheel is x86-64/arm64 Linux, macOS, Windows only
    helm = None

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "deploy/manifests/upgrade-responder.yaml"
CHART = ROOT / "deploy/chart"
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def objects(text):
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    return sorted(
        docs,
        key=lambda d: (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]),
    )


def render(values=None):
    chart = helm.Chart.load(str(CHART))
    out = chart.render(values, name="upgrade-responder", namespace="kube-system", is_install=True)
    return "\n---\n".join(v for _, v in sorted(out.items()) if v.strip())


def pod(objs):
    cronjob = next(o for o in objs if o["kind"] == "CronJob")
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if helm is None:
        print("SKIP  chart checks: helm-python-sdk (Helm's Go SDK) is not installable here")
        return 0

    report = helm.lint(str(CHART), strict=True, kube_version="v1.30.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    for m in report["messages"]:
        print(f"      helm lint: severity {m['severity']} {m['path']}: {m['error']}")
    check(not problems, "helm lint --strict: no warnings or errors")

    default = render()
    (out / "chart-default.yaml").write_text(default)
    manifest = objects(MANIFEST.read_text())
    rendered = objects(default)
    check(rendered == manifest, "the chart with default values renders exactly the plain manifest's objects")
    if rendered != manifest:
        for a, b in zip(rendered, manifest):
            if a != b:
                print("      chart:   ", a)
                print("      manifest:", b)

    check(objects(render({"enabled": False})) == [], "enabled=false renders nothing")

    variants = {
        "chart-component-image.yaml": {
            "component": {"source": "image", "image": {"reference": "registry.example.com/rke2-reporter:v1"},
                          "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
            "image": {"registry": "registry.example.com"},
            "schedule": "17 */8 * * *",
            "endpoint": "https://metrics.example.com/v1/checkupgrade",
            "fieldMode": "standard",
        },
        "chart-component-configmap.yaml": {
            "component": {"source": "configMap"},
            "global": {"systemDefaultRegistry": "mirror.example.com:5000"},
            "extraEnv": [{"name": "UPGRADE_RESPONDER_LOG_LEVEL", "value": "debug"}],
        },
    }
    for name, values in variants.items():
        text = render(values)
        (out / name).write_text(text)
        variants[name] = objects(text)

    objs = variants["chart-component-image.yaml"]
    spec = pod(objs)
    container = spec["containers"][0]
    cronjob = next(o for o in objs if o["kind"] == "CronJob")
    config = next(o for o in objs if o["kind"] == "ConfigMap")
    check(cronjob["spec"]["schedule"] == "17 */8 * * *", "schedule value is used")
    check(container["image"] == "registry.example.com/rancher/k3s-upgrade-responder:v0.1.0", "image.registry prefixes the image")
    check(
        config["data"]["UPGRADE_RESPONDER_ENDPOINT"] == "https://metrics.example.com/v1/checkupgrade"
        and config["data"]["UPGRADE_RESPONDER_FIELD_MODE"] == "standard",
        "endpoint and fieldMode land in the packaged ConfigMap",
    )
    check(
        {"name": "UPGRADE_RESPONDER_COMPONENT", "value": "/components/reporter.wasm"} in container["env"]
        and {"name": "component", "image": {"reference": "registry.example.com/rke2-reporter:v1", "pullPolicy": "IfNotPresent"}} in spec["volumes"]
        and {"name": "component", "mountPath": "/components", "readOnly": True} in container["volumeMounts"],
        "component.source=image mounts the component image and selects its .wasm",
    )
    check(
        {"name": "UPGRADE_RESPONDER_COMPONENT_SHA256", "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
        in container["env"],
        "component.sha256 pins the component (UPGRADE_RESPONDER_COMPONENT_SHA256)",
    )

    spec = pod(variants["chart-component-configmap.yaml"])
    container = spec["containers"][0]
    check(container["image"] == "mirror.example.com:5000/rancher/k3s-upgrade-responder:v0.1.0", "global.systemDefaultRegistry prefixes the image (RKE2)")
    check(
        {"name": "UPGRADE_RESPONDER_COMPONENT", "value": "/components/reporter.wasm"} in container["env"]
        and {"name": "component", "configMap": {"name": "upgrade-responder-component"}} in spec["volumes"],
        "component.source=configMap mounts the ConfigMap and selects its key",
    )
    check(
        not any(e["name"] == "UPGRADE_RESPONDER_COMPONENT_SHA256" for e in container["env"]),
        "no component.sha256, no pin",
    )
    check(container["env"][-1] == {"name": "UPGRADE_RESPONDER_LOG_LEVEL", "value": "debug"}, "extraEnv is appended to the explicit env")

    # The per-cluster minute: `lookup` answers nothing offline, so render the
    # chart's own "upgrade-responder.minute" helper on fixture UIDs through a
    # copy of the chart with one extra template, and compare with adler32.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "chart"
        shutil.copytree(CHART, copy)
        uids = ["2f06cc1a-6788-4fa1-b89e-732bd797902b", "e0430492-d000-4a92-8557-ca4e45ddcb94",
                "98e10cbe-b8e7-4831-878d-f6677a4594c3", "0e523211-d8c6-4857-ae85-3fea25a64205", ""]
        (copy / "templates/minutes.yaml").write_text(
            "minutes:\n" + "".join(f'  - {{{{ include "upgrade-responder.minute" "{u}" }}}}\n' for u in uids))
        out_copy = helm.Chart.load(str(copy)).render(None, name="upgrade-responder", namespace="kube-system")
        minutes = yaml.safe_load(out_copy["upgrade-responder/templates/minutes.yaml"])["minutes"]
        expected = [zlib.adler32(u.encode()) % 60 if u else 0 for u in uids]
        check(minutes == expected, f"per-cluster minute = adler32(kube-system UID) mod 60: {minutes}")
        check(len(set(minutes[:4])) == 4, "the fixture clusters get different minutes")

    try:
        render({"component": {"source": "image"}})
        check(False, "component.source=image without a reference is refused")
    except Exception as e:  # HelmRenderError
        check("needs component.image.reference" in str(e), "component.source=image without a reference is refused")

    print(f"{len(failures)} failed" if failures else "chart checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
