use super::named_enum;

/// UK Government Security Classifications marking of a thread. SECRET and above are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Marking {
    #[default]
    Official,
    OfficialSensitive,
}

named_enum!(Marking, "protective marking", {
    Official => "OFFICIAL",
    OfficialSensitive => "OFFICIAL-SENSITIVE",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_secret() {
        let err = "SECRET".parse::<Marking>().unwrap_err();
        assert!(err.0.contains("OFFICIAL-SENSITIVE"));
        assert_eq!(
            "OFFICIAL-SENSITIVE".parse::<Marking>().unwrap(),
            Marking::OfficialSensitive
        );
    }
}
