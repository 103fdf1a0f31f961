#!/usr/bin/env bash
# Builds the upgrade-responder image without a Docker engine (buildah, vfs
# storage, chroot isolation), reproducibly (timestamps 0, build paths
# remapped, same sources -> same digest wherever they are checked out), into
# an OCI layout and a docker-archive tarball for K3s/RKE2 air-gapped import
# (/var/lib/rancher/k3s/agent/images/).
#
#   deploy/image/build.sh                          the host image
#   deploy/image/build.sh component FILE.wasm NAME  a component image (FROM scratch, the
#                                                   component precompiled for the host)
#   deploy/image/build.sh distro FILE.wasm NAME     a distribution image: FROM the host image
#                                                   (its OCI layout in out/, so build it first),
#                                                   plus the component precompiled for it at
#                                                   /components/NAME.cwasm, selected and pinned
#                                                   by ENV (UPGRADE_RESPONDER_COMPONENT and
#                                                   UPGRADE_RESPONDER_COMPONENT_SHA256)
#
# Every tool that can reach the image's bytes is pinned in
# deploy/image/pins.env and checked before anything is built: the Debian 12
# packages (musl-tools, gcc-12, binutils, buildah) must be at their pinned
# versions (the error prints the apt-get command that installs them), and
# cargo-auditable and cargo-cyclonedx are installed at theirs with `cargo
# install --locked` into the cargo home (CARGO_HOME/image-tools), never
# taken from PATH. IMAGE_UNPINNED_TOOLS=1 builds with other versions anyway
# and says so in the provenance (the digest will not match a release).
# Output in deploy/image/out/ (gitignored): <name>.oci/ (OCI layout),
# <name>.tar (docker-archive), <name>.digest (manifest digest); for the host
# also upgrade-responder.cdx.json (CycloneDX SBOM of the binary's crates) and
# upgrade-responder.provenance.json (source commit, toolchain, wasmtime,
# digests of binary, SBOM and image).
# Settings: IMAGE_REPO (default docker.io/rancher/k3s-upgrade-responder; a
# component image is named <IMAGE_REPO or ...-component>-<NAME>, a
# distribution image <IMAGE_REPO>-<NAME>), IMAGE_TAG (default v<workspace
# version>; a distribution image is built FROM the host image of the same
# tag). The host image is smoke-tested: its binary runs `config` in the
# image, as uid 65532. A distribution image too, as uid 65532: `config`
# shows the ENV's component and pin, a dry run on a facts file
# (IMAGE_SMOKE_FACTS, default tests/fixtures/facts/k3s-ha.json) must print
# the payload this checkout's host prints from the .wasm, and the same run
# with another pin must be refused (exit 3). Outputs of a distribution
# image: upgrade-responder-<NAME>.{oci,tar,digest}.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/deploy/image/out
mkdir -p "$out"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
tag=${IMAGE_TAG:-v$version}
repo=${IMAGE_REPO:-docker.io/rancher/k3s-upgrade-responder}
buildah=(buildah --storage-driver vfs)

# shellcheck source=pins.env
. "$root/deploy/image/pins.env"
cargo_home=${CARGO_HOME:-$HOME/.cargo}
unpinned=()
# "package=version" of each Debian package as check_debian_pins found it,
# for the provenance.
debian_found=""

# The Debian packages named (all of DEBIAN_PACKAGES when none is) at their
# pinned versions, or the build stops with the command that installs them.
check_debian_pins() {
    local pin package want have off=()
    for pin in $DEBIAN_PACKAGES; do
        package=${pin%%=*}
        want=${pin#*=}
        if [ $# -gt 0 ] && [[ " $* " != *" $package "* ]]; then continue; fi
        if command -v dpkg-query >/dev/null; then
            have=$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || true)
        else
            have="unknown-no-dpkg-query"  # not Debian: cannot be checked
        fi
        debian_found+="$package=${have:-missing} "
        [ "$have" = "$want" ] || off+=("$package is ${have:-not installed}, pinned $want;")
    done
    [ ${#off[@]} -eq 0 ] && return 0
    if [ "${IMAGE_UNPINNED_TOOLS:-0}" = 1 ]; then
        echo "build.sh: WARNING building with tools off their pins (IMAGE_UNPINNED_TOOLS=1): ${off[*]}" >&2
        unpinned+=("${off[@]%;}")
        return 0
    fi
    echo "build.sh: tools off their pins (deploy/image/pins.env): ${off[*]} install the pinned ones with: apt-get install $DEBIAN_PACKAGES (or set IMAGE_UNPINNED_TOOLS=1 to build anyway, with a digest that will not match a release)" >&2
    exit 1
}

# A cargo tool at its pinned version, installed with its own lock file into
# the cargo home; prints the directory to put first on PATH. One found on
# PATH is set aside, whatever its version.
pinned_cargo_tool() { # crate version
    local dir=$cargo_home/image-tools/$1-$2
    if ! cargo install --list --root "$dir" 2>/dev/null | grep -qx "$1 v$2:"; then
        echo "build.sh: installing $1 $2 (pinned) into $dir" >&2
        cargo install --quiet --locked --root "$dir" "$1@$2" >&2 || {
            echo "build.sh: could not install $1 $2: cargo install --locked --root $dir $1@$2 failed (crates.io must be reachable)" >&2
            exit 1
        }
    fi
    local found
    found=$(command -v "$1" || true)
    if [ -n "$found" ] && [ "$found" != "$dir/bin/$1" ]; then
        echo "build.sh: $found set aside: the build uses $1 $2 from $dir" >&2
    fi
    echo "$dir/bin"
}

need() { command -v "$1" >/dev/null || { echo "build.sh: $1 not found: $2" >&2; exit 1; }; }

kind=${1:-host}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

case "$kind" in
host)
    check_debian_pins
    rustup target add x86_64-unknown-linux-musl
    auditable_bin=$(pinned_cargo_tool cargo-auditable "$CARGO_AUDITABLE_VERSION")
    cyclonedx_bin=$(pinned_cargo_tool cargo-cyclonedx "$CARGO_CYCLONEDX_VERSION")
    export PATH="$auditable_bin:$cyclonedx_bin:$PATH"
    need musl-gcc "apt-get install musl-tools (ring's C code is built with musl-gcc)"
    need buildah "apt-get install buildah"
    # Reproducible wherever the sources and the cargo home are: the paths
    # rustc records (panic locations, debug info) are remapped, for the host
    # and for the components the build embeds (their nested build reads the
    # wasm32 variable; it drops the host's RUSTFLAGS on purpose).
    remap="--remap-path-prefix=$root=/build/upgrade-responder --remap-path-prefix=$cargo_home=/build/cargo"
    export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$remap"
    export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="$remap"
    export SOURCE_DATE_EPOCH=0
    # A release build (settings.build = release: the components send
    # dev=false) only from a clean tree whose HEAD is the tag v<version>;
    # anything else is a development build, as a developer's cargo build is.
    release_build=0
    if [ "$(git describe --exact-match --tags HEAD 2>/dev/null)" = "v$version" ] &&
        ! git status --porcelain 2>/dev/null | grep -q .; then
        release_build=1
    fi
    export UPGRADE_RESPONDER_RELEASE_BUILD=$release_build
    echo "build.sh: $([ "$release_build" = 1 ] && echo "release build (clean tree at tag v$version)" || echo "development build (not a clean tree at tag v$version): reports carry dev=true")" >&2
    # cargo auditable embeds the dependency list in the binary (read it with
    # `cargo audit bin` or `rust-audit-info`).
    # Without the compiler: the image only ever loads pinned, precompiled
    # components (DEVELOPMENT.md, "No compilation at run time").
    # cargo-auditable names itself to cargo as the workspace wrapper by its
    # absolute path, and cargo hashes that path into every workspace
    # crate's symbols: the binary then depends on where the tool is
    # installed (three machines gave three binaries of one commit). Through
    # this shim cargo sees the bare name, found first on PATH above.
    shim=$context/cargo-with-bare-wrapper
    printf '#!/bin/sh\nRUSTC_WORKSPACE_WRAPPER=cargo-auditable exec %q "$@"\n' "$(command -v cargo)" >"$shim"
    chmod +x "$shim"
    CARGO=$shim cargo-auditable auditable build --locked --profile dist --target x86_64-unknown-linux-musl -p upgrade-responder --no-default-features
    if ! readelf -SW target/x86_64-unknown-linux-musl/dist/upgrade-responder | grep -q ' \.dep-v0 '; then
        echo "build.sh: the binary has no .dep-v0 section: cargo-auditable did not run as the workspace wrapper" >&2
        exit 1
    fi
    for leak in "$root" "$cargo_home"; do
        if grep -qaF "$leak" target/x86_64-unknown-linux-musl/dist/upgrade-responder; then
            echo "build.sh: the binary still names $leak: the build is not reproducible" >&2
            exit 1
        fi
    done
    # cargo-cyclonedx writes one file beside every workspace member's
    # manifest: keep the host's, drop the others.
    cargo cyclonedx --manifest-path host/Cargo.toml --format json \
        --target x86_64-unknown-linux-musl --spec-version 1.5 --override-filename upgrade-responder.cdx >/dev/null
    sbom=$context/sbom.json
    mv host/upgrade-responder.cdx.json "$sbom"
    find "$root" -path "$root/target" -prune -o -path "$out" -prune -o \
        -name upgrade-responder.cdx.json -print0 | xargs -0 rm -f
    # The SBOM's timestamp and serial number change on every run, and the
    # workspace's own packages are named by cargo's package IDs, which hold
    # the checkout's absolute path: pin the first two and write the path as
    # the binary's remapped one, so the same sources give the same SBOM.
    python3 - "$sbom" "$out/upgrade-responder.cdx.json" "$root" <<'PY'
import json, sys
bom = json.load(open(sys.argv[1]))
bom.pop("serialNumber", None)
bom.get("metadata", {})["timestamp"] = "1970-01-01T00:00:00Z"
checkout = "file://" + sys.argv[3]
def unrooted(value):
    if isinstance(value, str):
        return value.replace(checkout, "file:///build/upgrade-responder")
    if isinstance(value, list):
        return [unrooted(v) for v in value]
    if isinstance(value, dict):
        return {k: unrooted(v) for k, v in value.items()}
    return value
bom = unrooted(bom)
text = json.dumps(bom, indent=2, sort_keys=True)
if sys.argv[3] in text:
    sys.exit(f"build.sh: the SBOM still names the checkout {sys.argv[3]}: it is not reproducible")
open(sys.argv[2], "w").write(text)
PY
    rm -f "$sbom"
    install -m 0755 target/x86_64-unknown-linux-musl/dist/upgrade-responder "$context/upgrade-responder"
    containerfile=$root/deploy/image/Containerfile
    name=upgrade-responder
    image=$repo:$tag
    ;;
component)
    check_debian_pins buildah
    need buildah "apt-get install buildah"
    wasm=${2:?usage: build.sh component FILE.wasm NAME}
    name=${3:?usage: build.sh component FILE.wasm NAME}
    [ -f "$wasm" ] || { echo "build.sh: $wasm: no such file" >&2; exit 1; }
    # The shipped host has no compiler: the image carries the component
    # precompiled for this host version's engine, by this checkout's
    # compiler build (`upgrade-responder compile` judges it first, as a run
    # would). A file already precompiled is taken as it is.
    if [ "$(head -c 4 "$wasm" | od -An -tx1 | tr -d ' \n')" = 0061736d ]; then
        cargo build --locked --release -p upgrade-responder
        target/release/upgrade-responder compile "$wasm" -o "$context/reporter.wasm" >/dev/null
    else
        install -m 0644 "$wasm" "$context/reporter.wasm"
    fi
    pin=$(sha256sum "$context/reporter.wasm" | cut -d' ' -f1)
    containerfile=$root/deploy/image/Containerfile.component
    image=${IMAGE_REPO:-docker.io/rancher/k3s-upgrade-responder-component}-$name:$tag
    ;;
distro)
    check_debian_pins buildah
    need buildah "apt-get install buildah"
    wasm=${2:?usage: build.sh distro FILE.wasm NAME}
    component_name=${3:?usage: build.sh distro FILE.wasm NAME}
    [[ $component_name =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || {
        echo "build.sh: NAME must be lowercase letters, digits, . and - (it names the file and the image): $component_name" >&2
        exit 2
    }
    [ -f "$wasm" ] || { echo "build.sh: $wasm: no such file" >&2; exit 1; }
    # FROM the host image this script built, by its OCI layout (never a
    # registry): the component is precompiled for that host version.
    host_layout=$out/upgrade-responder.oci
    if ! grep -qF "\"org.opencontainers.image.ref.name\":\"$tag\"" "$host_layout/index.json" 2>/dev/null; then
        echo "build.sh: no host image $tag in $host_layout: build it first with deploy/image/build.sh (same IMAGE_TAG)" >&2
        exit 1
    fi
    host_commit=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source"]["commit"])' \
        "$out/upgrade-responder.provenance.json" 2>/dev/null || echo unknown)
    if [ "$host_commit" != "$(git rev-parse HEAD 2>/dev/null || echo none)" ]; then
        echo "build.sh: note: the host image was built from $host_commit, this checkout is $(git rev-parse --short HEAD 2>/dev/null); the smoke test below proves the artefact loads in it" >&2
    fi
    # Precompiled by this checkout's compiler build, as for a component image
    # (`compile` judges it first, as a run would); a file already
    # precompiled is taken as it is.
    cargo build --locked --release -p upgrade-responder
    if [ "$(head -c 4 "$wasm" | od -An -tx1 | tr -d ' \n')" = 0061736d ]; then
        target/release/upgrade-responder compile "$wasm" -o "$context/component.cwasm" >/dev/null
    else
        install -m 0644 "$wasm" "$context/component.cwasm"
    fi
    pin=$(sha256sum "$context/component.cwasm" | cut -d' ' -f1)
    containerfile=$root/deploy/image/Containerfile.distro
    name=upgrade-responder-$component_name
    image=${IMAGE_REPO:-docker.io/rancher/k3s-upgrade-responder}-$component_name:$tag
    build_args=(--build-arg "HOST_IMAGE=oci:$host_layout:$tag" --build-arg "NAME=$component_name" --build-arg "SHA256=$pin")
    ;;
*)
    echo "usage: build.sh [host | component FILE.wasm NAME | distro FILE.wasm NAME]" >&2
    exit 2
    ;;
esac

# Same file modes and times on every build: the layer digest depends on them.
find "$context" -exec touch -h -d @0 {} +

"${buildah[@]}" bud --quiet --isolation chroot --timestamp 0 --layers=false \
    --format oci ${build_args[@]+"${build_args[@]}"} -f "$containerfile" -t "$image" "$context" >/dev/null

rm -rf "$out/$name.oci" "$out/$name.tar"
"${buildah[@]}" push --quiet --digestfile "$out/$name.digest" "$image" "oci:$out/$name.oci:$tag"
"${buildah[@]}" push --quiet "$image" "docker-archive:$out/$name.tar:$image"

if [ "$kind" = host ]; then
    # Smoke test: the image's binary runs, as its own user (65532).
    ctr=$("${buildah[@]}" from --quiet "$image")
    trap 'rm -rf "$context"; "${buildah[@]}" rm "$ctr" >/dev/null' EXIT
    uid=$("${buildah[@]}" inspect --type container --format '{{.OCIv1.Config.User}}' "$ctr")
    "${buildah[@]}" run --isolation chroot "$ctr" -- /upgrade-responder config >/dev/null
    echo "smoke:      /upgrade-responder config ran in the image as user $uid"
fi
if [ "$kind" = distro ]; then
    # Smoke test, as the image's user (65532): the ENV names the component
    # and its pin; a dry run loads it (precompiled, pinned: the host checks
    # the sha256 before loading) and prints the payload this checkout's
    # host prints from the .wasm; another pin is refused.
    ctr=$("${buildah[@]}" from --quiet "$image")
    trap 'rm -rf "$context"; "${buildah[@]}" rm "$ctr" >/dev/null' EXIT
    uid=$("${buildah[@]}" inspect --type container --format '{{.OCIv1.Config.User}}' "$ctr")
    [ "$uid" = 65532:65532 ] || { echo "build.sh: the image runs as $uid, not 65532:65532" >&2; exit 1; }
    facts=$root/${IMAGE_SMOKE_FACTS:-tests/fixtures/facts/k3s-ha.json}
    [ -f "$facts" ] || { echo "build.sh: IMAGE_SMOKE_FACTS: $facts: no such file" >&2; exit 1; }
    in_image() { "${buildah[@]}" run --isolation chroot -v "$facts:/smoke-facts.json:ro" "$@"; }
    config=$(in_image "$ctr" -- /upgrade-responder config)
    for setting in "UPGRADE_RESPONDER_COMPONENT=/components/$component_name.cwasm" "UPGRADE_RESPONDER_COMPONENT_SHA256=$pin"; do
        # `config` prints NAME=value, then "    from SOURCE; description".
        source=$(grep -A1 -xF "$setting" <<<"$config" | sed -n '2s/^ *from \([^;]*\);.*/\1/p')
        [ "$source" = environment ] || {
            echo "build.sh: \`config\` in the image does not show $setting from the environment (the image's ENV):" >&2
            echo "$config" >&2
            exit 1
        }
        echo "smoke:      config: $setting (from $source)"
    done
    # The runs' log lines (stderr) are shown only if a run fails.
    payload=$(in_image "$ctr" -- /upgrade-responder --dry-run --facts /smoke-facts.json 2>"$context/smoke.log") || {
        cat "$context/smoke.log" >&2
        echo "build.sh: the dry run in the image failed" >&2
        exit 1
    }
    if [ "$(head -c 4 "$wasm" | od -An -tx1 | tr -d ' \n')" = 0061736d ]; then
        expected=$(target/release/upgrade-responder --component "$wasm" --dry-run --facts "$facts" 2>"$context/smoke.log") || {
            cat "$context/smoke.log" >&2
            exit 1
        }
        [ "$payload" = "$expected" ] || {
            echo "build.sh: the image's payload differs from this checkout's host's for $wasm:" >&2
            echo "  image: $payload" >&2
            echo "  host:  $expected" >&2
            exit 1
        }
    fi
    echo "smoke:      dry run as user $uid on ${facts#"$root"/}: $payload"
    wrong=$(printf '0%.0s' {1..64})
    set +e
    refused=$(in_image --env "UPGRADE_RESPONDER_COMPONENT_SHA256=$wrong" "$ctr" -- \
        /upgrade-responder --dry-run --facts /smoke-facts.json 2>&1 >/dev/null)
    status=$?
    set -e
    [ "$status" = 3 ] || { echo "build.sh: with another pin the image's run exited $status, not 3 (refused): $refused" >&2; exit 1; }
    refused=$(grep -m1 'component refused' <<<"$refused" || echo "$refused")
    echo "smoke:      with another pin: exit $status, ${refused:0:160}..."
fi
if [ "$kind" = host ]; then
    # Provenance: what this image was built from and with, each tool's
    # version as found on this machine (the Debian ones by the pin check).
    PROV_IMAGE=$image \
    PROV_DIGEST=$(cat "$out/$name.digest") \
    PROV_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown) \
    PROV_DIRTY=$(git status --porcelain 2>/dev/null | grep -q . && echo true || echo false) \
    PROV_RELEASE=$release_build \
    PROV_RUSTC=$(rustc -vV | sed -n 's/^release: //p') \
    PROV_RUSTC_COMMIT=$(rustc -vV | sed -n 's/^commit-hash: //p') \
    PROV_DEBIAN=$debian_found \
    PROV_BUILDAH=$(buildah --version) \
    PROV_AUDITABLE=$CARGO_AUDITABLE_VERSION \
    PROV_CYCLONEDX=$CARGO_CYCLONEDX_VERSION \
    PROV_UNPINNED=$(printf '%s\n' "${unpinned[@]}") \
    PROV_WASMTIME=$(sed -n '/^name = "wasmtime"$/{n;s/^version = "\(.*\)"/\1/p}' Cargo.lock | head -n1) \
    PROV_BINARY=$(sha256sum "$context/upgrade-responder" | cut -d' ' -f1) \
    PROV_SBOM=$(sha256sum "$out/upgrade-responder.cdx.json" | cut -d' ' -f1) \
    python3 - "$out/upgrade-responder.provenance.json" <<'PY'
import json, os, sys
env = os.environ
json.dump({
    "image": env["PROV_IMAGE"],
    "imageDigest": env["PROV_DIGEST"],
    "source": {"commit": env["PROV_COMMIT"], "uncommittedChanges": env["PROV_DIRTY"] == "true"},
    "hostBuild": "release" if env["PROV_RELEASE"] == "1" else "development",
    "toolchain": f"rustc {env['PROV_RUSTC']} ({env['PROV_RUSTC_COMMIT']})",
    "target": "x86_64-unknown-linux-musl",
    "profile": "dist",
    "tools": {
        "cargo-auditable": env["PROV_AUDITABLE"],
        "cargo-cyclonedx": env["PROV_CYCLONEDX"],
        "debian": dict(p.split("=", 1) for p in env["PROV_DEBIAN"].split()),
        "buildah": env["PROV_BUILDAH"],
        "pins": "deploy/image/pins.env",
    },
    "toolsOffTheirPins": [line for line in env["PROV_UNPINNED"].splitlines() if line],
    "wasmtime": env["PROV_WASMTIME"],
    "binarySha256": env["PROV_BINARY"],
    "sbom": {"file": "upgrade-responder.cdx.json", "sha256": env["PROV_SBOM"]},
    "command": "deploy/image/build.sh",
}, open(sys.argv[1], "w"), indent=2)
PY
    echo "sbom:       $out/upgrade-responder.cdx.json"
    echo "provenance: $out/upgrade-responder.provenance.json"
fi
if [ "$kind" = component ]; then
    echo "pin:        UPGRADE_RESPONDER_COMPONENT_SHA256=$pin (chart: component.sha256); the file is /reporter.wasm, precompiled"
fi
if [ "$kind" = distro ]; then
    echo "component:  /components/$component_name.cwasm ($(du -b "$context/component.cwasm" | cut -f1) bytes), sha256 $pin, both in the image's ENV (chart: component.distroImage: $image)"
fi
echo "image:      $image"
echo "digest:     $(cat "$out/$name.digest") (OCI manifest, $out/$name.oci)"
echo "size:       $("${buildah[@]}" images --format '{{.Size}}' "$image") unpacked; $(du -sb "$out/$name.oci/blobs" | cut -f1) bytes compressed (OCI layout blobs)"
echo "tarball:    $out/$name.tar ($(du -b "$out/$name.tar" | cut -f1) bytes; docker-archive for /var/lib/rancher/k3s/agent/images/)"
