#!/usr/bin/env bash
# Builds the upgrade-responder image without a Docker engine (buildah, vfs
# storage, chroot isolation), reproducibly (timestamps 0, same inputs -> same
# digest), into an OCI layout and a docker-archive tarball for K3s/RKE2
# air-gapped import (/var/lib/rancher/k3s/agent/images/).
#
#   deploy/image/build.sh                          the host image
#   deploy/image/build.sh component FILE.wasm NAME  a component image (FROM scratch, one .wasm)
#
# Needs (Debian 12): buildah, musl-tools, ca-certificates, rustup.
# Output in deploy/image/out/ (gitignored): <name>.oci/ (OCI layout),
# <name>.tar (docker-archive), <name>.digest (manifest digest).
# Settings: IMAGE_REPO (default docker.io/rancher/k3s-upgrade-responder; a
# component image is named <IMAGE_REPO or ...-component>-<NAME>), IMAGE_TAG
# (default v<workspace version>). The host image is smoke-tested: its binary
# runs `config` in the image, as uid 65532.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/deploy/image/out
mkdir -p "$out"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
tag=${IMAGE_TAG:-v$version}
repo=${IMAGE_REPO:-docker.io/rancher/k3s-upgrade-responder}
buildah=(buildah --storage-driver vfs)

need() { command -v "$1" >/dev/null || { echo "build.sh: $1 not found: $2" >&2; exit 1; }; }
need buildah "apt-get install buildah"

kind=${1:-host}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

case "$kind" in
host)
    need musl-gcc "apt-get install musl-tools (ring's C code is built with musl-gcc)"
    ca=/etc/ssl/certs/ca-certificates.crt
    [ -f "$ca" ] || { echo "build.sh: $ca missing: apt-get install ca-certificates" >&2; exit 1; }
    rustup target add x86_64-unknown-linux-musl
    cargo build --locked --profile dist --target x86_64-unknown-linux-musl -p upgrade-responder
    install -m 0755 target/x86_64-unknown-linux-musl/dist/upgrade-responder "$context/upgrade-responder"
    install -m 0644 "$ca" "$context/ca-certificates.crt"
    containerfile=$root/deploy/image/Containerfile
    name=upgrade-responder
    image=$repo:$tag
    ;;
component)
    wasm=${2:?usage: build.sh component FILE.wasm NAME}
    name=${3:?usage: build.sh component FILE.wasm NAME}
    install -m 0644 "$wasm" "$context/reporter.wasm"
    containerfile=$root/deploy/image/Containerfile.component
    image=${IMAGE_REPO:-docker.io/rancher/k3s-upgrade-responder-component}-$name:$tag
    ;;
*)
    echo "usage: build.sh [host | component FILE.wasm NAME]" >&2
    exit 2
    ;;
esac

# Same file modes and times on every build: the layer digest depends on them.
find "$context" -exec touch -h -d @0 {} +

"${buildah[@]}" bud --quiet --isolation chroot --timestamp 0 --layers=false \
    --format oci -f "$containerfile" -t "$image" "$context" >/dev/null

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
echo "image:      $image"
echo "digest:     $(cat "$out/$name.digest") (OCI manifest, $out/$name.oci)"
echo "size:       $("${buildah[@]}" images --format '{{.Size}}' "$image") unpacked; $(du -sb "$out/$name.oci/blobs" | cut -f1) bytes compressed (OCI layout blobs)"
echo "tarball:    $out/$name.tar ($(du -b "$out/$name.tar" | cut -f1) bytes; docker-archive for /var/lib/rancher/k3s/agent/images/)"
