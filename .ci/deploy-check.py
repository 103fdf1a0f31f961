"""Offline checks of the deploy manifests and the Helm chart (run by
.ci/deploy-validate inside its venv).

The chart is rendered by Helm's own Go engine (the `helm-python-sdk` wheel
binds the official Helm v4 SDK as a C library: the same template engine,
Sprig functions and lint rules as `helm template` / `helm lint`), offline, so
`lookup` answers nothing, as in `helm template`.

The values schema (deploy/chart/values.schema.json) is checked three ways:
bad values are refused by Helm's own validation (render and lint), each with a
message naming the key; the defaults and the documented examples (values.yaml,
the README's HelmChartConfig, each setting's default and example in the
host's settings table) still render; and its rules are compared with the
host's (the setting names, LIMIT_SETTINGS and the other ranges, the allowed
words). Where the `jsonschema` package is installed, a second validator checks
that the schema is valid draft-07 and agrees with Helm on every case.

Usage: deploy-check.py OUTDIR   (writes the rendered variants there)
"""

import json
import re
import shutil
import sys
import tempfile
import zlib
from importlib.metadata import version
from pathlib import Path

import yaml

try:
    import helm_python as helm
    from helm_python import _native as helm_native
except ImportError:  # the wheel is x86-64/arm64 Linux, macOS, Windows only
    helm = None

try:
    import jsonschema
except ImportError:
    jsonschema = None

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "deploy/manifests/upgrade-responder.yaml"
CHART = ROOT / "deploy/chart"
SCHEMA = CHART / "values.schema.json"
README = ROOT / "README.md"
HOST = ROOT / "host/src"
# What the chart's time budget (templates/cronjob.yaml) allows for
# scheduling, pulling and starting the pod and loading the component.
START_MARGIN = 120
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


def render(values=None, kube_version=None):
    """The chart rendered offline, as `helm template` does; kube_version
    (e.g. "v1.24.0") is `--kube-version`, what `.Capabilities.KubeVersion`
    answers (unset: the SDK's default, a current release)."""
    chart = helm.Chart.load(str(CHART))
    if kube_version is None:
        out = chart.render(values, name="upgrade-responder", namespace="kube-system", is_install=True)
    else:
        # Chart.render has no parameter for it; the SDK's render takes the
        # option as lint does (a check below proves it is honoured: the
        # image-volume gate must refuse an old version).
        opts = {"name": "upgrade-responder", "namespace": "kube-system", "is_install": True, "kube_version": kube_version}
        out = json.loads(helm_native.call_string(
            "helm_render", chart._raw(), None if values is None else json.dumps(values), json.dumps(opts)))
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

    component_checks(out)

    schema_checks()

    print(f"{len(failures)} failed" if failures else "chart checks passed")
    return 1 if failures else 0


# The chart's one-line refusals of an image volume where the API server
# would drop it (templates/cronjob.yaml): the image volume source is in the
# API from Kubernetes 1.31, its feature gate ImageVolume alpha in 1.31-1.32,
# beta off by default in 1.33-1.34, beta on by default from 1.35 (GA 1.36).
TOO_OLD = ("component.source=image needs Kubernetes 1.31 or later: the API server of Kubernetes {} drops image "
           "volumes; use component.distroImage (the host image with the component built in: deploy/image/build.sh distro)")
GATE_OFF = ("component.source=image on Kubernetes {} needs the ImageVolume feature gate (off by default before 1.35): "
            "turn it on and set component.image.featureGateEnabled=true, or use component.distroImage (the host image "
            "with the component built in: deploy/image/build.sh distro)")


def refused_with(values, kube_version, message, what):
    """Rendering fails with exactly message as `fail`'s text (Helm puts
    `execution error at (template:line:col): ` before it)."""
    try:
        render(values, kube_version)
        check(False, f"{what}: refused")
        return
    except Exception as e:  # HelmRenderError
        text = str(e).strip()
    last = text.splitlines()[-1] if text else ""
    ok = last.endswith(": " + message) and "\n" not in message
    check(ok, f"{what}: refused with the one-line message")
    print("      " + (last if ok else f"got {text!r}; want {message!r}")[:400])


def component_checks(out):
    """component.builtin, component.distroImage and the image volume's
    version gate, rendered."""
    print("--- component selection (component.builtin, component.distroImage, image volumes by Kubernetes version)")
    distro = "registry.example.com/acme/upgrade-responder-rke2:v0.1.0"
    variants = {
        "chart-component-distro.yaml": ({"component": {"distroImage": distro},
                                         "global": {"systemDefaultRegistry": "mirror.example.com:5000"},
                                         "image": {"pullPolicy": "Always"}}, None),
        "chart-component-builtin-k3s.yaml": ({"component": {"builtin": "k3s"}}, None),
        "chart-component-builtin-rke2.yaml": ({"component": {"builtin": "rke2"}}, None),
    }
    rendered = {}
    for name, (values, kube) in variants.items():
        text = render(values, kube)
        (out / name).write_text(text)
        rendered[name] = objects(text)

    spec = pod(rendered["chart-component-distro.yaml"])
    container = spec["containers"][0]
    check(container["image"] == distro and container["imagePullPolicy"] == "Always",
          "component.distroImage is the job's image, as written (no registry prefix), pulled by image.pullPolicy")
    check([v["name"] for v in spec["volumes"]] == ["defaults", "overrides"]
          and [m["name"] for m in container["volumeMounts"]] == ["defaults", "overrides"],
          "component.distroImage: no component volume, no component mount")
    check(not any(e["name"].startswith("UPGRADE_RESPONDER_COMPONENT") for e in container["env"]),
          "component.distroImage: no UPGRADE_RESPONDER_COMPONENT(_SHA256) env (the image's ENV selects and pins)")
    default_spec = pod(objects(render()))
    check(not any(e["name"].startswith("UPGRADE_RESPONDER_COMPONENT") for e in default_spec["containers"][0]["env"]),
          "component.builtin=auto (default): no UPGRADE_RESPONDER_COMPONENT (the host picks by /version)")
    for which in ["k3s", "rke2"]:
        spec = pod(rendered[f"chart-component-builtin-{which}.yaml"])
        container = spec["containers"][0]
        env = [e for e in container["env"] if e["name"].startswith("UPGRADE_RESPONDER_COMPONENT")]
        check(env == [{"name": "UPGRADE_RESPONDER_COMPONENT", "value": f"builtin:{which}"}]
              and container["image"] == "rancher/k3s-upgrade-responder:v0.1.0"
              and [v["name"] for v in spec["volumes"]] == ["defaults", "overrides"],
              f"component.builtin={which}: UPGRADE_RESPONDER_COMPONENT=builtin:{which}, the shipped image, no volume")

    # Image volumes: refused where the API server would drop them.
    image = {"component": {"source": "image", "image": {"reference": "registry.example.com/rke2-reporter:v1"},
                           "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
    acked = {"component": {**image["component"], "image": {**image["component"]["image"], "featureGateEnabled": True}}}
    for kube in ["v1.24.0", "v1.30.6+rke2r1"]:
        refused_with(image, kube, TOO_OLD.format(kube), f"component.source=image on {kube}")
        refused_with(acked, kube, TOO_OLD.format(kube), f"component.source=image on {kube}, even with featureGateEnabled")
    for kube in ["v1.31.0", "v1.33.5+k3s1", "v1.34.2"]:
        refused_with(image, kube, GATE_OFF.format(kube), f"component.source=image on {kube} without featureGateEnabled")
    for values, kube, what in [(acked, "v1.31.0", "with featureGateEnabled"), (acked, "v1.34.2", "with featureGateEnabled"),
                               (image, "v1.35.0", "(gate on by default)"), (image, "v1.36.1+rke2r1", "(GA)"),
                               (image, None, "(helm template without --kube-version)")]:
        try:
            spec = pod(objects(render(values, kube)))
            ok = {"name": "component", "image": {"reference": "registry.example.com/rke2-reporter:v1",
                                                  "pullPolicy": "IfNotPresent"}} in spec["volumes"]
        except Exception as e:  # HelmRenderError
            print("      " + str(e).strip().splitlines()[-1][:300])
            ok = False
        check(ok, f"component.source=image renders its image volume on {kube or 'the SDK default version'} {what}")

    # Two ways to pick a component at once: refused, naming both.
    for values, message in [
        ({"component": {"distroImage": distro, "source": "configMap"}},
         "component.distroImage brings its own component, component.source=configMap another: set one of them"),
        ({"component": {"distroImage": distro, "builtin": "rke2"}},
         "component.distroImage selects its own component (the image's ENV): leave component.builtin auto, not rke2"),
        ({"component": {"distroImage": distro, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
         "component.distroImage pins its own component (the image's ENV): leave component.sha256 empty"),
        ({"component": {"builtin": "k3s", "source": "configMap"}},
         "component.builtin=k3s picks a built-in component, component.source=configMap another: set one of them"),
    ]:
        refused_with(values, None, message, f"{values['component']}")
    refused_on_render({"component": {"builtin": "rke3"}}, ["/component/builtin"], "component.builtin: rke3")
    refused_on_render({"component": {"distroImage": "Registry.example.com/UPPER:v1"}}, ["/component/distroImage"],
                      "component.distroImage: not an image reference")
    refused_on_render({"component": {"image": {"featureGateEnabled": "yes"}}}, ["/component/image/featureGateEnabled"],
                      'component.image.featureGateEnabled: "yes" (a string)')


def rust_str(text):
    return json.loads(text)  # Rust string literals of the table are JSON-compatible


def rust_int(text):
    """A Rust integer expression of the tables: 10_000, 1 << 30."""
    text = text.replace("_", "").strip()
    if "<<" in text:
        a, b = text.split("<<")
        return int(a) << int(b)
    return int(text)


def host_file(needle):
    """The text of the one host source file holding needle (found by what it
    holds, not by its path, so a move of the module does not break this)."""
    found = [p for p in sorted(HOST.rglob("*.rs")) if needle in p.read_text()]
    if len(found) != 1:
        raise SystemExit(f"FAIL  {len(found)} files under host/src hold {needle!r}: {found}")
    return found[0].read_text()


def host_settings():
    """{key: (default, example)} of the settings table, and the ranges
    {key: (min, max, default)} of LIMIT_SETTINGS and of the other numbers
    the settings parser reads."""
    table = host_file("pub const SETTINGS: &[Setting]")
    consts = {m[1]: rust_str(m[2]) for m in re.finditer(r'pub const (\w+): &str =\s*("(?:[^"\\]|\\.)*");', table)}
    value = lambda t: consts[t] if t in consts else rust_str(t)
    settings = {
        value(m[1]): (value(m[2]), value(m[3]))
        for m in re.finditer(
            r'Setting \{\s*key: (\w+),\s*(?:value: [\w:()]+,\s*)?default: ("(?:[^"\\]|\\.)*"|\w+),\s*example: ("(?:[^"\\]|\\.)*"|\w+),', table)
    }
    policy = host_file("pub const LIMIT_SETTINGS")
    limits = policy[policy.index("pub const LIMIT_SETTINGS"):]
    ranges = {
        m[1]: (rust_int(m[3]), rust_int(m[4]), rust_int(m[2]))
        for m in re.finditer(
            r'LimitSetting \{\s*key: "(\w+)",.*?default: ([\d_]+),\s*min: ([\d_ <]+),\s*max: ([\d_ <]+),', limits, re.S)
    }
    config = host_file("values.number(API_DEADLINE")
    for m in re.finditer(r'values\.number\((\w+), ([\d_]+)\.\.=([\d_]+)\)', config):
        key = consts[m[1]]
        ranges[key] = (rust_int(m[2]), rust_int(m[3]), int(settings[key][0]))
    return settings, ranges, consts


def words(marker):
    """The words a host parser accepts: the `"word" =>` arms of the match
    that follows marker (e.g. `match values.get(LOG_FORMAT).0`)."""
    text = host_file(marker)
    start = text.index(marker)
    block = text[start:text.index("_ =>", start)]
    return sorted(w for arm in re.findall(r'((?:"[a-z0-9]+"\s*\|?\s*)+)=>', block) for w in re.findall(r'"([a-z0-9]+)"', arm))


class Validators:
    """Helm's validation (the chart's validate_schema: the same code as
    install/template/lint) and, where installed, jsonschema's Draft7Validator
    on the same merged values; every verdict is compared."""

    def __init__(self, chart, schema):
        self.chart = chart
        self.second = None
        if jsonschema is not None:
            jsonschema.Draft7Validator.check_schema(schema)
            self.second = jsonschema.Draft7Validator(schema)
        self.disagreements = []

    def error(self, values):
        """Helm's message for values, or None when they are valid."""
        try:
            self.chart.validate_schema(values)
            helm_error = None
        except Exception as e:  # HelmValuesError
            helm_error = str(e)
        if self.second is not None:
            merged = self.chart.merge_values(values)
            errors = sorted(self.second.iter_errors(merged), key=lambda e: list(e.absolute_path))
            if bool(errors) != (helm_error is not None):
                self.disagreements.append(
                    f"{values}: helm {'refuses' if helm_error else 'accepts'}, jsonschema "
                    f"{'refuses: ' + errors[0].message if errors else 'accepts'}")
        return helm_error


validators = None  # the Validators of schema_checks


def renders(values, what):
    """The objects values render to, or None (a FAIL line) if Helm refuses."""
    try:
        objs = objects(render(values))
    except Exception as e:  # HelmValuesError or HelmRenderError
        check(False, f"{what}: {str(e).strip()[:300]}")
        return None
    check(True, what)
    return objs


def refused_on_render(values, needles, what):
    """Rendering values fails with a message holding every needle."""
    if validators is not None:
        validators.error(values)  # the second validator must agree with Helm here too
    try:
        render(values)
        check(False, f"{what}: refused")
        return
    except Exception as e:  # HelmValuesError (schema) or HelmRenderError (fail)
        message = str(e)
    ok = all(n in message for n in needles)
    check(ok, f"{what}: refused, naming {', '.join(needles)}")
    lines = [l.strip() for l in message.splitlines() if l.strip()]
    print("      " + (lines[-1] if not ok or len(lines) < 3 else " / ".join(lines[2:4]))[:230])


def schema_checks():
    """The values schema refuses what the host or the Job would refuse,
    names the key, and still takes every documented value."""
    print("--- values schema (deploy/chart/values.schema.json)")
    schema = json.loads(SCHEMA.read_text())
    chart = helm.Chart.load(str(CHART))
    check(chart.schema is not None and chart.schema.get("$schema") == "http://json-schema.org/draft-07/schema#",
          "the chart ships values.schema.json, draft-07")
    global validators
    v = validators = Validators(chart, schema)
    if v.second is None:
        print("SKIP  jsonschema (second validator): not installable; Helm's validation alone is checked")
    else:
        print(f"ok    jsonschema {version('jsonschema')}: the schema is valid draft-07 (Draft7Validator.check_schema)")

    # Every key of values.yaml is described, and the structure is closed.
    def walk(value, node, path):
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].split("/")[-1]]
        missing = []
        if "description" not in node and "allOf" not in node:
            missing.append(path or "(root)")
        if isinstance(value, dict) and node.get("properties") is not None:
            for key, sub in value.items():
                if key not in node["properties"]:
                    missing.append(f"{path}.{key} (not in the schema)".lstrip("."))
                else:
                    missing += walk(sub, node["properties"][key], f"{path}.{key}".lstrip("."))
        return missing
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = walk(defaults, schema, "")
    check(not missing, "every key of values.yaml is in the schema, with a description" + (f": {missing}" if missing else ""))
    open_objects = []
    def closed(node, path):
        if node.get("type") == "object" and "properties" in node and node.get("additionalProperties") is not False:
            open_objects.append(path)
        for key, sub in node.get("properties", {}).items():
            closed(sub, f"{path}.{key}".lstrip("."))
    closed(schema, "")
    check(open_objects == ["global"], f"every fixed structure is closed (additionalProperties: false); open: {open_objects}")

    # Refused, each with a message naming the key (Helm's validation on render).
    refused_on_render({"fieldMode": "maximal"}, ["/fieldMode"], "fieldMode: maximal")
    refused_on_render({"endpoint": "not a url"}, ["/endpoint"], 'endpoint: "not a url"')
    refused_on_render({"endpoint": "ftp://mirror.example.com/x"}, ["/endpoint"], "endpoint: an ftp URL")
    refused_on_render({"endpoint": "https://user:pw@metrics.example.com/"}, ["/endpoint"], "endpoint with credentials")
    refused_on_render({"endpoint": "http://127.0.0.1:0/"}, ["/endpoint"], "endpoint with port 0")
    refused_on_render({"spreadSeconds": 1001}, ["/spreadSeconds", "1,000"], "spreadSeconds: 1001 (over the cap)")
    refused_on_render({"spreadSeconds": 86400}, ["/spreadSeconds"], "spreadSeconds: 86400 (the host's own maximum)")
    refused_on_render({"spreadSeconds": "900"}, ["/spreadSeconds"], 'spreadSeconds: "900" (a string)')
    refused_on_render({"spreadSeconds": 1.5}, ["/spreadSeconds"], "spreadSeconds: 1.5 (not whole)")
    refused_on_render({"fieldmode": "standard"}, ["additional properties 'fieldmode' not allowed"], "an unknown key (fieldmode)")
    refused_on_render({"image": {"tags": "v1"}}, ["/image", "'tags'"], "an unknown nested key (image.tags)")
    refused_on_render({"spreadSeconds": -1}, ["/spreadSeconds"], "a negative number (spreadSeconds: -1)")
    refused_on_render({"activeDeadlineSeconds": -5}, ["/activeDeadlineSeconds"], "a negative number (activeDeadlineSeconds: -5)")
    refused_on_render({"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": -1}]},
                      ["/tolerations/0/tolerationSeconds"], "a negative number (tolerationSeconds: -1)")
    refused_on_render({"resources": {"limits": {"memory": "-128Mi"}}}, ["/resources/limits/memory"],
                      "a negative quantity (resources.limits.memory: -128Mi)")
    refused_on_render({"component": {"source": "oci"}}, ["/component/source"], "component.source: oci")
    refused_on_render({"component": {"sha256": "9f86d0"}}, ["/component/sha256"], "component.sha256: not 64 hex digits")
    refused_on_render({"schedule": "every 8 hours"}, ["/schedule"], 'schedule: "every 8 hours"')
    refused_on_render({"image": {"pullPolicy": "Sometimes"}}, ["/image/pullPolicy"], "image.pullPolicy: Sometimes")
    refused_on_render({"enabled": "yes"}, ["/enabled"], 'enabled: "yes" (a string)')
    refused_on_render({"extraEnv": [{"name": "UPGRADE_RESPONDER_LOG_FORMAT", "value": "yaml"}]},
                      ["/extraEnv/0/value"], "extraEnv UPGRADE_RESPONDER_LOG_FORMAT=yaml")
    refused_on_render({"extraEnv": [{"name": "UPGRADE_RESPONDER_SPREAD_SECONDS", "value": "5000"}]},
                      ["/extraEnv/0/name"], "extraEnv UPGRADE_RESPONDER_SPREAD_SECONDS (set by spreadSeconds, past the cap)")
    refused_on_render({"extraEnv": [{"name": "UPGRADE_RESPONDER_ENABLE", "value": "false"}]},
                      ["/extraEnv/0/name"], "extraEnv UPGRADE_RESPONDER_ENABLE (a misspelled setting)")
    refused_on_render({"extraEnv": [{"name": "UPGRADE_RESPONDER_DEADLINE_SECONDS", "value": 60}]},
                      ["/extraEnv/0/value"], "extraEnv value 60 unquoted (Kubernetes takes strings only)")
    # The time budget, checked by the template where two values meet.
    refused_on_render({"activeDeadlineSeconds": 1000}, ["spreadSeconds (900)", "activeDeadlineSeconds (1000)"],
                      "spreadSeconds 900 with activeDeadlineSeconds 1000 (budget)")
    refused_on_render({"extraEnv": [{"name": "UPGRADE_RESPONDER_DEADLINE_SECONDS", "value": "300"}]},
                      ["UPGRADE_RESPONDER_DEADLINE_SECONDS (300)", "activeDeadlineSeconds (1200)"],
                      "extraEnv UPGRADE_RESPONDER_DEADLINE_SECONDS=300 with spreadSeconds 900 (budget)")
    report = helm.lint(str(CHART), {"fieldMode": "maximal"}, strict=True, kube_version="v1.30.0")
    check(any("/fieldMode" in e for e in report["errors"]), "helm lint refuses fieldMode: maximal, naming it")

    # The endpoint's length bound: the host's own (one rule, read from its source).
    policy_src = host_file("pub const MAX_ENDPOINT_CHARS")
    host_max = rust_int(re.search(r"pub const MAX_ENDPOINT_CHARS: usize = ([\d_]+);", policy_src)[1])
    check(schema["properties"]["endpoint"]["maxLength"] == host_max,
          f"endpoint maxLength is the host's MAX_ENDPOINT_CHARS ({host_max})")

    # The spread cap: what the shipped Job can honour.
    settings, ranges, consts = host_settings()
    api = int(settings[consts["API_DEADLINE"]][0])
    deadline = int(settings[consts["DEADLINE"]][0])
    job = defaults["activeDeadlineSeconds"]
    cap = schema["properties"]["spreadSeconds"]["maximum"]
    check(cap == job - api - 2 * deadline - START_MARGIN,
          f"spreadSeconds is capped at {cap} = activeDeadlineSeconds {job} - API deadline {api} - 2 x component "
          f"deadline {deadline} - {START_MARGIN} s to start")
    smin, smax, _ = ranges[consts["SPREAD"]]
    check(schema["properties"]["spreadSeconds"]["minimum"] == smin and cap <= smax,
          f"the cap is within the host's range for {consts['SPREAD']} ({smin}..{smax})")
    objs = renders({"spreadSeconds": cap}, f"spreadSeconds {cap} (the cap) renders with the default deadline")
    if objs is not None:
        config = next(o for o in objs if o["kind"] == "ConfigMap")
        check(config["data"]["UPGRADE_RESPONDER_SPREAD_SECONDS"] == str(cap), f"... and lands in the ConfigMap as {cap}")
    edge = cap + api + 2 * deadline + START_MARGIN
    renders({"spreadSeconds": cap, "activeDeadlineSeconds": edge}, f"spreadSeconds {cap} with activeDeadlineSeconds {edge} renders")
    renders({"spreadSeconds": cap - 100, "activeDeadlineSeconds": edge - 100},
            f"spreadSeconds {cap - 100} with activeDeadlineSeconds {edge - 100} renders")
    refused_on_render({"spreadSeconds": cap - 100, "activeDeadlineSeconds": edge - 101}, ["activeDeadlineSeconds"],
                      f"spreadSeconds {cap - 100} with activeDeadlineSeconds {edge - 101} (one second short)")
    check(v.error({"activeDeadlineSeconds": api + 2 * deadline + START_MARGIN, "spreadSeconds": 0}) is None
          and v.error({"activeDeadlineSeconds": api + 2 * deadline + START_MARGIN - 1, "spreadSeconds": 0}) is not None,
          f"activeDeadlineSeconds starts at {api + 2 * deadline + START_MARGIN}, the budget with no spread")

    # The rules match the host's: names, words, ranges.
    rules = {r["if"]["properties"]["name"]["const"]: r["then"]["properties"]["value"]
             for r in schema["definitions"]["envVar"]["allOf"]}
    allowed = set(schema["definitions"]["envVar"]["properties"]["name"]["then"]["enum"])
    check(set(rules) == allowed, "every setting allowed in extraEnv has a value rule")
    check(allowed <= set(settings), f"extraEnv allows host settings only: {sorted(allowed - set(settings))}")
    templates = "".join(p.read_text() for p in (CHART / "templates").glob("*.yaml"))
    owned = sorted(set(settings) - allowed)
    check(all(k in templates for k in owned), f"the settings refused in extraEnv are the ones the chart sets: {owned}")
    check(sorted(schema["properties"]["fieldMode"].get("enum", [])) == words("match values.get(FIELD_MODE).0")
          and defaults["fieldMode"] == settings[consts["FIELD_MODE"]][0],
          f"fieldMode: the host's words {words('match values.get(FIELD_MODE).0')}, default {defaults['fieldMode']}")
    check(defaults["endpoint"] == settings[consts["ENDPOINT"]][0], "endpoint: the host's default")
    for key in ["LOG_FORMAT", "LOG_LEVEL"]:
        host_words = words(f"match values.get({key}).0")
        check(sorted(rules[consts[key]].get("enum", [])) == host_words, f"{consts[key]}: the host's words {host_words}")
    flag_words = words("pub fn flag(")
    check(sorted(rules[consts["ENABLED"]].get("enum", [])) == flag_words == sorted(rules[consts["DRY_RUN"]].get("enum", [])),
          f"flags: the host's words {flag_words}")
    env = lambda key, value: {"extraEnv": [{"name": key, "value": value}]}
    bad = []
    numbers = [k for k in ranges if k in allowed]
    for key in numbers:
        lo, hi, default = ranges[key]
        for n in {lo, hi, default, (lo + hi) // 2}:
            if v.error(env(key, str(n))) is not None:
                bad.append(f"{key}={n} refused")
        for text in {str(hi + 1), "-1", "x", "", " 1", "1.0"} | ({str(lo - 1)} if lo > 0 else set()):
            error = v.error(env(key, text))
            if error is None or "/extraEnv/0/value" not in error:
                bad.append(f"{key}={text!r} accepted")
    check(not bad and set(ranges) - set(numbers) == {consts["SPREAD"]},
          f"{len(numbers)} numeric settings (LIMIT_SETTINGS, API deadline, page size) take exactly the host's range" +
          (f": {bad}" if bad else ""))
    bad = [f"{k}={value!r}" for k in sorted(allowed) for value in settings[k] if v.error(env(k, value)) is not None]
    check(not bad, f"the default and the example of each of the {len(allowed)} settings allowed in extraEnv pass"
          + (f": {bad}" if bad else ""))
    for key, value in [("CHANNEL", "has space"), ("EXTRA_SOFTWARE", "other"), ("EXTRA_SOFTWARE", "Acme"),
                       ("USER_AGENT", "x" * 257), ("MARKER", "no colon"), ("ENABLED", "maybe")]:
        error = v.error(env(consts[key], value))
        check(error is not None and "/extraEnv/0/value" in error, f"extraEnv {consts[key]}={value[:20]!r} refused")

    # The documented examples still render: values.yaml's extraEnv comment
    # and the README's HelmChartConfig.
    lines = (CHART / "values.yaml").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("# Extra explicit environment"))
    block = []
    for l in lines[start + 1:]:
        if not l.startswith("#   "):
            break
        block.append(l[4:])
    example = {"extraEnv": yaml.safe_load("\n".join(block))}
    renders(example, f"values.yaml's extraEnv example renders: {example}")
    readme = README.read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    configs = [yaml.safe_load(b) for b in blocks if "kind: HelmChartConfig" in b]
    examples = [yaml.safe_load(c["spec"]["valuesContent"]) for c in configs]
    for values in examples:
        objs = renders(values, f"the README's HelmChartConfig example renders: {values}")
        if objs is not None:
            config = next(o for o in objs if o["kind"] == "ConfigMap")
            check(config["data"]["UPGRADE_RESPONDER_ENDPOINT"] == values.get("endpoint", defaults["endpoint"]),
                  "... with its endpoint in the ConfigMap")
    check(len(examples) >= 1, f"{len(examples)} HelmChartConfig example(s) found in the README")
    if v.second is not None:
        check(not v.disagreements, f"jsonschema agrees with Helm on every case: {v.disagreements or 'yes'}")


if __name__ == "__main__":
    sys.exit(main())
