//! The pages over HTTP, as an attacker would try them: forms from another site or without
//! the token, return addresses to other sites, oversized and hostile input, and the headers
//! and answers every page gives. (The flows themselves are tested in a real browser.)
use crate::helpers::*;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN,
};
use reqwest::{redirect, Client, StatusCode};

fn no_redirects() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server whose public address is the one these requests use, so its origin check applies
/// as it does for a browser on the real site.
pub async fn spawn_at_public_url(backend: Backend) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let public = format!("http://127.0.0.1:{port}");
    TestApp::spawn_with(
        backend,
        &[
            ("ROUNDTABLE__SERVER__BIND", &bind),
            ("ROUNDTABLE__SERVER__PUBLIC_URL", &public),
        ],
    )
    .await
}

struct CookieSession {
    cookie: String,
    csrf: String,
}

async fn cookie_session(app: &TestApp, email: &str) -> CookieSession {
    let (status, body) = app.login_full(email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    CookieSession {
        cookie: format!("rt_access={}", body["access_token"].as_str().unwrap()),
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}

#[tokio::test]
async fn forms_need_our_origin_and_the_session_token() {
    for backend in backends() {
        let app = spawn_at_public_url(backend).await;
        let token = app.chief_with_space("chiefs").await;
        let (thread, _) = app
            .start_thread(&token, "chiefs", "A thread", "Body.")
            .await;
        let s = cookie_session(&app, "chief@kent.example").await;
        let client = no_redirects();
        let reply = |origin: &str, form: String| {
            client
                .post(app.url(&format!("/threads/{thread}/reply")))
                .header(COOKIE, &s.cookie)
                .header(ORIGIN, origin)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form)
                .send()
        };
        let good = format!("csrf_token={}&body=Hello&action=post", s.csrf);
        let res = reply("https://evil.example", good.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "another site's form");
        let res = reply(&app.base, "body=Hello&action=post".into())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token");
        assert!(res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("form has expired"));
        let res = reply(&app.base, "csrf_token=forged&body=Hello".to_string())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "a wrong token");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM posts WHERE thread_id = {thread}"
            ))
            .await,
            1,
            "nothing was posted"
        );
        let res = reply(&app.base, good).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with(&format!("/threads/{thread}#post-")));
        let json = client
            .post(app.url(&format!("/threads/{thread}/reply")))
            .header(COOKIE, &s.cookie)
            .header(ORIGIN, &app.base)
            .header(CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

#[tokio::test]
async fn signed_out_visitors_go_to_sign_in_and_come_back_only_to_our_own_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = no_redirects();
    let res = client.get(app.url("/threads/7?x=1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(to, "/api/v1/auth/resume?next=%2Fthreads%2F7%3Fx%3D1");
    let res = client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(
        res.headers()[LOCATION],
        "/login?next=%2Fthreads%2F7%3Fx%3D1"
    );
    for hostile in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        let res = client
            .get(app.url(&format!("/api/v1/auth/resume?next={encoded}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[LOCATION], "/login?next=%2F", "{hostile}");
        let page = client
            .get(app.url(&format!("/login?next={encoded}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("name=\"next\" value=\"/\""),
            "{hostile}: {page}"
        );
    }
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_assets_a_long_cache_life() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = no_redirects();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    let css = html
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|h| h.starts_with("/assets/")))
        .expect("a stylesheet link")
        .to_string();
    let res = client.get(app.url(&css)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let stale = client
        .get(app.url("/assets/roundtable.0000000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
    let unknown = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let api = client.get(app.url("/api/v1/no-such")).send().await.unwrap();
    assert!(api.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn hostile_form_input_at_the_limits_gets_a_page_that_says_why() {
    let app = spawn_at_public_url(Backend::Sqlite).await;
    let token = app.chief_with_space("chiefs").await;
    let (thread, _) = app
        .start_thread(&token, "chiefs", "A thread", "Body.")
        .await;
    let s = cookie_session(&app, "chief@kent.example").await;
    let client = no_redirects();
    let send = |body: String| {
        client
            .post(app.url(&format!("/threads/{thread}/reply")))
            .header(COOKIE, &s.cookie)
            .header(ORIGIN, &app.base)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let too_long = "x".repeat(100_001);
    let res = send(format!("csrf_token={}&body={too_long}&action=post", s.csrf))
        .await
        .unwrap();
    let status = res.status();
    let page = res.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        &page[..page.len().min(3000)]
    );
    assert!(page.contains("govuk-error-summary") && page.contains("id=\"body-error\""));
    assert!(page.contains(&too_long), "what was typed is kept");
    let nested = ">".repeat(50_000);
    let res = send(format!(
        "csrf_token={}&body={}&action=preview",
        s.csrf,
        nested.replace('>', "%3E")
    ))
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "hostile nesting is refused"
    );
    let huge = "y".repeat(1_100_000);
    let res = send(format!("csrf_token={}&body={huge}", s.csrf))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = send(format!("csrf_token={}&body=a%00b&action=post", s.csrf))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_case_study_and_best_practice_forms_refuse_another_sites_requests() {
    let app = spawn_at_public_url(Backend::Sqlite).await;
    let token = app.chief_with_space("chiefs").await;
    let (thread, _) = app
        .start_thread(&token, "chiefs", "A thread", "Body.")
        .await;
    let s = cookie_session(&app, "chief@kent.example").await;
    let client = no_redirects();
    let forms = [
        (
            "/spaces/chiefs/case-studies/new".to_string(),
            "title=Cross-site&body=x&marking=OFFICIAL&service_area=custody&forces=Kent&annual_cost_before=10&annual_cost_after=5",
        ),
        (format!("/threads/{thread}/endorsement"), "status=current"),
        (format!("/threads/{thread}/case-study"), "service_area=custody"),
    ];
    for (path, form) in &forms {
        for (origin, body) in [
            (
                "https://evil.example".to_string(),
                format!("csrf_token={}&{form}", s.csrf),
            ),
            (app.base.clone(), form.to_string()),
        ] {
            let res = client
                .post(app.url(path))
                .header(COOKIE, &s.cookie)
                .header(ORIGIN, &origin)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} from {origin}");
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM case_studies").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM endorsements").await, 0);
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("a valid gzip stream");
    out
}

/// A thread's JSON and page come gzip-encoded to a client that takes gzip, decode to exactly
/// the bytes sent to one that does not, and keep the page's CSRF token out of the compressed
/// parts (it is sent as it is, so a response's size never depends on it: BREACH). Nobody
/// who may not read the thread learns more by asking for gzip.
#[tokio::test]
async fn a_thread_comes_gzip_encoded_when_asked_for_and_holds_the_same_bytes() {
    use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let token = app.chief_with_space("chiefs").await;
        app.add_user("staff@kent.example", "Kent Police", "staff");
        let outsider = app.login("staff@kent.example").await;
        // Text that looks like the page's slot markers, in the title and in a post.
        let (thread, opening) = app
            .start_thread(
                &token,
                "chiefs",
                "Costs <!--rt-slot-0-x--> of mutual aid",
                "Opening `<!--rt-slot-1-x-->` post. Costs per officer hour, by force.",
            )
            .await;
        for n in 0..30 {
            let text = format!("Reply {n}: what we paid for **resilience** in year {n}.");
            app.reply(&token, thread, Some(opening), &text).await;
        }
        let client = no_redirects();
        let api = app.url(&format!("/api/v1/threads/{thread}"));
        let plain = client.get(&api).bearer_auth(&token).send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[VARY], "Accept-Encoding");
        let plain_etag = plain.headers()[ETAG].to_str().unwrap().to_string();
        let plain_json = plain.text().await.unwrap();
        let asked = |url: &str, encodings: &str| {
            client
                .get(url)
                .bearer_auth(&token)
                .header(ACCEPT_ENCODING, encodings)
        };
        let zipped = asked(&api, "gzip, deflate, br, zstd").send().await.unwrap();
        assert_eq!(zipped.status(), StatusCode::OK);
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers()[VARY], "Accept-Encoding");
        let zipped_etag = zipped.headers()[ETAG].to_str().unwrap().to_string();
        assert_ne!(zipped_etag, plain_etag, "each encoding has its own ETag");
        let bytes = zipped.bytes().await.unwrap();
        assert!(bytes.len() < plain_json.len());
        assert_eq!(gunzip(&bytes), plain_json);
        // Either ETag shows the thread unchanged.
        for etag in [&plain_etag, &zipped_etag] {
            let again = asked(&api, "gzip")
                .header(IF_NONE_MATCH, etag.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
            assert_eq!(again.headers()[ETAG], zipped_etag.as_str());
        }
        let refused = asked(&api, "gzip;q=0, br").send().await.unwrap();
        assert!(refused.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(refused.text().await.unwrap(), plain_json);

        let s = cookie_session(&app, "chief@kent.example").await;
        let page_url = app.url(&format!("/threads/{thread}"));
        let page = |encodings: Option<&str>| {
            let mut req = client.get(&page_url).header(COOKIE, &s.cookie);
            if let Some(e) = encodings {
                req = req.header(ACCEPT_ENCODING, e);
            }
            req.send()
        };
        let plain = page(None).await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        let html = plain.text().await.unwrap();
        assert!(
            html.contains("Reply 29: what we paid"),
            "the posts are on the page"
        );
        // The look-alike markers are shown as text, and every real slot is filled.
        assert!(html.contains("rt-slot-0-x"), "{html}");
        assert!(html.contains("rt-slot-1-x"));
        assert!(!html.contains("<!--rt-slot"), "every slot is filled");
        assert!(
            html.contains(&s.csrf),
            "the page's forms carry the session's token"
        );
        let zipped = page(Some("gzip, deflate, br, zstd")).await.unwrap();
        assert_eq!(zipped.status(), StatusCode::OK);
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers()[VARY], "Accept-Encoding");
        assert!(zipped.headers().get(CONTENT_SECURITY_POLICY).is_some());
        let bytes = zipped.bytes().await.unwrap();
        assert!(
            bytes.len() < html.len() * 3 / 4,
            "{} of {}",
            bytes.len(),
            html.len()
        );
        assert_eq!(gunzip(&bytes), html);
        let token_bytes = s.csrf.as_bytes();
        assert!(
            bytes.windows(token_bytes.len()).any(|w| w == token_bytes),
            "the token is sent uncompressed"
        );

        // Someone who may not read the thread gets the same 404 either way.
        let hidden = |encodings: Option<&'static str>| {
            let mut req = client.get(&api).bearer_auth(&outsider);
            if let Some(e) = encodings {
                req = req.header(ACCEPT_ENCODING, e);
            }
            async move {
                let res = req.send().await.unwrap();
                let status = res.status();
                let encoding = res.headers().get(CONTENT_ENCODING).cloned();
                (status, encoding, res.text().await.unwrap())
            }
        };
        let (s_plain, _, body_plain) = hidden(None).await;
        let (s_zipped, encoding, body_zipped) = hidden(Some("gzip")).await;
        assert_eq!(s_plain, StatusCode::NOT_FOUND);
        assert_eq!((s_zipped, encoding), (StatusCode::NOT_FOUND, None));
        let error = |body: &str| {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            (v["error"]["code"].clone(), v["error"]["message"].clone())
        };
        assert_eq!(error(&body_plain), error(&body_zipped));
    }
}
