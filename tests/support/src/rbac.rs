//! RBAC as the real API server does it: map a request to its authorization
//! attributes (k8s.io/apiserver RequestInfoFactory) and match it against
//! rules (k8s.io/kubernetes/pkg/apis/rbac/validation).

/// One RBAC policy rule, as bound to the client's service account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A resource rule. `namespace: None` means it comes from a ClusterRole
    /// bound by a ClusterRoleBinding (all namespaces and cluster scope);
    /// `Some(ns)` means a Role or ClusterRole bound by a RoleBinding in `ns`.
    Resource {
        namespace: Option<String>,
        api_groups: Vec<String>,
        resources: Vec<String>,
        verbs: Vec<String>,
        /// Restricts the rule to these object names; never matches a list.
        resource_names: Vec<String>,
    },
    /// A non-resource URL rule (`/version`, `/healthz`, `/api/*`...).
    NonResource {
        urls: Vec<String>,
        verbs: Vec<String>,
    },
}

impl Rule {
    /// A cluster-wide resource rule (ClusterRole + ClusterRoleBinding).
    pub fn cluster(api_groups: &[&str], resources: &[&str], verbs: &[&str]) -> Rule {
        Rule::Resource {
            namespace: None,
            api_groups: strings(api_groups),
            resources: strings(resources),
            verbs: strings(verbs),
            resource_names: Vec::new(),
        }
    }

    /// A resource rule granted only in `namespace` (Role + RoleBinding).
    pub fn namespaced(
        namespace: &str,
        api_groups: &[&str],
        resources: &[&str],
        verbs: &[&str],
    ) -> Rule {
        Rule::Resource {
            namespace: Some(namespace.to_string()),
            api_groups: strings(api_groups),
            resources: strings(resources),
            verbs: strings(verbs),
            resource_names: Vec::new(),
        }
    }

    /// The same rule restricted to the given object names.
    pub fn with_names(self, names: &[&str]) -> Rule {
        match self {
            Rule::Resource {
                namespace,
                api_groups,
                resources,
                verbs,
                ..
            } => Rule::Resource {
                namespace,
                api_groups,
                resources,
                verbs,
                resource_names: strings(names),
            },
            other => other,
        }
    }

    /// A non-resource URL rule.
    pub fn non_resource(urls: &[&str], verbs: &[&str]) -> Rule {
        Rule::NonResource {
            urls: strings(urls),
            verbs: strings(verbs),
        }
    }

    /// The rules the upgrade-responder client needs: list nodes, get the
    /// kube-system namespace, list deployments and daemonsets in kube-system,
    /// get /version.
    pub fn client_minimum() -> Vec<Rule> {
        vec![
            Rule::cluster(&[""], &["nodes"], &["list"]),
            Rule::cluster(&[""], &["namespaces"], &["get"]).with_names(&["kube-system"]),
            Rule::namespaced(
                "kube-system",
                &["apps"],
                &["deployments", "daemonsets"],
                &["list"],
            ),
            Rule::non_resource(&["/version", "/version/"], &["get"]),
        ]
    }
}

/// The service account the deploy manifest runs the job as.
pub const SERVICE_ACCOUNT_NAMESPACE: &str = "kube-system";
pub const SERVICE_ACCOUNT_NAME: &str = "upgrade-responder";

impl Rule {
    /// What every cluster grants every user, authenticated or not
    /// (the bootstrap ClusterRole `system:public-info-viewer`, bound to
    /// `system:authenticated` and `system:unauthenticated`): GET /version
    /// and the health endpoints. The manifest needs no rule for them.
    pub fn public_info_viewer() -> Vec<Rule> {
        vec![Rule::non_resource(
            &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            &["get"],
        )]
    }

    /// The rules a set of Kubernetes manifests (multi-document YAML) grants
    /// the service account `kube-system:upgrade-responder`, one [`Rule`] per
    /// policy rule, in manifest order: every Role and ClusterRole that a
    /// RoleBinding or ClusterRoleBinding in the file binds to that account
    /// (directly, as its user name, or through one of its groups). A
    /// binding to a role the file does not define is an error, so nothing
    /// is granted that the file does not show.
    pub fn from_manifest(path: &std::path::Path) -> anyhow::Result<Vec<Rule>> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Rule::from_manifest_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// [`Rule::from_manifest`] on YAML text.
    pub fn from_manifest_str(text: &str) -> anyhow::Result<Vec<Rule>> {
        use anyhow::{Context as _, bail};
        use serde_json::Value;

        let docs: Vec<Value> =
            serde_saphyr::from_multiple(text).context("the manifest is not valid YAML")?;
        let docs: Vec<&Value> = docs.iter().filter(|d| !d.is_null()).collect();
        let str_of = |v: &Value, pointer: &str| -> String {
            v.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let find_role = |kind: &str, namespace: &str, name: &str| -> Option<&Value> {
            docs.iter().copied().find(|d| {
                str_of(d, "/kind") == kind
                    && str_of(d, "/metadata/name") == name
                    && (kind == "ClusterRole" || str_of(d, "/metadata/namespace") == namespace)
            })
        };

        let mut rules = Vec::new();
        for doc in &docs {
            let kind = str_of(doc, "/kind");
            let binding_namespace = match kind.as_str() {
                "ClusterRoleBinding" => None,
                "RoleBinding" => Some(str_of(doc, "/metadata/namespace")),
                _ => continue,
            };
            let binding = str_of(doc, "/metadata/name");
            let subjects = doc
                .get("subjects")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !subjects.iter().any(binds_the_service_account) {
                continue;
            }
            let role_kind = str_of(doc, "/roleRef/kind");
            let role_name = str_of(doc, "/roleRef/name");
            if kind == "ClusterRoleBinding" && role_kind != "ClusterRole" {
                bail!("ClusterRoleBinding {binding} refers to a {role_kind}, not a ClusterRole");
            }
            let role = find_role(
                &role_kind,
                binding_namespace.as_deref().unwrap_or_default(),
                &role_name,
            )
            .with_context(|| {
                format!(
                    "{kind} {binding} binds {role_kind} {role_name}, which the manifest does not define"
                )
            })?;
            for policy in role
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let list = |key: &str| -> Vec<String> {
                    policy
                        .get(key)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|v| v.as_str().unwrap_or_default().to_string())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let urls = list("nonResourceURLs");
                if !urls.is_empty() {
                    if binding_namespace.is_some() {
                        // The API server ignores non-resource rules bound
                        // by a RoleBinding.
                        continue;
                    }
                    rules.push(Rule::NonResource {
                        urls,
                        verbs: list("verbs"),
                    });
                    continue;
                }
                rules.push(Rule::Resource {
                    namespace: binding_namespace.clone(),
                    api_groups: list("apiGroups"),
                    resources: list("resources"),
                    verbs: list("verbs"),
                    resource_names: list("resourceNames"),
                });
            }
        }
        Ok(rules)
    }
}

/// Whether a binding subject applies to the job's service account.
fn binds_the_service_account(subject: &serde_json::Value) -> bool {
    let field = |key: &str| {
        subject
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let user = format!("system:serviceaccount:{SERVICE_ACCOUNT_NAMESPACE}:{SERVICE_ACCOUNT_NAME}");
    let namespace_group = format!("system:serviceaccounts:{SERVICE_ACCOUNT_NAMESPACE}");
    match field("kind") {
        "ServiceAccount" => {
            field("name") == SERVICE_ACCOUNT_NAME && field("namespace") == SERVICE_ACCOUNT_NAMESPACE
        }
        "User" => field("name") == user,
        "Group" => [
            "system:authenticated",
            "system:serviceaccounts",
            namespace_group.as_str(),
        ]
        .contains(&field("name")),
        _ => false,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Authorization attributes of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Attributes {
    pub(crate) resource_request: bool,
    pub(crate) path: String,
    pub(crate) verb: String,
    pub(crate) api_group: String,
    pub(crate) api_version: String,
    pub(crate) namespace: String,
    pub(crate) resource: String,
    pub(crate) subresource: String,
    pub(crate) name: String,
}

/// RequestInfoFactory.NewRequestInfo, for the `api` and `apis` prefixes.
pub(crate) fn attributes(method: &str, path: &str, params: &[(String, String)]) -> Attributes {
    let mut info = Attributes {
        path: path.to_string(),
        verb: method.to_ascii_lowercase(),
        ..Attributes::default()
    };
    let mut parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if parts.len() == 1 && parts[0].is_empty() {
        parts.clear();
    }
    if parts.len() < 3 || !(parts[0] == "api" || parts[0] == "apis") {
        return info;
    }
    let groupless = parts[0] == "api";
    let mut cur = &parts[1..];
    if !groupless {
        if cur.len() < 3 {
            return info;
        }
        info.api_group = cur[0].to_string();
        cur = &cur[1..];
    }
    info.resource_request = true;
    info.api_version = cur[0].to_string();
    cur = &cur[1..];

    if cur[0] == "watch" || cur[0] == "proxy" {
        info.verb = cur[0].to_string();
        cur = &cur[1..];
        if cur.is_empty() {
            return info;
        }
    } else {
        info.verb = match method {
            "POST" => "create",
            "GET" | "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        }
        .to_string();
    }

    if cur[0] == "namespaces" && cur.len() > 1 {
        info.namespace = cur[1].to_string();
        if cur.len() > 2 && !(cur[2] == "status" || cur[2] == "finalize") {
            cur = &cur[2..];
        }
    }
    if cur.len() >= 3 && info.verb != "proxy" {
        info.subresource = cur[2].to_string();
    }
    if cur.len() >= 2 {
        info.name = cur[1].to_string();
    }
    if !cur.is_empty() {
        info.resource = cur[0].to_string();
    }

    if info.name.is_empty() && info.verb == "get" {
        let watch = crate::query::get(params, "watch")
            .map(|w| w == "true" || w == "1")
            .unwrap_or(false);
        info.verb = if watch { "watch" } else { "list" }.to_string();
    }
    if info.name.is_empty() && info.verb == "delete" {
        info.verb = "deletecollection".to_string();
    }
    info
}

fn has(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

fn resource_matches(rule_resources: &[String], resource: &str, subresource: &str) -> bool {
    let combined = if subresource.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}/{subresource}")
    };
    rule_resources.iter().any(|r| {
        r == "*"
            || *r == combined
            || (!subresource.is_empty()
                && (*r == format!("*/{subresource}") || *r == format!("{resource}/*")))
    })
}

fn non_resource_url_matches(rule_url: &str, path: &str) -> bool {
    if rule_url == path || rule_url == "*" {
        return true;
    }
    match rule_url.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => false,
    }
}

/// Whether any rule allows the request.
pub(crate) fn allowed(rules: &[Rule], a: &Attributes) -> bool {
    rules.iter().any(|rule| match rule {
        Rule::Resource {
            namespace,
            api_groups,
            resources,
            verbs,
            resource_names,
        } => {
            a.resource_request
                && namespace.as_ref().is_none_or(|ns| *ns == a.namespace)
                && has(verbs, &a.verb)
                && has(api_groups, &a.api_group)
                && resource_matches(resources, &a.resource, &a.subresource)
                && (resource_names.is_empty() || resource_names.contains(&a.name))
        }
        Rule::NonResource { urls, verbs } => {
            !a.resource_request
                && has(verbs, &a.verb)
                && urls.iter().any(|u| non_resource_url_matches(u, &a.path))
        }
    })
}

/// The message of the real Forbidden Status
/// (apiserver responsewriters.forbiddenMessage wrapped by errors.NewForbidden).
pub(crate) fn forbidden_message(user: &str, a: &Attributes) -> String {
    if !a.resource_request {
        return format!(
            "forbidden: User {user:?} cannot {} path {:?}",
            a.verb, a.path
        );
    }
    let mut resource = a.resource.clone();
    if !a.subresource.is_empty() {
        resource = format!("{resource}/{}", a.subresource);
    }
    let why = if a.namespace.is_empty() {
        format!(
            "User {user:?} cannot {} resource {resource:?} in API group {:?} at the cluster scope",
            a.verb, a.api_group
        )
    } else {
        format!(
            "User {user:?} cannot {} resource {resource:?} in API group {:?} in the namespace {:?}",
            a.verb, a.api_group, a.namespace
        )
    };
    let qualified = qualified_resource(&a.api_group, &a.resource);
    if qualified.is_empty() {
        format!("forbidden: {why}")
    } else if a.name.is_empty() {
        format!("{qualified} is forbidden: {why}")
    } else {
        format!("{qualified} {:?} is forbidden: {why}", a.name)
    }
}

/// schema.GroupResource.String(): `resource` for the core group, else
/// `resource.group`.
pub(crate) fn qualified_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: &str, path_and_query: &str) -> Attributes {
        let (path, q) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        attributes(method, path, &crate::query::parse(q))
    }

    #[test]
    fn maps_requests_like_the_api_server() {
        let a = attrs("GET", "/api/v1/nodes");
        assert!(a.resource_request);
        assert_eq!(
            (a.verb.as_str(), a.resource.as_str(), a.namespace.as_str()),
            ("list", "nodes", "")
        );

        let a = attrs("GET", "/api/v1/nodes?watch=true");
        assert_eq!(a.verb, "watch");

        let a = attrs("GET", "/api/v1/namespaces/kube-system");
        assert_eq!(a.resource, "namespaces");
        assert_eq!(a.name, "kube-system");
        assert_eq!(a.verb, "get");
        // The real RequestInfo puts the namespace's own name in Namespace.
        assert_eq!(a.namespace, "kube-system");

        let a = attrs("GET", "/apis/apps/v1/namespaces/kube-system/deployments");
        assert_eq!(
            (
                a.api_group.as_str(),
                a.resource.as_str(),
                a.namespace.as_str(),
                a.verb.as_str()
            ),
            ("apps", "deployments", "kube-system", "list")
        );

        let a = attrs(
            "GET",
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns/scale",
        );
        assert_eq!(
            (a.name.as_str(), a.subresource.as_str(), a.verb.as_str()),
            ("coredns", "scale", "get")
        );

        for p in ["/version", "/api", "/api/v1", "/apis/apps/v1", "/healthz"] {
            let a = attrs("GET", p);
            assert!(!a.resource_request, "{p}");
            assert_eq!(a.verb, "get");
        }
        assert_eq!(attrs("DELETE", "/api/v1/nodes").verb, "deletecollection");
        assert_eq!(attrs("POST", "/api/v1/nodes").verb, "create");
    }

    #[test]
    fn wildcards_and_names() {
        let rules = vec![
            Rule::cluster(&["*"], &["*"], &["get"]).with_names(&["a"]),
            Rule::non_resource(&["/healthz/*"], &["*"]),
        ];
        assert!(allowed(&rules, &attrs("GET", "/api/v1/nodes/a")));
        assert!(!allowed(&rules, &attrs("GET", "/api/v1/nodes/b")));
        assert!(!allowed(&rules, &attrs("GET", "/api/v1/nodes")));
        assert!(allowed(&rules, &attrs("GET", "/healthz/ping")));
        assert!(!allowed(&rules, &attrs("GET", "/healthz")));
        assert!(!allowed(&rules, &attrs("GET", "/version")));
    }

    #[test]
    fn manifest_loader_follows_bindings_and_refuses_undefined_roles() {
        let yaml = r#"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - {apiGroups: [""], resources: [nodes], verbs: [list]}
  - {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: unbound}
rules:
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: upgrade-responder, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: other}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: Group, name: "system:serviceaccounts:kube-system"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: someone-else, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: unbound}
subjects: [{kind: ServiceAccount, name: upgrade-responder, namespace: default}]
"#;
        assert_eq!(
            Rule::from_manifest_str(yaml).unwrap(),
            vec![
                Rule::cluster(&[""], &["nodes"], &["list"]),
                Rule::non_resource(&["/metrics"], &["get"]),
                Rule::namespaced("other", &[""], &["nodes"], &["list"]),
            ]
        );

        let dangling = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: "system:serviceaccount:kube-system:upgrade-responder"}]
"#;
        assert_eq!(
            Rule::from_manifest_str(dangling).unwrap_err().to_string(),
            "ClusterRoleBinding admin binds ClusterRole cluster-admin, which the manifest does not define"
        );
    }

    #[test]
    fn forbidden_messages() {
        let u = "system:serviceaccount:kube-system:upgrade-responder";
        assert_eq!(
            forbidden_message(u, &attrs("GET", "/api/v1/nodes")),
            format!(
                "nodes is forbidden: User \"{u}\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
            )
        );
        assert_eq!(
            forbidden_message(
                u,
                &attrs("GET", "/apis/apps/v1/namespaces/kube-system/deployments")
            ),
            format!(
                "deployments.apps is forbidden: User \"{u}\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"kube-system\""
            )
        );
        assert_eq!(
            forbidden_message(u, &attrs("GET", "/version")),
            format!("forbidden: User \"{u}\" cannot get path \"/version\"")
        );
    }
}
