#!/usr/bin/env bash
# What a user would write instead of upgrade-responder: read the same facts
# with curl (or kubectl) and jq, count nodes the same way, POST the same
# payload. The benchmark runs it side by side with the host.
#
# Environment: KUBE_API (https://host:port), KUBE_TOKEN, KUBE_CA (PEM file),
# ENDPOINT (the upgrade-responder URL); NODE_LISTER=kubectl lists the nodes
# with `kubectl --kubeconfig "$KUBECONFIG" get nodes -o json` instead of curl.
set -euo pipefail

api() { curl -fsS --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" "$KUBE_API$1"; }

list_nodes() {
    case "${NODE_LISTER:-curl}" in
    curl) api /api/v1/nodes ;;
    kubectl) kubectl --kubeconfig "$KUBECONFIG" get nodes -o json ;;
    *) echo "NODE_LISTER must be curl or kubectl" >&2; exit 2 ;;
    esac
}

version=$(api /version | jq -r .gitVersion)
uuid=$(api /api/v1/namespaces/kube-system | jq -r .metadata.uid)
# A server carries the control-plane (or, on older releases, master) role.
counts=$(list_nodes | jq -c '
    [.items[].metadata.labels // {}
     | has("node-role.kubernetes.io/control-plane") or has("node-role.kubernetes.io/master")]
    | {nodeCount: length,
       serverNodeCount: map(select(.)) | length,
       agentNodeCount: map(select(. | not)) | length}')
payload=$(jq -cn --arg v "$version" --arg uuid "$uuid" --argjson counts "$counts" '
    {appVersion: $v,
     extraTagInfo: {kubernetesVersion: ($v | sub("\\+.*$"; "")), clusteruuid: $uuid},
     extraFieldInfo: $counts}')
curl -fsS -o /dev/null -X POST -H 'content-type: application/json' --data "$payload" "$ENDPOINT"
