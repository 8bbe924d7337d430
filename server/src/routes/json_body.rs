//! Request bodies, read strictly: a JSON object (serde's derived structs would also take an
//! array of the fields in order), numbers like `8.0` taken as the integers JSON Schema says
//! they are, and no NUL character anywhere (PostgreSQL cannot store one; it is refused with 422
//! naming the field, instead of failing in the database).
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The JSON extractor keeps its size limit, content type rule and error shape.
        let read = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = read.await?.into_inner();
            Ok(JsonBody(parse(value)?))
        })
    }
}

/// The body as `T`, under the rules above.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    let mut clean = Map::with_capacity(map.len());
    for (key, value) in map {
        if key.contains('\0') {
            return Err(ApiError::bad_request(
                "a field name must not contain NUL characters",
            ));
        }
        let value = normalised(value).map_err(|()| {
            ApiError::validation(&key, format!("{key} must not contain NUL characters"))
        })?;
        clean.insert(key, value);
    }
    serde_json::from_value(Value::Object(clean))
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// Integral floats become integers; `Err` when a string or key holds NUL.
fn normalised(value: Value) -> Result<Value, ()> {
    Ok(match value {
        Value::String(s) if s.contains('\0') => return Err(()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Value::Number(Number::from(f as i64))
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(normalised)
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                if k.contains('\0') {
                    return Err(());
                }
                out.insert(k, normalised(v)?);
            }
            Value::Object(out)
        }
        other => other,
    })
}

/// A body that may be left out: `T::default()` when it is empty, else a JSON object read
/// under the rules above (never a body of another type silently ignored), refused with our
/// 413 past `limit` bytes.
pub async fn optional<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    use actix_web::http::header;
    use futures_util::StreamExt;
    let mut raw = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))?;
        if raw.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        raw.extend_from_slice(&chunk);
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ));
    }
    let value: Value = serde_json::from_slice(&raw)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    parse(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Reply {
        body: String,
        parent_id: Option<i32>,
    }

    #[test]
    fn objects_only_integral_floats_and_no_nul() {
        let ok: Reply = parse(json!({"body": "x", "parent_id": 3.0})).unwrap();
        assert_eq!(ok.parent_id, Some(3));
        assert!(
            parse::<Reply>(json!(["x", 3])).is_err(),
            "an array is not an object"
        );
        assert!(parse::<Reply>(json!({"body": "x", "parent_id": 3.5})).is_err());
        let err = parse::<Reply>(json!({"body": "a\u{0}b"})).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation { field: Some(ref f), .. } if f == "body"),
            "{err:?}"
        );
        assert!(parse::<Reply>(json!({"body": "x", "extra": 1})).is_err());
    }
}
