//! The release in an image tag: only its numbers, never the tag as written.

/// The release in an image tag, as `v` and up to three dot-separated
/// numbers: `v3.29.1-build20250117` -> `v3.29.1`, `1.12.0` -> `v1.12.0`,
/// `v1.12.0-hardened1` -> `v1.12.0`. `None` for a tag that does not start
/// with a number (`latest`, `unknown` for a digest-only reference): a build
/// suffix or a custom tag could be anything, so only the numbers are kept.
pub fn release_version(tag: &str) -> Option<String> {
    let numbers: Vec<&str> = tag
        .strip_prefix('v')
        .unwrap_or(tag)
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?
        .split('.')
        .take(3)
        .take_while(|part| !part.is_empty() && part.len() <= 6)
        .collect();
    if numbers.len() < 2 {
        return None;
    }
    Some(format!("v{}", numbers.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_keep_only_the_release_numbers() {
        assert_eq!(
            release_version("v3.29.1-build20250117").as_deref(),
            Some("v3.29.1")
        );
        assert_eq!(release_version("1.12.0").as_deref(), Some("v1.12.0"));
        assert_eq!(
            release_version("v1.12.0-hardened1").as_deref(),
            Some("v1.12.0")
        );
        assert_eq!(release_version("v1.16").as_deref(), Some("v1.16"));
        assert_eq!(release_version("3.3.2.1").as_deref(), Some("v3.3.2"));
        for tag in [
            "latest",
            "unknown",
            "",
            "v",
            "7",
            "acme-2024",
            "v1.",
            "1234567.1",
        ] {
            assert_eq!(release_version(tag), None, "{tag:?}");
        }
    }
}
