#!/usr/bin/env bash
# Reproducibility as a distribution checks it: builds the host image twice,
# from two clones of HEAD in different directories (the second on another
# file system where /dev/shm is one, so directory listing order differs
# too), each with its own empty cargo home into which build.sh installs the
# pinned cargo tools afresh (deploy/image/pins.env; copies on the caller's
# PATH are set aside), and compares the binaries, the SBOMs and the image
# digests. Exit 0 only when all three are identical. Takes two tool
# installations and two full release builds (about 30 minutes on 2 cores);
# needs what build.sh needs, about 2 GB per side, and crates.io.
# REPRO_ROOTS="DIR_A DIR_B" picks where the two sides are built.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${REPRO_ROOTS:-}" ]; then
    REPRO_ROOTS=/tmp
    if [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" != "$(stat -f -c %T /tmp)" ]; then
        REPRO_ROOTS="/tmp /dev/shm"
    else
        REPRO_ROOTS="/tmp /tmp"
    fi
fi
read -r root_a root_b <<<"$REPRO_ROOTS"
work_a=$(mktemp -d "$root_a/ur-repro-a.XXXXXX")
work_b=$(mktemp -d "$root_b/ur-repro-b.XXXXXX")
trap 'rm -rf "$work_a" "$work_b"' EXIT
declare -A digest binary sbom work=([a]=$work_a [b]=$work_b)
for side in a b; do
    src="${work[$side]}/checkout-$side/src-$side"
    git clone -q . "$src"
    export CARGO_HOME="${work[$side]}/cargo-home-$side"
    mkdir -p "$CARGO_HOME"
    log="${work[$side]}/build-$side.log"
    echo "=== build $side in $src ($(stat -f -c %T "$src") file system; CARGO_HOME=$CARGO_HOME, empty)"
    (cd "$src" && deploy/image/build.sh >"$log" 2>&1) || { tail -n 40 "$log"; exit 1; }
    out="$src/deploy/image/out"
    digest[$side]=$(cat "$out/upgrade-responder.digest")
    binary[$side]=$(sha256sum "$src/target/x86_64-unknown-linux-musl/dist/upgrade-responder" | cut -d' ' -f1)
    sbom[$side]=$(sha256sum "$out/upgrade-responder.cdx.json" | cut -d' ' -f1)
    echo "binary sha256 ${binary[$side]}  sbom sha256 ${sbom[$side]}  image ${digest[$side]}"
    python3 -c 'import json,sys; print("tools:", json.dumps(json.load(open(sys.argv[1]))["tools"]))' \
        "$out/upgrade-responder.provenance.json"
done
if [ "${binary[a]}" = "${binary[b]}" ] && [ "${sbom[a]}" = "${sbom[b]}" ] && [ "${digest[a]}" = "${digest[b]}" ]; then
    echo "reproducible: one binary (${binary[a]}), one SBOM (${sbom[a]}) and one image digest (${digest[a]}) from two checkouts and two fresh cargo homes"
else
    echo "NOT reproducible: binaries ${binary[a]} / ${binary[b]}, SBOMs ${sbom[a]} / ${sbom[b]}, images ${digest[a]} / ${digest[b]}" >&2
    exit 1
fi
