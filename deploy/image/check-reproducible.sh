#!/usr/bin/env bash
# Reproducibility as a distribution checks it: builds the host image twice,
# from two clones of HEAD in different directories with different cargo
# homes, and compares the binaries and the image digests. Exit 0 only when
# both are identical. Takes two full release builds (about 25 minutes on 2
# cores); needs what build.sh needs, and crates.io for the second cargo home.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/ur-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A digest binary
for side in a b; do
    src="$work/checkout-$side/src-$side"
    git clone -q . "$src"
    export CARGO_HOME="$work/cargo-home-$side"
    mkdir -p "$CARGO_HOME"
    # Tools already installed are reused (PATH), not rebuilt per home.
    echo "=== build $side in $src (CARGO_HOME=$CARGO_HOME)"
    (cd "$src" && deploy/image/build.sh >"$work/build-$side.log" 2>&1) || {
        tail -n 40 "$work/build-$side.log"; exit 1; }
    digest[$side]=$(cat "$src/deploy/image/out/upgrade-responder.digest")
    binary[$side]=$(sha256sum "$src/target/x86_64-unknown-linux-musl/dist/upgrade-responder" | cut -d' ' -f1)
    echo "binary sha256 ${binary[$side]}  image ${digest[$side]}"
done
if [ "${binary[a]}" = "${binary[b]}" ] && [ "${digest[a]}" = "${digest[b]}" ]; then
    echo "reproducible: one binary (${binary[a]}) and one image digest (${digest[a]}) from two checkouts"
else
    echo "NOT reproducible: binaries ${binary[a]} / ${binary[b]}, images ${digest[a]} / ${digest[b]}" >&2
    exit 1
fi
