//! The upgrade notice: from the versions the server offers, what this
//! cluster should move to now and where that leads on the operator's channel.
//!
//! Rules, because upgrade tooling and Kubernetes impose them:
//! - only versions of the cluster's own distribution count (an RKE2 cluster
//!   is never told to install K3s);
//! - a lower version is never offered (K3s's and RKE2's upgrade images refuse
//!   downgrades and leave the nodes cordoned);
//! - the control plane moves one minor at a time: first the newest patch of
//!   the current minor, then the newest patch of the next one;
//! - a version may only be upgraded to from at least its
//!   `minUpgradableVersion`; when that blocks the newest patch, the newest
//!   version that can be reached is named as the intermediate step;
//! - release candidates only when the channel names one (or is `testing`).
//!
//! Anything this cannot decide gives [`NoticeStatus::NoNotice`] with a
//! reason, never an error and never a guess.

use crate::OfferedVersion;
use crate::version::{Distribution, DistroVersion, MAX_VERSION_LEN};

/// The channel followed when the settings name none.
pub const DEFAULT_CHANNEL: &str = "stable";
/// The channel that follows release candidates even when the server tags
/// none with it.
const PRE_RELEASE_CHANNEL: &str = "testing";
/// An answer offering more versions than this is not believed. Real servers
/// offer tens; every K3s release ever made is well under this.
pub const MAX_OFFERED_VERSIONS: usize = 1000;

// The notice is the contract's own record (`upgrade-notice` in
// `wit/reporter.wit`): a component returns it in its outcome as computed
// here. `Step` is the contract's `upgrade-step`.
pub use crate::{NoticeStatus, UpgradeNotice, UpgradeStep as Step};

/// `minUpgradableVersion` of an offered version.
#[derive(Debug, Clone, PartialEq)]
enum MinUpgradable {
    /// Empty: reachable from any lower version.
    Any,
    From(DistroVersion),
    /// Not a version of this distribution: it cannot be checked, so the
    /// version is treated as unreachable.
    Unreadable(String),
}

/// An offered version of the cluster's distribution.
#[derive(Debug, Clone, PartialEq)]
struct Release {
    version: DistroVersion,
    release_date: String,
    min: MinUpgradable,
    /// Sorted and deduplicated, so duplicates compare regardless of order.
    tags: Vec<String>,
}

impl Release {
    fn reachable_from(&self, current: &DistroVersion) -> bool {
        match &self.min {
            MinUpgradable::Any => true,
            MinUpgradable::From(min) => current >= min,
            MinUpgradable::Unreadable(_) => false,
        }
    }

    fn step(&self) -> Step {
        Step {
            version: self.version.to_string(),
            release_date: self.release_date.clone(),
        }
    }

    /// Why this version cannot be reached from `current`.
    fn blocked_because(&self, current: &DistroVersion) -> String {
        match &self.min {
            MinUpgradable::From(min) => format!(
                "{} can only be upgraded to from {min} or later, and no offered version leads there from {current}",
                self.version
            ),
            MinUpgradable::Unreadable(min) => format!(
                "{} names minUpgradableVersion {}, which is not a {} version",
                self.version,
                printable(min),
                current.distribution.name()
            ),
            MinUpgradable::Any => format!("{} cannot be reached", self.version),
        }
    }
}

/// The notice for a cluster running `running` that follows `channel` (empty:
/// [`DEFAULT_CHANNEL`]), from the versions the server offered, in any order.
pub fn notice(offered: &[OfferedVersion], running: &str, channel: &str) -> UpgradeNotice {
    let channel = if channel.is_empty() {
        DEFAULT_CHANNEL
    } else {
        channel
    };
    let no_notice = |current: String, reason: String| UpgradeNotice {
        status: NoticeStatus::NoNotice,
        current,
        channel: printable(channel),
        next: None,
        target: None,
        reason,
    };
    let Some(current) = DistroVersion::parse(running) else {
        return no_notice(
            printable(running),
            format!(
                "the cluster's version {} is not a K3s, RKE2 or Kubernetes release",
                printable(running)
            ),
        );
    };
    match path(offered, &current, channel) {
        Ok(notice) => notice,
        Err(reason) => no_notice(current.to_string(), reason),
    }
}

/// The newest offered version of the running version's distribution that
/// carries `tag` (e.g. `latest`), as a Plan would name it. `None` when the
/// running version is no release or no such version is offered: another
/// distribution's `latest` means nothing to this cluster.
pub fn newest_tagged(offered: &[OfferedVersion], running: &str, tag: &str) -> Option<String> {
    let running = DistroVersion::parse(running)?;
    offered
        .iter()
        .filter(|offer| offer.tags.iter().any(|t| t == tag))
        .filter_map(|offer| DistroVersion::parse(&offer.name))
        .filter(|version| version.distribution == running.distribution)
        .max_by(|a, b| a.cmp_for_listing(b))
        .map(|version| version.to_string())
}

/// The notice's status as the summary line's `upgrade=` word.
pub fn status_word(status: NoticeStatus) -> &'static str {
    match status {
        NoticeStatus::UpToDate => "up-to-date",
        NoticeStatus::UpgradeAvailable => "available",
        NoticeStatus::NoNotice => "no-notice",
    }
}

/// The one line an operator reads, e.g. `upgrade available: move to
/// v1.31.7+k3s1 now (Plan version: v1.31.7+k3s1, released 2025-03-12), then
/// toward v1.32.3+k3s1 on channel stable`.
pub fn operator_line(notice: &UpgradeNotice) -> String {
    match (&notice.status, &notice.next, &notice.target) {
        (NoticeStatus::UpgradeAvailable, Some(next), Some(target)) => {
            let released = if next.release_date.is_empty() {
                String::new()
            } else {
                format!(", released {}", next.release_date)
            };
            let onward = if target.version == next.version {
                format!("the target on channel {}", notice.channel)
            } else {
                format!(
                    "then toward {} on channel {}",
                    target.version, notice.channel
                )
            };
            format!(
                "upgrade available: move to {v} now (Plan version: {v}{released}), {onward}",
                v = next.version
            )
        }
        (NoticeStatus::UpToDate, _, _) => {
            format!(
                "up to date on channel {} ({})",
                notice.channel, notice.current
            )
        }
        _ => format!("no upgrade notice: {}", notice.reason),
    }
}

fn path(
    offered: &[OfferedVersion],
    current: &DistroVersion,
    channel: &str,
) -> Result<UpgradeNotice, String> {
    let distribution = current.distribution.name();
    if offered.is_empty() {
        return Err("the server offers no versions".into());
    }
    if offered.len() > MAX_OFFERED_VERSIONS {
        return Err(format!(
            "the server offers {} versions, more than the {MAX_OFFERED_VERSIONS} believed",
            offered.len()
        ));
    }
    let releases = releases_of(current.distribution, offered)?;
    if releases.is_empty() {
        return Err(format!(
            "none of the {} offered versions is for {distribution}",
            offered.len()
        ));
    }

    let on_channel = releases
        .iter()
        .rev()
        .find(|r| r.tags.iter().any(|t| t == channel));
    let pre_releases_wanted =
        channel == PRE_RELEASE_CHANNEL || on_channel.is_some_and(|r| r.version.is_pre_release());
    // Newer, same major (a major upgrade is beyond this notice), and a
    // release candidate only when the channel asks for one.
    let candidates: Vec<&Release> = releases
        .iter()
        .filter(|r| {
            r.version > *current
                && r.version.major == current.major
                && (pre_releases_wanted || !r.version.is_pre_release())
        })
        .collect();

    let up_to_date = |reason: String| UpgradeNotice {
        status: NoticeStatus::UpToDate,
        current: current.to_string(),
        channel: printable(channel),
        next: None,
        target: None,
        reason,
    };
    let (target, why_target) = match on_channel {
        Some(named) if named.version > *current && named.version.major != current.major => {
            return Err(format!(
                "channel {} names {}, another major version than {current}",
                printable(channel),
                named.version
            ));
        }
        Some(named) if named.version > *current => (
            named,
            format!("channel {} names {}", printable(channel), named.version),
        ),
        Some(named) if named.version == *current => {
            return Ok(up_to_date(format!(
                "the cluster runs {current}, the version channel {} names",
                printable(channel)
            )));
        }
        Some(named) => {
            return Ok(up_to_date(format!(
                "the cluster runs {current}, newer than {}, the version channel {} names",
                named.version,
                printable(channel)
            )));
        }
        None => match candidates.last() {
            Some(newest) => (
                *newest,
                format!(
                    "channel {} names no {distribution} version; {} is the newest offered",
                    printable(channel),
                    newest.version
                ),
            ),
            None => {
                return Ok(up_to_date(format!(
                    "no offered {distribution} version is newer than {current}"
                )));
            }
        },
    };

    let next = next_step(current, &candidates, &target.version)?;
    let reason = if next.version == target.version {
        why_target
    } else if let Some(blocked) = candidates.iter().rev().find(|r| {
        r.version.same_minor(&next.version)
            && r.version > next.version
            && r.version <= target.version
    }) {
        // A newer patch of the step's minor exists, so its minimum is why.
        match &blocked.min {
            MinUpgradable::From(min) => format!(
                "{} can only be upgraded to from {min} or later",
                blocked.version
            ),
            _ => blocked.blocked_because(current),
        }
    } else if next.version.same_minor(current) {
        format!(
            "the newest v{}.{} patch comes before moving to v{}.{}",
            current.major, current.minor, target.version.major, target.version.minor
        )
    } else {
        format!(
            "one minor at a time: v{}.{} before v{}.{}",
            next.version.major, next.version.minor, target.version.major, target.version.minor
        )
    };
    Ok(UpgradeNotice {
        status: NoticeStatus::UpgradeAvailable,
        current: current.to_string(),
        channel: printable(channel),
        next: Some(next.step()),
        target: Some(target.step()),
        reason,
    })
}

/// The version to move to now on the way to `target`: the newest reachable
/// patch of the current minor if there is a newer one, otherwise the newest
/// reachable patch of the next minor. Never beyond `target`.
fn next_step<'a>(
    current: &DistroVersion,
    candidates: &[&'a Release],
    target: &DistroVersion,
) -> Result<&'a Release, String> {
    let mut blocked = None;
    for minor in [current.minor, current.minor.saturating_add(1)] {
        let mut in_minor = candidates
            .iter()
            .filter(|r| r.version.minor == minor && r.version <= *target)
            .rev()
            .peekable();
        let Some(newest) = in_minor.peek().copied() else {
            continue;
        };
        if let Some(reachable) = in_minor.find(|r| r.reachable_from(current)) {
            return Ok(reachable);
        }
        blocked.get_or_insert(*newest);
    }
    Err(match blocked {
        Some(blocked) => blocked.blocked_because(current),
        None => format!(
            "no v{}.{} release is offered between {current} and {target}, and a minor cannot be skipped",
            current.major,
            current.minor.saturating_add(1)
        ),
    })
}

/// The offered versions of `distribution`, oldest first, without identical
/// duplicates. The same version offered twice with different details is an
/// answer that cannot be trusted.
fn releases_of(
    distribution: Distribution,
    offered: &[OfferedVersion],
) -> Result<Vec<Release>, String> {
    let mut releases: Vec<Release> = offered
        .iter()
        .filter_map(|offer| {
            let version = DistroVersion::parse(&offer.name)?;
            if version.distribution != distribution {
                return None;
            }
            let min = match offer.min_upgradable_version.as_str() {
                "" => MinUpgradable::Any,
                text => match DistroVersion::parse(text) {
                    Some(min) if min.distribution == distribution => MinUpgradable::From(min),
                    _ => MinUpgradable::Unreadable(text.to_string()),
                },
            };
            let mut tags = offer.tags.clone();
            tags.sort();
            tags.dedup();
            Some(Release {
                version,
                release_date: date_of(&offer.release_date),
                min,
                tags,
            })
        })
        .collect();
    releases.sort_by(|a, b| a.version.cmp_for_listing(&b.version));
    releases.dedup();
    if let Some(pair) = releases
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(format!(
            "the server offers {} twice with different details",
            pair[0].version
        ));
    }
    Ok(releases)
}

/// `2025-03-12` from `2025-03-12T00:00:00Z`; empty unless the text starts
/// with a plausible date.
fn date_of(text: &str) -> String {
    let Some(date) = text.get(..10) else {
        return String::new();
    };
    let bytes = date.as_bytes();
    let shaped = bytes.iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'-',
        _ => b.is_ascii_digit(),
    });
    let rest_ok = text.len() == 10 || text.as_bytes()[10] == b'T' || text.as_bytes()[10] == b' ';
    let month = date.get(5..7).and_then(|m| m.parse::<u8>().ok());
    let day = date.get(8..10).and_then(|d| d.parse::<u8>().ok());
    if shaped
        && rest_ok
        && month.is_some_and(|m| (1..=12).contains(&m))
        && day.is_some_and(|d| (1..=31).contains(&d))
    {
        date.to_string()
    } else {
        String::new()
    }
}

/// Text from the server or the settings, safe for a log line: printable
/// ASCII only, at most [`MAX_VERSION_LEN`] characters.
fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_VERSION_LEN)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if text.chars().count() > MAX_VERSION_LEN {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests;
