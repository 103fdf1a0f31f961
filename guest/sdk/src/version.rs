//! Distribution version order: `v1.31.6+k3s1 < v1.31.6+k3s2 <
//! v1.31.7-rc1+k3s1 < v1.31.7+k3s1`, `+rke2r1 < +rke2r2`, and plain
//! Kubernetes versions (`v1.31.6`, `v1.32.0-rc.1`).
//!
//! The distribution is part of the value: a K3s, an RKE2 and a plain
//! Kubernetes version are never comparable with each other, and anything else
//! (another distribution's build suffix, garbage) does not parse. Plain
//! semver would be wrong: it ignores build metadata (`+k3s1`), so it cannot
//! tell the second K3s build of a Kubernetes release from the first.

use std::cmp::Ordering;
use std::fmt;

/// The longest version text considered. Real ones are under 30 bytes.
pub const MAX_VERSION_LEN: usize = 64;

/// Whose release a version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Distribution {
    /// `v1.31.6+k3s1`
    K3s,
    /// `v1.31.6+rke2r1`
    Rke2,
    /// Upstream Kubernetes, no build suffix: `v1.31.6`.
    Kubernetes,
}

impl Distribution {
    /// The build suffix before its number: `k3s` in `+k3s1`.
    fn build_prefix(self) -> Option<&'static str> {
        match self {
            Distribution::K3s => Some("k3s"),
            Distribution::Rke2 => Some("rke2r"),
            Distribution::Kubernetes => None,
        }
    }

    /// The name an operator knows: `K3s`, `RKE2`, `Kubernetes`.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::K3s => "K3s",
            Distribution::Rke2 => "RKE2",
            Distribution::Kubernetes => "Kubernetes",
        }
    }
}

/// The kinds of pre-release Kubernetes and its distributions publish, in
/// release order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreReleaseKind {
    Alpha,
    Beta,
    Rc,
}

impl PreReleaseKind {
    const ALL: [PreReleaseKind; 3] = [
        PreReleaseKind::Alpha,
        PreReleaseKind::Beta,
        PreReleaseKind::Rc,
    ];

    fn word(self) -> &'static str {
        match self {
            PreReleaseKind::Alpha => "alpha",
            PreReleaseKind::Beta => "beta",
            PreReleaseKind::Rc => "rc",
        }
    }
}

/// `rc1` in `v1.31.7-rc1+k3s1` (the distributions' spelling) or `rc.1` in
/// `v1.32.0-rc.1` (upstream's). The spelling is kept so a version prints
/// back exactly as it was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PreRelease {
    pub kind: PreReleaseKind,
    pub number: u64,
    /// `rc.1` rather than `rc1`.
    pub dotted: bool,
}

/// A parsed version such as `v1.31.6+k3s1`, `v1.32.0-rc2+rke2r1` or `v1.31.6`.
///
/// Ordered only within one distribution: `partial_cmp` is `None` across
/// distributions, so `<` and `>` are false there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DistroVersion {
    pub distribution: Distribution,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// A version with a pre-release sorts before the same version without.
    pub pre_release: Option<PreRelease>,
    /// `1` in `+k3s1`; always 0 for plain Kubernetes.
    pub build: u64,
}

/// A decimal number without sign or leading zero (`0` itself is fine).
fn number(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

fn pre_release(text: &str) -> Option<PreRelease> {
    PreReleaseKind::ALL.into_iter().find_map(|kind| {
        let rest = text.strip_prefix(kind.word())?;
        let (digits, dotted) = match rest.strip_prefix('.') {
            Some(digits) => (digits, true),
            None => (rest, false),
        };
        Some(PreRelease {
            kind,
            number: number(digits)?,
            dotted,
        })
    })
}

fn build(text: &str) -> Option<(Distribution, u64)> {
    [Distribution::K3s, Distribution::Rke2]
        .into_iter()
        .find_map(|distribution| {
            let digits = text.strip_prefix(distribution.build_prefix()?)?;
            Some((distribution, number(digits)?))
        })
}

impl DistroVersion {
    /// Parses `v1.31.6+k3s1`, `v1.32.0-rc1+rke2r1`, `v1.31.6`,
    /// `v1.32.0-rc.1` (the `v` is optional). Returns `None` for anything
    /// else, including other distributions' builds (`+gke.1`): such a
    /// version is never compared, so never offered as an upgrade.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() > MAX_VERSION_LEN {
            return None;
        }
        let text = text.strip_prefix('v').unwrap_or(text);
        let (core_and_pre, distribution, build) = match text.split_once('+') {
            Some((core, suffix)) => {
                let (distribution, number) = build(suffix)?;
                (core, distribution, number)
            }
            None => (text, Distribution::Kubernetes, 0),
        };
        let (core, pre_release) = match core_and_pre.split_once('-') {
            Some((core, pre)) => (core, Some(pre_release(pre)?)),
            None => (core_and_pre, None),
        };
        let mut numbers = core.split('.');
        let major = number(numbers.next()?)?;
        let minor = number(numbers.next()?)?;
        let patch = number(numbers.next()?)?;
        if numbers.next().is_some() {
            return None;
        }
        Some(Self {
            distribution,
            major,
            minor,
            patch,
            pre_release,
            build,
        })
    }

    /// The upstream Kubernetes version without distribution build metadata:
    /// `v1.31.6+k3s1` -> `v1.31.6`, `v1.32.0-rc1+k3s1` -> `v1.32.0-rc1`.
    pub fn kubernetes_version(&self) -> String {
        let core = format!("v{}.{}.{}", self.major, self.minor, self.patch);
        match self.pre_release {
            Some(pre) => format!(
                "{core}-{}{}{}",
                pre.kind.word(),
                if pre.dotted { "." } else { "" },
                pre.number
            ),
            None => core,
        }
    }

    pub fn is_pre_release(&self) -> bool {
        self.pre_release.is_some()
    }

    /// Whether both are in the same minor release line (`v1.31.x`).
    pub fn same_minor(&self, other: &Self) -> bool {
        (self.major, self.minor) == (other.major, other.minor)
    }

    /// The order within a distribution: every field but the distribution.
    /// A release sorts after its pre-releases (`None` after `Some`).
    fn order_key(&self) -> impl Ord + use<> {
        let pre = self.pre_release.map(|p| (p.kind, p.number, p.dotted));
        (
            self.major,
            self.minor,
            self.patch,
            pre.is_none(),
            pre,
            self.build,
        )
    }

    /// A total order for listing versions of mixed distributions: by
    /// distribution, then version. Not an upgrade order.
    pub fn cmp_for_listing(&self, other: &Self) -> Ordering {
        self.distribution
            .cmp(&other.distribution)
            .then_with(|| self.order_key().cmp(&other.order_key()))
    }
}

impl PartialOrd for DistroVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self.distribution == other.distribution).then(|| self.order_key().cmp(&other.order_key()))
    }
}

impl fmt::Display for DistroVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kubernetes_version())?;
        match self.distribution.build_prefix() {
            Some(prefix) => write!(f, "+{prefix}{}", self.build),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(text: &str) -> DistroVersion {
        DistroVersion::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    /// Each list is strictly increasing: every earlier entry is less than
    /// every later one.
    fn assert_increasing(list: &[&str]) {
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                assert_eq!(v(a).partial_cmp(&v(b)), Some(Ordering::Less), "{a} < {b}");
                assert_eq!(
                    v(b).partial_cmp(&v(a)),
                    Some(Ordering::Greater),
                    "{b} > {a}"
                );
            }
        }
    }

    #[test]
    fn k3s_order_builds_then_release_candidates_then_releases() {
        assert_increasing(&[
            "v1.9.0+k3s1",
            "v1.10.0+k3s1",
            "v1.31.6+k3s1",
            "v1.31.6+k3s2",
            "v1.31.7-alpha1+k3s1",
            "v1.31.7-beta1+k3s1",
            "v1.31.7-rc1+k3s1",
            "v1.31.7-rc1+k3s2",
            "v1.31.7-rc2+k3s1",
            "v1.31.7-rc10+k3s1",
            "v1.31.7+k3s1",
            "v1.31.10+k3s1",
            "v1.32.0+k3s1",
            "v2.0.0+k3s1",
        ]);
    }

    #[test]
    fn rke2_order() {
        assert_increasing(&[
            "v1.31.6+rke2r1",
            "v1.31.6+rke2r2",
            "v1.31.6+rke2r10",
            "v1.31.7-rc1+rke2r1",
            "v1.31.7+rke2r1",
        ]);
    }

    #[test]
    fn plain_kubernetes_order() {
        assert_increasing(&[
            "v1.31.6",
            "v1.32.0-alpha.1",
            "v1.32.0-beta.0",
            "v1.32.0-rc.0",
            "v1.32.0-rc.1",
            "v1.32.0",
        ]);
    }

    #[test]
    fn distributions_are_not_comparable() {
        for (a, b) in [
            ("v1.31.6+k3s1", "v1.31.6+rke2r1"),
            ("v1.31.6+k3s1", "v1.32.2+rke2r1"),
            ("v1.31.6+rke2r1", "v1.32.2+k3s1"),
            ("v1.31.6", "v1.31.6+k3s1"),
        ] {
            assert_eq!(v(a).partial_cmp(&v(b)), None, "{a} vs {b}");
            let (x, y) = (v(a), v(b));
            // `<`, `>`, `<=` and `>=` are all false: none can pick a side.
            assert!(!x.lt(&y) && !x.gt(&y) && !x.le(&y) && !x.ge(&y) && x != y);
        }
    }

    #[test]
    fn parsed_parts_and_printing() {
        let rc = v("v1.31.7-rc1+k3s2");
        assert_eq!(
            rc,
            DistroVersion {
                distribution: Distribution::K3s,
                major: 1,
                minor: 31,
                patch: 7,
                pre_release: Some(PreRelease {
                    kind: PreReleaseKind::Rc,
                    number: 1,
                    dotted: false
                }),
                build: 2,
            }
        );
        assert_eq!(rc.to_string(), "v1.31.7-rc1+k3s2");
        assert_eq!(v("1.31.6+rke2r1").to_string(), "v1.31.6+rke2r1");
        assert_eq!(v("v1.32.0-rc.1").to_string(), "v1.32.0-rc.1");
        assert_eq!(v("v1.31.6").distribution, Distribution::Kubernetes);
    }

    #[test]
    fn kubernetes_version_drops_the_distribution_build() {
        assert_eq!(v("v1.31.6+k3s1").kubernetes_version(), "v1.31.6");
        assert_eq!(v("1.31.6+rke2r1").kubernetes_version(), "v1.31.6");
        assert_eq!(v("v1.32.0-rc1+k3s1").kubernetes_version(), "v1.32.0-rc1");
        assert_eq!(v("v1.31.6").kubernetes_version(), "v1.31.6");
    }

    #[test]
    fn garbage_and_other_distributions_do_not_parse() {
        for text in [
            "",
            "v",
            "latest",
            "v1.31",
            "v1.31.6.1",
            "v1.x.6",
            "v1.31.6-",
            "v1.31.6+",
            "v1.31.6+k3s",
            "v1.31.6+k3s01",
            "v1.31.6+k3s+1",
            "v1.31.6+k3s1 ",
            " v1.31.6+k3s1",
            "V1.31.6+k3s1",
            "vv1.31.6",
            "v01.31.6",
            "v1.+31.6",
            "v1.-31.6",
            "v1.31.6+gke.1",
            "v1.31.6-eks-abcdef",
            "v1.31.6-gke.100",
            "v1.31.6+k0s.0",
            "v1.31.6-rc+k3s1",
            "v1.31.6-rc1.1+k3s1",
            "v1.31.6-RC1+k3s1",
            "v99999999999999999999.0.0",
            "v1.31.6+k3s١",
            "v1.31.6-rc1-rc2+k3s1",
        ] {
            assert_eq!(DistroVersion::parse(text), None, "{text:?}");
        }
        let long = format!("v1.31.6+k3s1{}", "0".repeat(MAX_VERSION_LEN));
        assert_eq!(DistroVersion::parse(&long), None);
    }

    #[test]
    fn listing_order_groups_distributions_then_orders_versions() {
        let mut list = [
            v("v1.32.2+rke2r1"),
            v("v1.31.6"),
            v("v1.32.2+k3s1"),
            v("v1.31.6+k3s1"),
        ];
        list.sort_by(DistroVersion::cmp_for_listing);
        let names: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["v1.31.6+k3s1", "v1.32.2+k3s1", "v1.32.2+rke2r1", "v1.31.6"]
        );
    }

    pub(crate) fn any_version() -> impl Strategy<Value = DistroVersion> {
        let distribution = prop_oneof![
            Just(Distribution::K3s),
            Just(Distribution::Rke2),
            Just(Distribution::Kubernetes),
        ];
        let pre = proptest::option::of(
            (
                prop_oneof![
                    Just(PreReleaseKind::Alpha),
                    Just(PreReleaseKind::Beta),
                    Just(PreReleaseKind::Rc),
                ],
                0u64..4,
                any::<bool>(),
            )
                .prop_map(|(kind, number, dotted)| PreRelease {
                    kind,
                    number,
                    dotted,
                }),
        );
        // Small ranges so that equal and adjacent versions occur often.
        (distribution, 0u64..3, 0u64..4, 0u64..4, pre, 0u64..4).prop_map(
            |(distribution, major, minor, patch, pre_release, build)| DistroVersion {
                distribution,
                major,
                minor,
                patch,
                pre_release,
                build: if distribution == Distribution::Kubernetes {
                    0
                } else {
                    build
                },
            },
        )
    }

    proptest! {
        #[test]
        fn parse_of_display_is_identity(a in any_version()) {
            prop_assert_eq!(DistroVersion::parse(&a.to_string()), Some(a));
        }

        #[test]
        fn order_is_total_within_a_distribution_and_absent_across(
            a in any_version(),
            b in any_version(),
        ) {
            let order = a.partial_cmp(&b);
            prop_assert_eq!(order.is_some(), a.distribution == b.distribution);
            prop_assert_eq!(b.partial_cmp(&a), order.map(Ordering::reverse));
            prop_assert_eq!(order == Some(Ordering::Equal), a == b);
            prop_assert_eq!(a.to_string() == b.to_string(), a == b);
        }

        #[test]
        fn order_is_transitive(a in any_version(), b in any_version(), c in any_version()) {
            if a <= b && b <= c {
                prop_assert!(a <= c, "{a} <= {b} <= {c}");
            }
            if a < b && b < c {
                prop_assert!(a < c, "{a} < {b} < {c}");
            }
        }

        #[test]
        fn arbitrary_text_never_panics_and_what_parses_prints_back(text in "\\PC{0,40}") {
            if let Some(parsed) = DistroVersion::parse(&text) {
                let printed = parsed.to_string();
                prop_assert_eq!(DistroVersion::parse(&printed), Some(parsed));
                // Printing only ever adds the leading `v`.
                prop_assert_eq!(printed.strip_prefix('v'), Some(text.strip_prefix('v').unwrap_or(&text)));
            }
        }

        #[test]
        fn version_like_text_parses_exactly_when_well_formed(
            text in "v?[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-(rc|alpha|beta|gke)\\.?[0-9]{1,2})?(\\+(k3s|rke2r|gke)[0-9]{1,2})?"
        ) {
            let well_formed = !text.contains("gke")
                && !text.trim_start_matches('v').split(['.', '-', '+']).any(|part| {
                    let digits = &part[part.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
                    digits.len() > 1 && digits.starts_with('0')
                });
            prop_assert_eq!(DistroVersion::parse(&text).is_some(), well_formed, "{}", text);
        }
    }
}
