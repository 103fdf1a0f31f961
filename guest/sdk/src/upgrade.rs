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
//!   version that can be reached is named as the intermediate step, and
//!   when no patch of the running minor can be reached, the next minor;
//! - release candidates only when the channel names one (or is `testing`);
//! - a step is named only on a whole path of offered versions: when the
//!   channel's version cannot be reached, the notice says so, names it
//!   out of reach, and leads only as far as the last version that can be.
//!
//! Anything this cannot decide gives [`NoticeStatus::NoNotice`] with a
//! reason, never an error and never a guess. The security data (CVEs fixed
//! on the way, the running minor's end of support) comes from the
//! versions' `advisory` (`advisory.rs`).

use std::collections::BTreeSet;

use crate::version::{Distribution, DistroVersion, MAX_VERSION_LEN};
use crate::{Advisory, OfferedVersion, SecurityNotice, advisory};

/// The channel followed when the settings name none.
pub const DEFAULT_CHANNEL: &str = "stable";
/// The channel that follows release candidates even when the server tags
/// none with it.
const PRE_RELEASE_CHANNEL: &str = "testing";
/// An answer offering more versions than this is not believed. Real servers
/// offer tens; every K3s release ever made is well under this.
pub const MAX_OFFERED_VERSIONS: usize = 1000;
/// The most CVE identifiers of one list the operator line spells out; the
/// rest are counted ("and 12 more"). The host's line uses the same bound.
pub const MAX_LISTED_CVES: usize = 64;

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
    advisory: Advisory,
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
            release_notes_url: self.advisory.release_notes_url.clone(),
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
/// [`DEFAULT_CHANNEL`]), from the versions the server offered, in any order,
/// judged against today's date by the component's clock.
pub fn notice(offered: &[OfferedVersion], running: &str, channel: &str) -> UpgradeNotice {
    notice_on(offered, running, channel, &advisory::today())
}

/// [`notice`] on a given day (`YYYY-MM-DD`), for tests and replays.
pub fn notice_on(
    offered: &[OfferedVersion],
    running: &str,
    channel: &str,
    today: &str,
) -> UpgradeNotice {
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
        out_of_reach: None,
        reason,
        security: no_security(),
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
    let releases = match releases_of(current.distribution, offered) {
        Ok(releases) => releases,
        Err(reason) => return no_notice(current.to_string(), reason),
    };
    let mut notice = match path(&releases, &current, channel) {
        Ok(notice) => notice,
        Err(Unreachable {
            reason,
            channel_version,
        }) => UpgradeNotice {
            out_of_reach: channel_version,
            ..no_notice(current.to_string(), reason)
        },
    };
    let (support_ends, past) = end_of_support(&releases, &current, today);
    notice.security.support_ends = support_ends;
    notice.security.past_end_of_support = past;
    notice
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
/// toward v1.32.3+k3s1 on channel stable; security fixes in this step:
/// CVE-2025-1974`. The host writes the same words (one shared table of
/// cases, `tests/fixtures/upgrade-notice/lines.json`, tests both).
pub fn operator_line(notice: &UpgradeNotice) -> String {
    let mut line = match (&notice.status, &notice.next, &notice.target) {
        (NoticeStatus::UpgradeAvailable, Some(next), Some(target)) => {
            let released = if next.release_date.is_empty() {
                String::new()
            } else {
                format!(", released {}", next.release_date)
            };
            let onward = match (&notice.out_of_reach, target.version == next.version) {
                (None, true) => format!("the target on channel {}", notice.channel),
                (None, false) => format!(
                    "then toward {} on channel {}",
                    target.version, notice.channel
                ),
                // The reason names the version out of reach, and why.
                (Some(_), true) => format!("the last safe step: {}", notice.reason),
                (Some(_), false) => format!(
                    "then toward {}, the last safe step: {}",
                    target.version, notice.reason
                ),
            };
            let mut line = format!(
                "upgrade available: move to {v} now (Plan version: {v}{released}), {onward}",
                v = next.version
            );
            let security = &notice.security;
            if !security.fixed_by_next.is_empty() {
                line.push_str("; security fixes in this step: ");
                line.push_str(&listed(&security.fixed_by_next, MAX_LISTED_CVES));
            }
            let more: Vec<String> = security
                .fixed_by_target
                .iter()
                .filter(|id| !security.fixed_by_next.contains(id))
                .cloned()
                .collect();
            if !more.is_empty() {
                line.push_str(&format!(
                    "; more by {}: {}",
                    target.version,
                    listed(&more, MAX_LISTED_CVES)
                ));
            }
            if !next.release_notes_url.is_empty() {
                line.push_str(&format!("; release notes: {}", next.release_notes_url));
            }
            line
        }
        (NoticeStatus::UpToDate, _, _) => {
            format!(
                "up to date on channel {} ({})",
                notice.channel, notice.current
            )
        }
        _ => format!("no upgrade notice: {}", notice.reason),
    };
    if notice.security.past_end_of_support {
        line.push_str(&format!(
            "; the running minor is past its end of support ({})",
            notice.security.support_ends
        ));
    }
    line
}

/// What the component read of the answer, as the `key=value`s that follow
/// "the component read:" in the summary line; the host writes the same
/// (the shared table tests both).
pub fn read_words(notice: &UpgradeNotice, next_report_minutes: Option<u32>) -> String {
    let version = |step: &Option<Step>| {
        step.as_ref()
            .map_or(crate::words::NONE.to_string(), |s| s.version.clone())
    };
    let security = &notice.security;
    let or = |text: &str, empty: &str| {
        if text.is_empty() {
            empty.to_string()
        } else {
            text.to_string()
        }
    };
    format!(
        "upgrade={} plan_version={} target={} out_of_reach={} channel={} next_report_minutes={} fixes_by_step={} fixes_by_target={} release_notes={} support_ends={} past_end_of_support={} ignored_advisory_values={}",
        status_word(notice.status),
        version(&notice.next),
        version(&notice.target),
        version(&notice.out_of_reach),
        notice.channel,
        next_report_minutes.map_or(crate::words::UNKNOWN.to_string(), |m| m.to_string()),
        compact(&security.fixed_by_next, MAX_LISTED_CVES),
        compact(&security.fixed_by_target, MAX_LISTED_CVES),
        or(
            notice
                .next
                .as_ref()
                .map_or("", |s| s.release_notes_url.as_str()),
            crate::words::NONE
        ),
        or(&security.support_ends, crate::words::UNKNOWN),
        security.past_end_of_support,
        security.ignored_values,
    )
}

/// At most `max` identifiers joined by commas without spaces (one
/// `key=value`), then `+N`, the count of the rest; `none` for none.
pub fn compact(ids: &[String], max: usize) -> String {
    if ids.is_empty() {
        return crate::words::NONE.to_string();
    }
    let mut text = ids.iter().take(max).cloned().collect::<Vec<_>>().join(",");
    if ids.len() > max {
        text.push_str(&format!(",+{}", ids.len() - max));
    }
    text
}

/// At most `max` identifiers, comma-separated, then how many more.
pub fn listed(ids: &[String], max: usize) -> String {
    let shown = ids.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    match ids.len().saturating_sub(max) {
        0 => shown,
        more if shown.is_empty() => format!("{more} CVEs"),
        more => format!("{shown} and {more} more"),
    }
}

/// Why no path leads anywhere from the running version, and the channel's
/// version when it is the one out of reach.
struct Unreachable {
    reason: String,
    channel_version: Option<Step>,
}

impl From<String> for Unreachable {
    fn from(reason: String) -> Self {
        Unreachable {
            reason,
            channel_version: None,
        }
    }
}

fn no_security() -> SecurityNotice {
    SecurityNotice {
        fixed_by_next: Vec::new(),
        fixed_by_target: Vec::new(),
        support_ends: String::new(),
        past_end_of_support: false,
        ignored_values: 0,
    }
}

fn path(
    releases: &[Release],
    current: &DistroVersion,
    channel: &str,
) -> Result<UpgradeNotice, Unreachable> {
    let distribution = current.distribution.name();
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
        out_of_reach: None,
        reason,
        security: no_security(),
    };
    let (target, why_target) = match on_channel {
        Some(named) if named.version > *current && named.version.major != current.major => {
            return Err(format!(
                "channel {} names {}, another major version than {current}",
                printable(channel),
                named.version
            )
            .into());
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

    // Walk the whole path before naming its first step: a step that leads
    // nowhere is named only as the last safe one.
    let mut walk: Vec<&Release> = Vec::new();
    let blocked = loop {
        let position = walk.last().map_or(current, |step| &step.version);
        match next_step(position, &candidates, &target.version) {
            // Each step is newer than the last, so the walk ends.
            Ok(step) if step.version == target.version => {
                walk.push(step);
                break None;
            }
            Ok(step) => walk.push(step),
            Err(why) => break Some(why),
        }
    };
    let out_of_reach = |why: &str, from: &DistroVersion| {
        format!(
            "{} on channel {} is out of reach from {from}: {why}",
            target.version,
            printable(channel)
        )
    };
    let Some(next) = walk.first().copied() else {
        let why = blocked.unwrap_or_default();
        return Err(Unreachable {
            reason: out_of_reach(&why, current),
            channel_version: Some(target.step()),
        });
    };
    let last = walk.last().copied().unwrap_or(next);
    let reason = match &blocked {
        Some(why) => out_of_reach(why, &last.version),
        None => step_reason(current, &candidates, next, target, why_target),
    };
    let fixed_up_to = |bound: &DistroVersion| -> Vec<String> {
        let ids: BTreeSet<(u16, u64, &String)> = candidates
            .iter()
            .filter(|r| r.version <= *bound)
            .flat_map(|r| r.advisory.cves.iter())
            .map(|id| (advisory::cve_order(id), id))
            .map(|((year, number), id)| (year, number, id))
            .collect();
        ids.into_iter().map(|(_, _, id)| id.clone()).collect()
    };
    Ok(UpgradeNotice {
        status: NoticeStatus::UpgradeAvailable,
        current: current.to_string(),
        channel: printable(channel),
        next: Some(next.step()),
        target: Some(last.step()),
        out_of_reach: blocked.is_some().then(|| target.step()),
        reason,
        security: SecurityNotice {
            fixed_by_next: fixed_up_to(&next.version),
            fixed_by_target: fixed_up_to(&last.version),
            ..no_security()
        },
    })
}

/// Why the first step is the one named.
fn step_reason(
    current: &DistroVersion,
    candidates: &[&Release],
    next: &Release,
    target: &Release,
    why_target: String,
) -> String {
    // A newer patch of the running minor that a step into the next minor
    // passes by: none of them can be reached, and the newest one's minimum
    // is why.
    let passed_by = candidates
        .iter()
        .rev()
        .find(|r| r.version.same_minor(current) && !next.version.same_minor(current));
    if let Some(blocked) = passed_by {
        return format!(
            "{}; so the path goes to v{}.{} directly",
            blocked.blocked_because(current),
            next.version.major,
            next.version.minor
        );
    }
    if next.version == target.version {
        return why_target;
    }
    if let Some(blocked) = candidates.iter().rev().find(|r| {
        r.version.same_minor(&next.version)
            && r.version > next.version
            && r.version <= target.version
    }) {
        // A newer patch of the step's minor exists, so its minimum is why.
        return match &blocked.min {
            MinUpgradable::From(min) => format!(
                "{} can only be upgraded to from {min} or later",
                blocked.version
            ),
            _ => blocked.blocked_because(current),
        };
    }
    if next.version.same_minor(current) {
        format!(
            "the newest v{}.{} patch comes before moving to v{}.{}",
            current.major, current.minor, target.version.major, target.version.minor
        )
    } else {
        format!(
            "one minor at a time: v{}.{} before v{}.{}",
            next.version.major, next.version.minor, target.version.major, target.version.minor
        )
    }
}

/// When support of the running minor ends, from the newest offered version
/// of that minor that says, and whether that is before `today`.
fn end_of_support(releases: &[Release], current: &DistroVersion, today: &str) -> (String, bool) {
    let ends = releases
        .iter()
        .rev()
        .filter(|r| r.version.same_minor(current))
        .map(|r| r.advisory.end_of_support.as_str())
        .find(|date| !date.is_empty())
        .unwrap_or_default();
    // `YYYY-MM-DD` strings order as the dates do.
    let past = !ends.is_empty() && advisory::is_date(today) && ends < today;
    (ends.to_string(), past)
}

/// The version to move to now from `position` on the way to `target`: the
/// newest patch of the position's minor that can be reached from it, else
/// the newest reachable patch of the next minor. Never beyond `target`.
fn next_step<'a>(
    position: &DistroVersion,
    candidates: &[&'a Release],
    target: &DistroVersion,
) -> Result<&'a Release, String> {
    let mut blocked = None;
    for minor in [position.minor, position.minor.saturating_add(1)] {
        let mut in_minor = candidates
            .iter()
            .filter(|r| r.version.minor == minor && r.version > *position && r.version <= *target)
            .rev()
            .peekable();
        let Some(newest) = in_minor.peek().copied() else {
            continue;
        };
        if let Some(reachable) = in_minor.find(|r| r.reachable_from(position)) {
            return Ok(reachable);
        }
        blocked.get_or_insert(*newest);
    }
    Err(match blocked {
        Some(blocked) => blocked.blocked_because(position),
        None => format!(
            "no v{}.{} release is offered between {position} and {target}, and a minor cannot be skipped",
            position.major,
            position.minor.saturating_add(1)
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
    if offered.is_empty() {
        return Err("the server offers no versions".into());
    }
    if offered.len() > MAX_OFFERED_VERSIONS {
        return Err(format!(
            "the server offers {} versions, more than the {MAX_OFFERED_VERSIONS} believed",
            offered.len()
        ));
    }
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
                advisory: offer.advisory.clone(),
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
    if releases.is_empty() {
        return Err(format!(
            "none of the {} offered versions is for {}",
            offered.len(),
            distribution.name()
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
