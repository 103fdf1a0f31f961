//! Distribution version order: `v1.31.6+k3s1 < v1.31.6+k3s2 < v1.31.7+k3s1`,
//! `+rke2r1 < +rke2r2`, release candidates before their release.
//!
//! Plain semver would be wrong here: it ignores build metadata (`+k3s1`), so
//! it cannot tell the second K3s build of a Kubernetes release from the first.

use std::cmp::Ordering;
use std::fmt;

/// A parsed distribution version such as `v1.31.6+k3s1` or `v1.32.0-rc2+rke2r1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistroVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// `rc2` in `v1.32.0-rc2+k3s1`. A version with a pre-release sorts before
    /// the same version without one.
    pub pre_release: Option<String>,
    /// `k3s` in `+k3s1`, `rke2r` in `+rke2r1`.
    pub distro: String,
    /// `1` in `+k3s1`; 0 when there is no suffix.
    pub build: u64,
}

impl DistroVersion {
    /// Parses `v1.31.6+k3s1`, `1.31.6`, `v1.32.0-rc1+rke2r1`. Returns `None`
    /// for anything else: an unparsable version is never offered as an upgrade.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let (core_and_pre, build_meta) = match text.split_once('+') {
            Some((core, meta)) => (core, Some(meta)),
            None => (text, None),
        };
        let (core, pre_release) = match core_and_pre.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_string())),
            Some(_) => return None,
            None => (core_and_pre, None),
        };
        let mut numbers = core.split('.');
        let major = numbers.next()?.parse().ok()?;
        let minor = numbers.next()?.parse().ok()?;
        let patch = numbers.next()?.parse().ok()?;
        if numbers.next().is_some() {
            return None;
        }
        let (distro, build) = match build_meta {
            None => (String::new(), 0),
            Some(meta) => {
                let digits_at = meta.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                let (name, number) = meta.split_at(digits_at);
                if name.is_empty() && number.is_empty() {
                    return None;
                }
                (name.to_string(), number.parse().unwrap_or(0))
            }
        };
        Some(Self {
            major,
            minor,
            patch,
            pre_release,
            distro,
            build,
        })
    }

    /// The upstream Kubernetes version without distribution build metadata:
    /// `v1.31.6+k3s1` -> `v1.31.6`, `v1.32.0-rc1+k3s1` -> `v1.32.0-rc1`.
    pub fn kubernetes_version(&self) -> String {
        match &self.pre_release {
            Some(pre) => format!("v{}.{}.{}-{}", self.major, self.minor, self.patch, pre),
            None => format!("v{}.{}.{}", self.major, self.minor, self.patch),
        }
    }
}

/// Compares pre-release identifiers the semver way: dot-separated parts,
/// numeric parts numerically (`rc2 < rc10` via the trailing number).
fn compare_pre_release(a: &str, b: &str) -> Ordering {
    let split = |s: &str| -> (String, Option<u64>) {
        let digits_at = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (name, number) = s.split_at(digits_at);
        (name.to_string(), number.parse().ok())
    };
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = split(x).cmp(&split(y));
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

impl Ord for DistroVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre_release, &other.pre_release) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => compare_pre_release(a, b),
            })
            .then_with(|| self.distro.cmp(&other.distro))
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for DistroVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DistroVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kubernetes_version())?;
        if !self.distro.is_empty() || self.build != 0 {
            write!(f, "+{}{}", self.distro, self.build)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> DistroVersion {
        DistroVersion::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn k3s_builds_order_within_and_across_patch_releases() {
        assert!(v("v1.31.6+k3s1") < v("v1.31.6+k3s2"));
        assert!(v("v1.31.6+k3s2") < v("v1.31.7+k3s1"));
        assert!(v("v1.31.9+k3s3") < v("v1.32.0+k3s1"));
        assert!(v("v1.9.0+k3s1") < v("v1.10.0+k3s1"), "numeric, not lexical");
    }

    #[test]
    fn rke2_builds_order() {
        assert!(v("v1.31.6+rke2r1") < v("v1.31.6+rke2r2"));
        assert!(v("v1.31.6+rke2r9") < v("v1.31.6+rke2r10"));
    }

    #[test]
    fn release_candidates_come_before_their_release() {
        assert!(v("v1.32.0-rc1+k3s1") < v("v1.32.0-rc2+k3s1"));
        assert!(v("v1.32.0-rc2+k3s1") < v("v1.32.0+k3s1"));
        assert!(v("v1.32.0-rc9+k3s1") < v("v1.32.0-rc10+k3s1"));
        assert!(v("v1.31.9+k3s1") < v("v1.32.0-rc1+k3s1"));
    }

    #[test]
    fn kubernetes_version_drops_the_distribution_build() {
        assert_eq!(v("v1.31.6+k3s1").kubernetes_version(), "v1.31.6");
        assert_eq!(v("1.31.6+rke2r1").kubernetes_version(), "v1.31.6");
        assert_eq!(v("v1.32.0-rc1+k3s1").kubernetes_version(), "v1.32.0-rc1");
        assert_eq!(v("v1.31.6+k3s1").to_string(), "v1.31.6+k3s1");
        assert_eq!(v("v1.31.6").to_string(), "v1.31.6");
    }

    #[test]
    fn garbage_does_not_parse() {
        for text in [
            "",
            "v",
            "latest",
            "v1.31",
            "v1.31.6.1",
            "v1.x.6",
            "v1.31.6-",
            "v1.31.6+",
        ] {
            assert_eq!(DistroVersion::parse(text), None, "{text:?}");
        }
    }
}
