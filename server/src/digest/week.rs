//! ISO weeks ("2026-W48") and the moment in a week when a user's digest is due.
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an ISO week: write it as YYYY-Www, for example 2026-W48")]
pub struct BadWeek(pub String);

impl IsoWeek {
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn monday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("an IsoWeek is always valid")
    }

    pub fn previous(&self) -> Self {
        IsoWeek::of(self.monday() - Duration::days(7))
    }

    /// The moment `weekday` at `hour`:00 in `tz` falls in this week. A local time skipped by a
    /// clock change moves an hour later; a repeated one takes its first occurrence.
    pub fn moment(&self, weekday: Weekday, hour: u32, tz: Tz) -> DateTime<Utc> {
        let date = self.monday() + Duration::days(i64::from(weekday.num_days_from_monday()));
        let local = date.and_hms_opt(hour.min(23), 0, 0).expect("valid hour");
        match tz.from_local_datetime(&local).earliest() {
            Some(t) => t.with_timezone(&Utc),
            None => tz
                .from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
        }
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

impl FromStr for IsoWeek {
    type Err = BadWeek;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadWeek(s.to_string());
        let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { year, week })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_print_and_refuse_junk() {
        let w: IsoWeek = "2026-W48".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(w.previous().to_string(), "2026-W47");
        assert_eq!(
            IsoWeek::of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).to_string(),
            "2026-W53"
        );
        for junk in ["2026-48", "2026-W54", "W48", "2026-W", "", "2026-W0"] {
            assert!(junk.parse::<IsoWeek>().is_err(), "{junk}");
        }
    }

    #[test]
    fn moments_follow_the_users_time_zone_and_clock_changes() {
        let london: Tz = "Europe/London".parse().unwrap();
        // Winter: London is UTC.
        let w: IsoWeek = "2026-W49".parse().unwrap();
        assert_eq!(
            w.moment(Weekday::Mon, 7, london).to_rfc3339(),
            "2026-11-30T07:00:00+00:00"
        );
        // Summer: BST is UTC+1.
        let w: IsoWeek = "2026-W27".parse().unwrap();
        assert_eq!(
            w.moment(Weekday::Mon, 7, london).to_rfc3339(),
            "2026-06-29T06:00:00+00:00"
        );
        // 01:00 on the last Sunday of March 2026 does not exist in London.
        let w: IsoWeek = "2026-W13".parse().unwrap();
        assert_eq!(
            w.moment(Weekday::Sun, 1, london).to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
    }
}
