//! Signing in with an organisation's own account, against a real OpenID provider: npm's
//! `oidc-provider` 8.8.1 (OpenID Certified), started here and configured like Entra ID (one
//! issuer per tenant, `tid` and `oid` claims in the ID token). A browser is played by a
//! cookie jar that fills the provider's login form. The provider's control API makes it
//! misbehave on purpose (a token re-signed with `none`, HS256 or an unknown key, a wrong
//! audience, issuer, nonce or tenant, an expired token) to show each is refused.
use crate::helpers::{backends, Backend, TestApp};
use crate::oidc_provider::*;
use crate::pages::spawn_at_public_url;
use reqwest::{header, redirect, StatusCode};
use serde_json::json;

/// A browser: its own cookie jar, following no redirects by itself.
pub struct Browser {
    pub http: reqwest::Client,
    app_base: String,
}

/// What came back to Roundtable's callback, and what it answered.
pub struct Landing {
    pub callback_url: String,
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub signed_in: bool,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            app_base: app.base.clone(),
        }
    }

    /// Opens the sign-in page and sends the "organisation's account" form for `email`:
    /// the answer (a 303 to the provider, or the page with an error).
    pub async fn begin(&self, email: &str) -> reqwest::Response {
        let page = self
            .http
            .get(format!("{}/login", self.app_base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_value(&page, "csrf_token").expect("a csrf token on /login");
        self.http
            .post(format!("{}/login/organisation", self.app_base))
            .header(header::ORIGIN, &self.app_base)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("next", "/settings"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Goes to the provider from `authorize` and signs in there as `login`; returns the
    /// address the provider sends the browser back to (Roundtable's callback), unvisited.
    pub async fn through_provider(&self, authorize: &str, login: &str) -> String {
        let mut next = authorize.to_string();
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..12 {
            let res = match form.take() {
                Some(fields) => self.http.post(&next).form(&fields).send().await.unwrap(),
                None => self.http.get(&next).send().await.unwrap(),
            };
            let here = res.url().clone();
            if res.status().is_redirection() {
                let to = res.headers()[header::LOCATION]
                    .to_str()
                    .unwrap()
                    .to_string();
                let to = here.join(&to).unwrap().to_string();
                if to.starts_with(&format!("{}{CALLBACK}", self.app_base)) {
                    return to;
                }
                next = to;
                continue;
            }
            let status = res.status();
            let html = res.text().await.unwrap();
            assert_eq!(status, StatusCode::OK, "the provider said: {html}");
            let (action, mut fields) = first_form(&html).expect("a form on the provider's page");
            for (name, value) in fields.iter_mut() {
                match name.as_str() {
                    "login" => *value = login.to_string(),
                    "password" => *value = "any password".to_string(),
                    _ => {}
                }
            }
            next = here.join(&action).unwrap().to_string();
            form = Some(fields);
        }
        panic!("the provider never sent the browser back");
    }

    /// Visits Roundtable's callback.
    pub async fn land(&self, callback_url: &str) -> Landing {
        let res = self.http.get(callback_url).send().await.unwrap();
        let status = res.status();
        let signed_in = res.headers().get_all(header::SET_COOKIE).iter().any(|c| {
            c.to_str().unwrap_or("").starts_with("rt_access=")
                && !c.to_str().unwrap_or("").starts_with("rt_access=;")
        });
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        Landing {
            callback_url: callback_url.to_string(),
            status,
            location,
            body: res.text().await.unwrap(),
            signed_in,
        }
    }

    /// The whole trip: sign-in page, provider, callback.
    pub async fn sign_in(&self, email: &str, login: &str) -> Landing {
        let callback = self.callback_for(email, login).await;
        self.land(&callback).await
    }

    /// The trip up to the callback, unvisited.
    pub async fn callback_for(&self, email: &str, login: &str) -> String {
        let authorize = on_to_provider(self.begin(email).await).await;
        self.through_provider(&authorize, login).await
    }
}

/// The provider's address on the page that sends the browser there (it moves on by itself,
/// with a refresh, and has a Continue link).
pub async fn on_to_provider(page: reqwest::Response) -> String {
    let status = page.status();
    let html = page.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<meta http-equiv=\"refresh\" content=\"0; url="),
        "{html}"
    );
    let at = html.find("id=\"continue\"").expect("a Continue link");
    let tag_end = at + html[at..].find('>').unwrap();
    attribute(&html[at..tag_end], "href").expect("its address")
}

/// The value of the hidden input `name` in `html`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    attribute(&html[tag_start..tag_end], "value")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = at + tag[at..].find('"')?;
    Some(decode_entities(&tag[at..end]))
}

fn decode_entities(s: &str) -> String {
    let named = s
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    // Numeric references (askama writes `&#38;` for `&`).
    let mut out = String::new();
    let mut rest = named.as_str();
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find(';').unwrap_or(0);
        let digits = &after[..end];
        let code = match digits.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => digits.parse().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first form's action and its named inputs with their values.
fn first_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    form_to(html, "")
}

/// The first form whose opening tag holds `marker` (such as its action).
fn form_to(html: &str, marker: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html
        .match_indices("<form")
        .map(|(i, _)| i)
        .find(|&i| html[i..].split('>').next().unwrap_or("").contains(marker))?;
    let end = start + html[start..].find("</form>")?;
    let form = &html[start..end];
    let open_end = form.find('>')?;
    let action = attribute(&form[..open_end], "action").unwrap_or_default();
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input") {
        let tag_end = i + rest[i..].find('>')?;
        let tag = &rest[i..tag_end];
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[tag_end..];
    }
    Some((action, fields))
}

/// Kent Police with its domain and provider, a chief (password account) and the provider's
/// tenant with a member, Sam, whom Roundtable does not know yet.
pub struct Setup {
    pub app: TestApp,
    pub provider: Provider,
}

pub const SAM: &str = "sam.okafor@kent.police.uk";

pub async fn setup(backend: Backend, auto_admit: bool, extra: &[Account<'_>]) -> Option<Setup> {
    let provider = start_provider()?;
    let app = spawn_at_public_url(backend).await;
    app.add_org("Kent Police", "force");
    app.add_user("chief@kent.police.uk", "Kent Police", "chief_officer");
    let out = app.cli(
        &[
            "org",
            "domain",
            "add",
            "--org",
            "Kent Police",
            "--domain",
            "kent.police.uk",
        ],
        &[],
    );
    assert!(out.status.success());
    let mut accounts = vec![Account::member("sam", SAM, "0b6d4c1e-sam")];
    accounts.extend(extra.iter().copied());
    let issuer = provider.tenant(TENANT, &app.base, &accounts).await;
    register_provider(&app, &issuer, TENANT, auto_admit);
    Some(Setup { app, provider })
}

#[tokio::test]
async fn a_new_person_asks_through_their_provider_is_approved_and_then_signs_in() {
    for backend in backends() {
        let Some(s) = setup(backend, false, &[]).await else {
            return;
        };
        let app = &s.app;
        let browser = Browser::new(app);
        // Nobody has this identity: a request waits for Kent's sponsors; no session.
        let first = browser.sign_in(SAM, "sam").await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert!(first.body.contains("sponsors"), "{}", first.body);
        assert!(!first.signed_in);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM registrations WHERE status = 'pending'")
                .await,
            1
        );
        // Signing in again while it waits says so again and makes no second request.
        let again = browser.sign_in(SAM, "sam").await;
        assert!(again.body.contains("sponsors") && !again.signed_in);
        assert_eq!(app.count("SELECT COUNT(*) FROM registrations").await, 1);
        // The chief approves; the account exists without a password, with the identity.
        let chief = app.login("chief@kent.police.uk").await;
        let (status, waiting) = app.get("/api/v1/registrations", &chief).await;
        assert_eq!(status, StatusCode::OK, "{waiting}");
        let id = waiting[0]["id"].as_i64().expect("a waiting request");
        assert_eq!(waiting[0]["email"], SAM);
        let (status, body) = app
            .post(
                &format!("/api/v1/registrations/{id}/approve"),
                &chief,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM users WHERE email = '{SAM}' AND password_hash IS NULL"
            ))
            .await,
            1
        );
        // Now the provider signs Sam in, and the page goes where the form said.
        let signed = browser.sign_in(SAM, "sam").await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        assert_eq!(signed.location.as_deref(), Some("/settings"));
        assert!(signed.signed_in);
        let settings = browser.http.get(app.url("/settings")).send().await.unwrap();
        assert_eq!(settings.status(), StatusCode::OK);
        let html = settings.text().await.unwrap();
        assert!(html.contains("Sam Okafor"), "{html}");
        // The same callback address again: the state is spent.
        let replayed = browser.land(&signed.callback_url).await;
        assert_eq!(
            replayed.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            replayed.body
        );
        assert!(!replayed.signed_in);
        // The admin list says how Sam signs in.
        let mail = std::fs::read_dir(app.data_dir.path().join("mail"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert!(mail >= 1, "Sam is told the account is ready");
    }
}

#[tokio::test]
async fn automatic_admission_signs_a_new_person_in_at_once() {
    let Some(s) = setup(Backend::Sqlite, true, &[]).await else {
        return;
    };
    let browser = Browser::new(&s.app);
    let landed = browser.sign_in(SAM, "sam").await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert!(landed.signed_in);
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM users u JOIN identities i ON i.user_id = u.id \
                 WHERE u.email = '{SAM}' AND u.role = 'staff' AND i.tenant_id = '{TENANT}' \
                 AND i.object_id = '0b6d4c1e-sam'"
            ))
            .await,
        1
    );
}

/// The `state` parameter of the address that sends a browser to the provider.
fn state_of(authorize: &str) -> String {
    url::Url::parse(authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state")
}

fn code_of(callback: &str) -> String {
    url::Url::parse(callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

/// The reason the newest `sso.refused` audit entry gives.
async fn last_refusal(app: &TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let db = app.db().await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT detail FROM audit_log WHERE action = 'sso.refused' ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("an sso.refused entry");
    let detail: String = row.try_get("", "detail").unwrap();
    detail
}

fn refused(landing: &Landing, why: &str) {
    assert_eq!(
        landing.status,
        StatusCode::UNAUTHORIZED,
        "{why}: {}",
        landing.body
    );
    assert!(!landing.signed_in, "{why}: no session");
    assert!(landing.body.contains("You could not be signed in"), "{why}");
}

#[tokio::test]
async fn forged_replayed_or_stolen_answers_and_misbehaving_tokens_are_refused() {
    let Some(s) = setup(Backend::Sqlite, true, &[]).await else {
        return;
    };
    let (app, provider) = (&s.app, &s.provider);
    let signs_in = |landing: &Landing, why: &str| {
        assert_eq!(
            landing.status,
            StatusCode::SEE_OTHER,
            "{why}: {}",
            landing.body
        );
        assert!(landing.signed_in, "{why}");
    };

    // A made-up state, and a state without a code.
    let b = Browser::new(app);
    on_to_provider(b.begin(SAM).await).await;
    refused(
        &b.land(&app.url(&format!("{CALLBACK}?state=made-up&code=x")))
            .await,
        "forged state",
    );
    refused(&b.land(&app.url(CALLBACK)).await, "no state");

    // An answer carried to another browser (login CSRF) is refused there, and is spent.
    let victim = Browser::new(app);
    let stolen = b.callback_for(SAM, "sam").await;
    refused(&victim.land(&stolen).await, "another browser's answer");
    refused(&b.land(&stolen).await, "spent by the attempt");

    // The happy path once, then its code again under a fresh state: the provider refuses.
    let first = b.callback_for(SAM, "sam").await;
    signs_in(&b.land(&first).await, "first sign-in");
    let c = Browser::new(app);
    let fresh_state = state_of(&on_to_provider(c.begin(SAM).await).await);
    let reused = app.url(&format!(
        "{CALLBACK}?state={fresh_state}&code={}",
        code_of(&first)
    ));
    refused(&c.land(&reused).await, "a reused code");

    // The provider's own refusal (the person cancelled).
    let d = Browser::new(app);
    let st = state_of(&on_to_provider(d.begin(SAM).await).await);
    refused(
        &d.land(&app.url(&format!("{CALLBACK}?state={st}&error=access_denied")))
            .await,
        "cancelled",
    );

    // A wrong PKCE verifier: the provider will not give tokens for the code.
    let e = Browser::new(app);
    let callback = e.callback_for(SAM, "sam").await;
    let db = app.db().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE sign_in_flows SET pkce_verifier = 'wrongwrongwrongwrongwrongwrongwrongwrongwrong'",
    )
    .await
    .unwrap();
    refused(&e.land(&callback).await, "a wrong PKCE verifier");
    // And none at all (an empty verifier is sent as the parameter without a value).
    let callback = e.callback_for(SAM, "sam").await;
    db.execute_unprepared("UPDATE sign_in_flows SET pkce_verifier = ''")
        .await
        .unwrap();
    refused(&e.land(&callback).await, "no PKCE verifier");

    // ID tokens that fail a check, each re-signed by the provider's harness.
    let other_issuer = format!("{}/{OTHER_TENANT}/v2.0", provider.base);
    let cases = [
        (
            json!({"nonce": "not-the-one-we-sent"}),
            "a wrong nonce",
            "nonce",
        ),
        (
            json!({"aud": "someone-elses-client"}),
            "a wrong audience",
            "audience",
        ),
        (
            json!({"iss": other_issuer}),
            "an issuer not of this tenant",
            "issuer",
        ),
        (
            json!({"claims": {"tid": OTHER_TENANT}}),
            "a tenant not allowed",
            "directory",
        ),
        (json!({"claims": {"oid": null}}), "no oid", "oid"),
        (json!({"claims": {"acct": 1}}), "a guest by acct", "guest"),
        (
            json!({"exp_offset": -600, "iat_offset": -1200}),
            "expired beyond the allowance",
            "expired",
        ),
        (json!({"alg": "none"}), "alg none", "signature"),
        (
            json!({"alg": "HS256"}),
            "HS256 with the client secret",
            "hs256",
        ),
        (
            json!({"kid": "unknown"}),
            "a key the provider never published",
            "key",
        ),
    ];
    for (how, why, reason) in cases {
        provider.tamper(TENANT, how).await;
        let browser = Browser::new(app);
        let landing = browser.sign_in(SAM, "sam").await;
        refused(&landing, why);
        let audited = last_refusal(app).await.to_lowercase();
        assert!(
            audited.contains(reason),
            "{why}: expected {reason:?} in {audited}"
        );
        if reason != "guest" && reason != "directory" && reason != "oid" {
            assert!(
                !landing.body.to_lowercase().contains(reason),
                "{why}: the page keeps the detail to the audit log: {}",
                landing.body
            );
        }
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso.refused'")
            .await,
        13,
        "each refusal after the code went to the provider is audited (a reused code, the \
         wrong and the missing verifier, and ten tokens)"
    );

    // Expired within the allowance for clocks (120 s by default) is accepted.
    provider
        .tamper(TENANT, json!({"exp_offset": -60, "iat_offset": -700}))
        .await;
    signs_in(
        &Browser::new(app).sign_in(SAM, "sam").await,
        "within the skew",
    );

    // The provider rotates its key: the new one is fetched, once, and accepted.
    provider.rotate(TENANT).await;
    signs_in(
        &Browser::new(app).sign_in(SAM, "sam").await,
        "after key rotation",
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM identities").await,
        1,
        "one identity however often Sam signs in"
    );
}

#[tokio::test]
async fn a_guest_of_the_directory_and_a_matching_email_address_get_no_account() {
    let chief_double = Account {
        login: "chief-double",
        email: "chief@kent.police.uk",
        name: "Not The Chief",
        oid: "77aa-chief-double",
        tid: None,
        idp: None,
    };
    let guest = Account {
        login: "guest",
        email: "guest@kent.police.uk",
        name: "A Guest",
        oid: "88bb-guest",
        tid: None,
        idp: Some("https://sts.windows.net/9c8b7a65-elsewhere/"),
    };
    let outsider = Account {
        login: "outsider",
        email: "sam@essex.police.uk",
        name: "From Essex",
        oid: "99cc-outsider",
        tid: None,
        idp: None,
    };
    let Some(s) = setup(Backend::Sqlite, true, &[chief_double, guest, outsider]).await else {
        return;
    };
    let app = &s.app;
    // nOAuth: the directory's account has the chief's address, but it is not the chief.
    let landed = Browser::new(app)
        .sign_in("chief@kent.police.uk", "chief-double")
        .await;
    assert_eq!(landed.status, StatusCode::CONFLICT, "{}", landed.body);
    assert!(!landed.signed_in);
    assert!(landed
        .body
        .contains("link your organisation account in Settings"));
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'chief@kent.police.uk'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sso.address_in_use'")
            .await,
        1
    );
    // A guest from another directory (idp differs from iss).
    refused(
        &Browser::new(app)
            .sign_in("guest@kent.police.uk", "guest")
            .await,
        "a guest",
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'guest@kent.police.uk'")
            .await,
        0
    );
    // A colleague from another organisation sharing the directory, whose address is not at
    // Kent's domains, gets no account at Kent.
    let landed = Browser::new(app).sign_in(SAM, "outsider").await;
    refused(&landed, "an address outside the organisation's domains");
    assert!(
        landed.body.contains("not at one of Kent Police"),
        "{}",
        landed.body
    );
    // An address the provider says is not verified.
    s.provider
        .tamper(
            TENANT,
            serde_json::json!({"claims": {"email_verified": false}}),
        )
        .await;
    let landed = Browser::new(app).sign_in(SAM, "sam").await;
    refused(&landed, "an unverified address");
    assert!(landed.body.contains("not verified"), "{}", landed.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        1,
        "only the chief"
    );
}

#[tokio::test]
async fn the_sign_in_page_says_when_an_address_has_no_organisation_sign_in() {
    let Some(s) = setup(Backend::Sqlite, false, &[]).await else {
        return;
    };
    let b = Browser::new(&s.app);
    for (email, expected) in [
        ("", "Enter your work email address"),
        (
            "someone@elsewhere.example",
            "does not sign in to Roundtable with its own accounts",
        ),
        ("not an address", "email"),
    ] {
        let res = b.begin(email).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(expected), "{email:?}: {html}");
        assert!(html.contains("sso_email-error"), "{email:?}");
    }
    // Another site cannot start a sign-in in someone's browser.
    let res = b
        .http
        .post(s.app.url("/login/organisation"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("csrf_token", "x"), ("email", SAM)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.app.count("SELECT COUNT(*) FROM sign_in_flows").await, 0);
    // An address of the largest size is refused cleanly.
    let huge = format!("{}@kent.police.uk", "a".repeat(900_000));
    let res = b.begin(&huge).await;
    assert!(res.status().is_client_error(), "{}", res.status());
}

#[tokio::test]
async fn the_cli_registers_providers_and_names_what_is_wrong() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.add_org("Kent Police", "force");
    let secret = [("S", "shh")];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = app.cli(args, env);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let base = [
        "org",
        "idp",
        "add",
        "--org",
        "Kent Police",
        "--client-id",
        "abc",
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let (ok, out, err) = run(
        &with(&["--tenant-id", TENANT, "--client-secret-env", "S"]),
        &secret,
    );
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    for (args, env, expected) in [
        (
            with(&["--tenant-id", TENANT, "--client-secret-env", "UNSET_VAR"]),
            &[][..],
            "--client-secret-env",
        ),
        (with(&["--client-secret-env", "S"]), &secret[..], "--issuer"),
        (
            with(&[
                "--issuer",
                "http://idp.example/t/v2.0",
                "--client-secret-env",
                "S",
            ]),
            &secret[..],
            "https",
        ),
        (
            with(&["--tenant-id", "not a tenant!", "--client-secret-env", "S"]),
            &secret[..],
            "--tenant-id",
        ),
    ] {
        let (ok, _, err) = run(&args, env);
        assert!(!ok && err.contains(expected), "{args:?}: {err}");
    }
    let (ok, _, err) = run(
        &[
            "org",
            "idp",
            "add",
            "--org",
            "Nobody",
            "--tenant-id",
            TENANT,
            "--client-id",
            "a",
            "--client-secret-env",
            "S",
        ],
        &secret,
    );
    assert!(!ok && err.contains("--org"), "{err}");
    app.add_org("Kestrelgate Ltd", "supplier");
    let (ok, _, err) = run(
        &[
            "org",
            "idp",
            "add",
            "--org",
            "Kestrelgate Ltd",
            "--tenant-id",
            TENANT,
            "--client-id",
            "a",
            "--client-secret-env",
            "S",
            "--auto-admit",
        ],
        &secret,
    );
    assert!(!ok && err.contains("--auto-admit"), "{err}");
    let (ok, out, _) = run(&["org", "idp", "list"], &[]);
    assert!(
        ok && out.contains("Kent Police\thttps://login.microsoftonline.com/"),
        "{out}"
    );
    // The secret is stored sealed, not as given.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM identity_providers WHERE client_secret_sealed LIKE '%shh%'"
        )
        .await,
        0
    );
    let (ok, out, _) = run(&["org", "idp", "remove", "--org", "Kent Police"], &[]);
    assert!(ok && out.trim() == "removed");
    let (ok, _, err) = run(&["org", "idp", "remove", "--org", "Kent Police"], &[]);
    assert!(!ok && err.contains("no sign-in service"), "{err}");
}

impl Browser {
    /// Posts the form of `html` (found at `page`) whose tag holds `marker`, with `fill` set,
    /// from our own site.
    async fn submit(
        &self,
        page: &str,
        html: &str,
        marker: &str,
        fill: &[(&str, &str)],
    ) -> reqwest::Response {
        let (action, mut fields) = form_to(html, marker).expect("a form");
        for (name, value) in fill {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = value.to_string(),
                None => fields.push((name.to_string(), value.to_string())),
            }
        }
        let to = url::Url::parse(page).unwrap().join(&action).unwrap();
        self.http
            .post(to)
            .header(header::ORIGIN, &self.app_base)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    async fn page(&self, path: &str) -> (String, String) {
        let url = format!("{}{path}", self.app_base);
        let res = self.http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        (url, res.text().await.unwrap())
    }
}

fn totp_code(app: &totp_rs::TOTP, offset_steps: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    app.generate(((now / 30 + offset_steps) * 30) as u64)
}

#[tokio::test]
async fn an_account_with_two_factors_links_its_organisation_account_from_settings() {
    let chief_at_kent = Account {
        login: "chief-sso",
        email: "chief@kent.police.uk",
        name: "Kent's Chief",
        oid: "55cc-chief",
        tid: None,
        idp: None,
    };
    let Some(s) = setup(Backend::Sqlite, false, &[chief_at_kent]).await else {
        return;
    };
    let app = &s.app;
    let chief = "chief@kent.police.uk";
    // Without a second factor the account cannot link.
    let api = app.login(chief).await;
    let b = Browser::new(app);
    let (url, html) = b.page("/login").await;
    let res = b
        .submit(
            &url,
            &html,
            "/login\"",
            &[("email", chief), ("password", crate::helpers::PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (url, html) = b.page("/settings/organisation-account").await;
    assert!(html.contains("turn on two-step sign-in"), "{html}");
    assert!(!html.contains("/settings/organisation-account/link"));
    // With an authenticator app, and a sign-in with both factors, it can.
    let (status, enrolment) = app.post("/api/v1/me/totp", &api, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let authenticator =
        totp_rs::TOTP::from_url(enrolment["otpauth_url"].as_str().unwrap()).unwrap();
    let (status, body) = app
        .post(
            "/api/v1/me/totp/confirm",
            &api,
            json!({"code": totp_code(&authenticator, 0)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let _ = url;
    let b = Browser::new(app);
    let (url, html) = b.page("/login").await;
    let res = b
        .submit(
            &url,
            &html,
            "/login\"",
            &[("email", chief), ("password", crate::helpers::PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "the code is asked for");
    let html = res.text().await.unwrap();
    let res = b
        .submit(
            &url,
            &html,
            "/login/code",
            &[("code", &totp_code(&authenticator, 1))],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        res.text().await
    );
    let other_device = app.login_full(chief, crate::helpers::PASSWORD).await;
    assert_eq!(other_device.0, StatusCode::OK);
    let (url, html) = b.page("/settings/organisation-account").await;
    // The wrong password is refused beside the field; the right one goes to the provider.
    let link = "/organisation-account/link";
    let res = b
        .submit(&url, &html, link, &[("password", "not my password")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .submit(&url, &html, link, &[("password", crate::helpers::PASSWORD)])
        .await;
    let authorize = on_to_provider(res).await;
    assert!(authorize.starts_with(&s.provider.base), "{authorize}");
    let callback = b.through_provider(&authorize, "chief-sso").await;
    let landed = b.land(&callback).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(
        landed.location.as_deref(),
        Some("/settings/organisation-account?done=linked")
    );
    // Linking signed out the other devices, and is audited.
    let (status, _) = app.get("/api/v1/me", &api).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API session ended");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'identity.link'")
            .await,
        1
    );
    // Now the organisation account signs in to the chief's account, from a new browser.
    let fresh = Browser::new(app);
    let signed = fresh.sign_in(chief, "chief-sso").await;
    assert!(signed.signed_in, "{}", signed.body);
    let (_, html) = fresh.page("/settings").await;
    assert!(
        html.contains("Test chief_officer"),
        "the chief's own account"
    );
    // Unlinking takes the password again.
    let (url, html) = b.page("/settings/organisation-account").await;
    assert!(html.contains("Unlink"), "{html}");
    let unlink = "/organisation-account/unlink";
    let res = b
        .submit(
            &url,
            &html,
            unlink,
            &[("password", crate::helpers::PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0);
    // Without the identity, the same organisation account no longer gets in: the address
    // has an account, so it is refused rather than given it.
    let again = Browser::new(app).sign_in(chief, "chief-sso").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(!again.signed_in);
}
