//! Forms for a sensitive act, which ask for the password again: taking it from the form, and
//! showing the use case's refusal of it beside the field.
use super::errors::PageError;
use super::form::{Fields, FormErrors};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::HttpRequest;

/// The password typed again, with the client's address the use case counts it against.
pub struct Given {
    pub password: String,
    pub client_addr: String,
}

/// The form's password, or the error to show when it was left out.
pub fn given(state: &AppState, req: &HttpRequest, form: &Fields) -> Result<Given, FormErrors> {
    let password = form.get("password");
    if password.is_empty() {
        let mut errors = FormErrors::default();
        errors.add("password", "Enter your password");
        return Err(errors);
    }
    Ok(Given {
        password: password.to_string(),
        client_addr: crate::routes::auth::client_ip(state, req),
    })
}

/// Runs `act` with the password typed again and the client's address: its result, or the
/// form's errors (no password typed, or the use case refused the password). Any other
/// refusal becomes an error page.
pub async fn attempt<T>(
    state: &AppState,
    req: &HttpRequest,
    form: &Fields,
    act: impl AsyncFnOnce(String, String) -> Result<T, ApiError>,
) -> Result<Result<T, FormErrors>, PageError> {
    match given(state, req, form) {
        Err(errors) => Ok(Err(errors)),
        Ok(it) => match act(it.password, it.client_addr).await {
            Ok(done) => Ok(Ok(done)),
            Err(e) => refused(e).map(Err),
        },
    }
}

/// A wrong password as the form's error; any other refusal becomes an error page.
pub fn refused(err: ApiError) -> Result<FormErrors, PageError> {
    FormErrors::from_api(&err, &[("password", "password")]).ok_or(PageError::Api(err))
}
