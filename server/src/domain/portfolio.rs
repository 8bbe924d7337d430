//! The managed list of portfolios a person can hold, shown in their profile and searchable in
//! the directory. Stored by key; shown by label.

pub const PORTFOLIOS: [(&str, &str); 10] = [
    ("it-digital", "IT & digital"),
    ("resilience", "Resilience and civil contingencies"),
    ("finance", "Finance"),
    ("procurement", "Commercial and procurement"),
    ("workforce", "Workforce and wellbeing"),
    ("estates", "Estates and fleet"),
    ("operations", "Operational policing"),
    ("public-protection", "Public protection"),
    ("governance", "Governance and scrutiny"),
    ("partnerships", "Partnerships"),
];

/// The label of a portfolio key, or `None` for one not on the list.
pub fn label(key: &str) -> Option<&'static str> {
    PORTFOLIOS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// Keys as stored ("it-digital,finance") from a list that must hold only known keys.
pub fn store(keys: &[String]) -> Result<String, String> {
    let mut out: Vec<&str> = Vec::new();
    for key in keys {
        let key = key.trim();
        let (known, _) = PORTFOLIOS.iter().find(|(k, _)| *k == key).ok_or_else(|| {
            let all: Vec<&str> = PORTFOLIOS.iter().map(|(k, _)| *k).collect();
            format!("{key:?} is not a portfolio; use one of {}", all.join(", "))
        })?;
        if !out.contains(known) {
            out.push(known);
        }
    }
    Ok(out.join(","))
}

/// The keys in a stored value.
pub fn keys(stored: &str) -> Vec<&str> {
    stored.split(',').filter(|k| label(k).is_some()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_portfolios_are_stored() {
        let asked = vec!["finance".to_string(), "it-digital".into(), "finance".into()];
        assert_eq!(store(&asked).unwrap(), "finance,it-digital");
        assert!(store(&["astrology".to_string()]).is_err());
        assert_eq!(
            keys("finance,,nonsense,estates"),
            vec!["finance", "estates"]
        );
    }
}
