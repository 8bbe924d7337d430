//! Which methods a known path answers, so that a request with another method is 405 with an
//! `Allow` header instead of 404. The paths are those of the OpenAPI document (read once) and
//! the few routes outside it.
use super::openapi::ApiDoc;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::OpenApi;

/// Routes served but not in the OpenAPI document: the addresses emails link to.
const OTHER_ROUTES: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/threads/{id}", &["GET"]),
    ("/spaces/{slug}", &["GET"]),
    ("/settings/email", &["GET"]),
];

/// One path template: its segments (`None` for a `{parameter}`) and its methods.
struct Template {
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
}

impl Template {
    fn new(path: &str, methods: Vec<&'static str>) -> Self {
        let segments = path
            .split('/')
            .map(|s| {
                let is_param = s.starts_with('{') && s.ends_with('}');
                (!is_param).then(|| s.to_string())
            })
            .collect();
        Template { segments, methods }
    }

    /// How many literal segments match, when every segment does; a parameter takes any
    /// non-empty segment, as the router's do.
    fn score(&self, path: &[&str]) -> Option<usize> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut literal = 0;
        for (want, got) in self.segments.iter().zip(path) {
            match want {
                Some(lit) if lit == got => literal += 1,
                Some(_) => return None,
                None if got.is_empty() => return None,
                None => {}
            }
        }
        Some(literal)
    }
}

fn templates() -> &'static [Template] {
    static TABLE: OnceLock<Vec<Template>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_path: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        for (path, item) in ApiDoc::openapi().paths.paths {
            let methods = by_path.entry(path).or_default();
            for (method, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ] {
                if op.is_some() {
                    methods.push(method);
                }
            }
        }
        for (path, methods) in OTHER_ROUTES {
            by_path
                .entry(path.to_string())
                .or_default()
                .extend(methods.iter().copied());
        }
        by_path
            .into_iter()
            .map(|(path, mut methods)| {
                methods.sort_unstable();
                methods.dedup();
                Template::new(&path, methods)
            })
            .collect()
    })
}

/// The methods the path answers, or `None` when no route has this path. When several
/// templates match, the one with the most literal segments wins (`/invitations/accept` over
/// `/invitations/{token}`), as in OpenAPI.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    let segments: Vec<&str> = path.split('/').collect();
    templates()
        .iter()
        .filter_map(|t| t.score(&segments).map(|s| (s, t)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, t)| t.methods.as_slice())
}

#[cfg(test)]
mod tests {
    use super::allowed_methods;

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(
            allowed_methods("/api/v1/posts/12"),
            Some(&["DELETE", "GET", "PATCH"][..])
        );
        assert_eq!(
            allowed_methods("/api/v1/invitations/accept"),
            Some(&["POST"][..])
        );
        assert_eq!(
            allowed_methods("/api/v1/invitations/abc"),
            Some(&["GET"][..])
        );
        assert_eq!(allowed_methods("/threads/3"), Some(&["GET"][..]));
        assert_eq!(allowed_methods("/"), Some(&["GET"][..]));
    }

    #[test]
    fn unknown_paths_have_none() {
        assert_eq!(allowed_methods("/api/v1/nothing"), None);
        assert_eq!(allowed_methods("/api/v1/posts/"), None);
        assert_eq!(allowed_methods("/api/v1/posts//revisions"), None);
    }
}
