//! Following a table of change rows by their ids (the outbox, the cache invalidations) when
//! ids can commit out of order.
use std::time::{Duration, Instant};

/// A hole in ids older than this is a rolled-back transaction, not a slow one.
pub const GAP_TIMEOUT: Duration = Duration::from_secs(10);

/// How far a reader has got: every row up to `position` has been seen.
#[derive(Debug)]
pub struct Tail {
    pub position: i64,
    gap: Option<(i64, Instant)>,
}

impl Tail {
    pub fn new(position: i64) -> Self {
        Tail {
            position,
            gap: None,
        }
    }

    /// Whether the reader is waiting on a hole below rows it has already read.
    pub fn waiting(&self) -> bool {
        self.gap.is_some()
    }

    /// The highest id up to which every row has been seen. On PostgreSQL a transaction can
    /// commit after a later one; its row then appears below rows already read. The position
    /// stops below such a hole (rows after it are read again later) until the hole fills or
    /// is old enough to be a rolled-back transaction.
    pub fn safe_position(&mut self, ids: &[i64]) -> i64 {
        let mut safe = self.position;
        for &id in ids {
            if id == safe + 1 {
                safe = id;
                continue;
            }
            let missing = safe + 1;
            match self.gap {
                Some((m, since)) if m == missing && since.elapsed() >= GAP_TIMEOUT => {
                    self.gap = None;
                    safe = id;
                }
                Some((m, _)) if m == missing => break,
                _ => {
                    self.gap = Some((missing, Instant::now()));
                    break;
                }
            }
        }
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_stops_below_a_hole_until_it_is_old() {
        let mut s = Tail::new(10);
        assert_eq!(s.safe_position(&[11, 12, 14, 15]), 12);
        s.position = 12;
        assert_eq!(s.safe_position(&[14, 15]), 12, "waits for 13");
        s.gap = Some((13, Instant::now() - GAP_TIMEOUT));
        assert_eq!(s.safe_position(&[14, 15]), 15, "13 was rolled back");
        let mut s = Tail::new(0);
        assert_eq!(s.safe_position(&[1, 2, 3]), 3);
    }
}
