//! Timestamps as the AWS tools write and read them.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Formats an instant as RFC 3339 in UTC with a literal `Z` and whole seconds
/// (`2026-11-26T15:04:05Z`), the one form every AWS SDK accepts.
///
/// Total: an instant whose UTC date falls outside the years -9999..=9999
/// (possible only with an extreme offset) is clamped to the nearest
/// representable second instead of panicking.
pub fn utc_z(at: OffsetDateTime) -> String {
    let at = to_utc(at);
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // The description has no component that can fail on a valid date.
    at.format(&fmt).unwrap_or_default()
}

/// The time of day of an instant in UTC, to the minute, with a literal `Z`
/// (`14:02Z`): short enough for a line that says until when something
/// holds.
pub fn clock_z(at: OffsetDateTime) -> String {
    let fmt = format_description!("[hour]:[minute]Z");
    to_utc(at).format(&fmt).unwrap_or_default()
}

/// `at` in UTC, clamped to the range `time` can represent.
fn to_utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(UtcOffset::UTC).unwrap_or_else(|| {
        let edge = if at.year() > 0 {
            PrimitiveDateTime::MAX
        } else {
            PrimitiveDateTime::MIN
        };
        edge.assume_utc()
    })
}

/// Parses an expiry as found in token caches: RFC 3339 with `Z` or an offset
/// such as `+00:00`, or the legacy `2026-01-01T00:00:00UTC` form.
///
/// The result is always in UTC. A text whose instant has no UTC date in the
/// representable range (`9999-12-31T23:59:59-23:59`) is `None`, like any
/// other garbage, so callers never hold a value that panics when converted.
pub fn parse_expiry(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Some(naive) = text.strip_suffix("UTC") {
        let fmt = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        return PrimitiveDateTime::parse(naive, &fmt)
            .ok()
            .map(PrimitiveDateTime::assume_utc);
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()?
        .checked_to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_clock_is_in_utc_to_the_minute() {
        assert_eq!(clock_z(datetime!(2026-03-04 14:02:59 +02:00)), "12:02Z");
    }

    #[test]
    fn accepts_all_three_expiry_forms() {
        let want = datetime!(2026-03-04 05:06:07 UTC);
        for form in [
            "2026-03-04T05:06:07Z",
            "2026-03-04T05:06:07UTC",
            "2026-03-04T05:06:07+00:00",
            "2026-03-04T07:06:07+02:00",
        ] {
            assert_eq!(parse_expiry(form), Some(want), "{form}");
        }
        assert_eq!(
            parse_expiry("2026-03-04T05:06:07.250Z").map(|t| t.unix_timestamp()),
            Some(want.unix_timestamp())
        );
    }

    #[test]
    fn rejects_garbage() {
        for form in ["", "tomorrow", "2026-03-04", "2026-03-04T05:06:07"] {
            assert_eq!(parse_expiry(form), None, "{form}");
        }
    }

    #[test]
    fn rejects_instants_outside_the_utc_range() {
        for form in [
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:00:00-01:00",
            "-9999-01-01T00:00:00+23:59",
        ] {
            assert_eq!(parse_expiry(form), None, "{form}");
        }
        let edge = parse_expiry("9999-12-31T23:59:59+00:00").unwrap();
        assert_eq!(edge.offset(), UtcOffset::UTC);
        assert_eq!(utc_z(edge), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn formats_extreme_offsets_clamped_instead_of_panicking() {
        let late = datetime!(9999-12-31 23:59:59 -23:59);
        assert_eq!(utc_z(late), "9999-12-31T23:59:59Z");
        let early = datetime!(-9999-01-01 00:00:00 +23:59);
        assert_eq!(utc_z(early), "-9999-01-01T00:00:00Z");
    }

    #[test]
    fn formats_utc_with_z() {
        let at = datetime!(2026-03-04 07:06:07.9 +02:00);
        assert_eq!(utc_z(at), "2026-03-04T05:06:07Z");
    }
}
