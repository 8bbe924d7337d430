//! Shared documents through the running server: upload of every accepted type, found by a
//! word that occurs only inside the file, downloaded by readers and hidden (404) from anyone
//! else in every channel; hostile files fail alone; refusals say why; versions; a crash
//! during extraction.
use crate::helpers::{on_each_backend, Backend, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use roundtable_tests::fixtures;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Uploads `bytes` as `name` to `path` with the given text fields.
pub async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Waits until the document's text has been read (or failed); returns its details.
pub async fn extracted(app: &TestApp, token: &str, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (status, doc) = app.get(&format!("/api/v1/documents/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "document {id}: {doc}");
        if doc["extraction"] != "pending" {
            return doc;
        }
        assert!(
            Instant::now() < deadline,
            "document {id} still pending: {doc}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Searches until `q` finds something (the indexer commits about once a second).
pub async fn search_until(app: &TestApp, token: &str, q: &str, want: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, found) = app
            .get(&format!("/api/v1/search?q={}", urlencode(q)), token)
            .await;
        assert_eq!(status, StatusCode::OK, "search {q}: {found}");
        if found["total"].as_u64() == Some(want as u64) || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Kent's chief shares material in `library` (chief officers only); a supplier may not read it.
async fn library_and_outsider(app: &TestApp) -> (String, String) {
    let chief = app.chief_with_space("library").await;
    app.add_org("Acme Systems", "supplier");
    app.add_user("rep@acme.example", "Acme Systems", "supplier");
    let outsider = app.login("rep@acme.example").await;
    (chief, outsider)
}

fn word_for(kind: &str) -> String {
    format!("zq{kind}marker")
}

#[tokio::test]
async fn every_type_is_found_by_its_own_words_and_downloaded_only_by_readers() {
    on_each_backend(|app| async move {
        let (chief, outsider) = library_and_outsider(&app).await;
        let files = fixtures::every_type(&|kind| {
            format!(
                "Benchmarking clause saving {} for the fleet",
                word_for(kind)
            )
        });
        let mut ids = Vec::new();
        for (kind, name, bytes) in &files {
            let (status, up) = upload(
                &app,
                &chief,
                "/api/v1/spaces/library/documents",
                name,
                bytes.clone(),
                &[
                    ("title", &format!("Shared {kind}")),
                    ("marking", "OFFICIAL"),
                ],
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{name}: {up}");
            assert_eq!(up["file_type"], *kind, "{name} sniffed: {up}");
            ids.push(up["id"].as_i64().unwrap());
        }
        for ((kind, name, bytes), id) in files.iter().zip(&ids) {
            let doc = extracted(&app, &chief, *id).await;
            assert_eq!(doc["extraction"], "done", "{name}: {doc}");
            let found = search_until(&app, &chief, &word_for(kind), 1).await;
            assert_eq!(found["total"], 1, "{name} by its word: {found}");
            let hit = &found["hits"][0];
            assert_eq!(hit["kind"], "document", "{hit}");
            assert_eq!(hit["document_id"].as_i64(), Some(*id), "{hit}");
            assert!(
                hit["snippet_html"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("<mark>{}</mark>", word_for(kind))),
                "{name} snippet: {hit}"
            );
            // The reader gets the very bytes, as an attachment of the sniffed type.
            let res = app
                .client
                .get(app.url(&format!("/api/v1/documents/{id}/download")))
                .bearer_auth(&chief)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let h = res.headers().clone();
            assert!(h["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;"));
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(
                h["content-security-policy"], "default-src 'none'; sandbox",
                "a download can never run as a page"
            );
            let ct = h["content-type"].to_str().unwrap().to_string();
            assert!(!ct.contains("html"), "{name} served as {ct}");
            assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..], "{name}");
            // Someone who may not read the space: as if it did not exist, everywhere.
            for path in [
                format!("/api/v1/documents/{id}"),
                format!("/api/v1/documents/{id}/download"),
                format!("/api/v1/documents/{id}/versions"),
            ] {
                let (status, body) = app.get(&path, &outsider).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
                let (missing, missing_body) = app
                    .get(&path.replace(&id.to_string(), "999999"), &outsider)
                    .await;
                assert_eq!((status, &body), (missing, &missing_body), "{path}");
            }
            let (_, hidden) = app
                .get(&format!("/api/v1/search?q={}", word_for(kind)), &outsider)
                .await;
            assert_eq!(hidden["total"], 0, "{name} leaked to search: {hidden}");
        }
        let (status, page) = app.get("/api/v1/spaces/library/documents", &chief).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["documents"].as_array().unwrap().len(), files.len());
        let (status, _) = app.get("/api/v1/spaces/library/documents", &outsider).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // One filter and one facet for kinds of hit.
        let found = search_until(&app, &chief, "benchmarking type:document", files.len()).await;
        assert_eq!(found["total"], files.len(), "{found}");
        assert_eq!(found["facets"]["type"]["document"], files.len(), "{found}");
        let (_, none) = app
            .get("/api/v1/search?q=benchmarking%20type:discussion", &chief)
            .await;
        assert_eq!(none["total"], 0, "{none}");
    })
    .await;
}

#[tokio::test]
async fn hostile_files_fail_alone_and_say_why() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (chief, _) = library_and_outsider(&app).await;
    let hostile = [
        ("broken.pdf", fixtures::corrupt_pdf()),
        ("bomb.docx", fixtures::zip_bomb(200)),
        ("laughs.docx", fixtures::xml_bomb()),
    ];
    let mut ids = Vec::new();
    for (name, bytes) in hostile {
        let (status, up) = upload(
            &app,
            &chief,
            "/api/v1/spaces/library/documents",
            name,
            bytes,
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {up}");
        ids.push((name, up["id"].as_i64().unwrap()));
    }
    let (status, good) = upload(
        &app,
        &chief,
        "/api/v1/spaces/library/documents",
        "after.txt",
        b"Written after the hostile files: zqafterword".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{good}");
    for (name, id) in ids {
        let doc = extracted(&app, &chief, id).await;
        // The XML bomb's entities are never expanded: it reads as an empty document.
        if name == "laughs.docx" {
            assert_ne!(doc["extraction"], "pending", "{doc}");
            assert!(!doc.to_string().contains("lollollol"), "{doc}");
            continue;
        }
        assert_eq!(doc["extraction"], "failed", "{name}: {doc}");
        let why = doc["extraction_error"].as_str().unwrap_or_default();
        assert!(why.len() > 10, "{name} says why: {doc}");
        // Still listed, with the reason.
        let (_, page) = app.get("/api/v1/spaces/library/documents", &chief).await;
        let listed = page["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"].as_i64() == Some(id))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(listed["extraction"], "failed", "{name}: {page}");
    }
    let doc = extracted(&app, &chief, good["id"].as_i64().unwrap()).await;
    assert_eq!(doc["extraction"], "done", "{doc}");
    assert_eq!(
        search_until(&app, &chief, "zqafterword", 1).await["total"],
        1
    );
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn refused_uploads_say_why_and_leave_nothing_behind() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("ROUNDTABLE__LIBRARY__MAX_FILE_BYTES", "100000"),
            ("ROUNDTABLE__LIBRARY__DAILY_BYTES_PER_USER", "250000"),
        ],
    )
    .await;
    let (chief, outsider) = library_and_outsider(&app).await;
    let path = "/api/v1/spaces/library/documents";
    // Over the file limit: refused from the declared length, before it is read.
    let big = vec![b'a'; 5 * 1024 * 1024];
    let (status, body) = upload(&app, &chief, path, "big.txt", big, &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("largest file"),
        "{body}"
    );
    // Over the limit without a declared length (streamed): stopped at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![b'b'; 64 * 1024])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let form = Form::new().part("file", Part::stream(stream).file_name("streamed.txt"));
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(&chief)
        .multipart(form)
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let staging = app.data_dir.path().join("files").join("staging");
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "staging is left empty"
    );
    // Types decided from content.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (status, body) = upload(&app, &chief, path, "photo.pdf", png, &[]).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not accepted"),
        "{body}"
    );
    let html = b"<html><body><script>alert(1)</script></body></html>\n".to_vec();
    let (status, body) = upload(&app, &chief, path, "page.html", html, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["file_type"], "txt",
        "HTML is kept as plain text: {body}"
    );
    let id = body["id"].as_i64().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/documents/{id}/download")))
        .bearer_auth(&chief)
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("page.txt"));
    // Not multipart, no file, a reader who may not post, a bad marking.
    let (status, _) = app
        .post(path, &chief, serde_json::json!({"title": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(&chief)
        .multipart(Form::new().text("title", "no file"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = upload(&app, &outsider, path, "x.txt", b"hello".to_vec(), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = upload(
        &app,
        &chief,
        path,
        "x.txt",
        b"hello".to_vec(),
        &[("marking", "SECRET")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "marking");
    // The day's allowance: 250,000 bytes; two files of 90,000 fit, a third does not.
    for n in 0..2 {
        let (status, body) =
            upload(&app, &chief, path, "fill.txt", vec![b'0' + n; 90_000], &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = upload(&app, &chief, path, "more.txt", vec![b'z'; 90_000], &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("today"),
        "{body}"
    );
}

#[tokio::test]
async fn versions_keep_the_old_file_and_search_follows_the_new() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (chief, _) = library_and_outsider(&app).await;
    let (_, first) = upload(
        &app,
        &chief,
        "/api/v1/spaces/library/documents",
        "strategy.txt",
        b"Draft strategy zqoldword".to_vec(),
        &[
            ("title", "Estates strategy"),
            ("summary", "The first draft"),
        ],
    )
    .await;
    let id = first["id"].as_i64().unwrap();
    extracted(&app, &chief, id).await;
    let (status, second) = upload(
        &app,
        &chief,
        &format!("/api/v1/documents/{id}/versions"),
        "strategy v2.md",
        b"# Final strategy\n\nzqnewword replaces the draft\n- one\n".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["version"], 2);
    let doc = extracted(&app, &chief, id).await;
    assert_eq!(
        doc["title"], "Estates strategy",
        "a version keeps the title"
    );
    let versions = doc["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{doc}");
    assert_eq!(versions[0]["number"], 2);
    assert_eq!(versions[1]["filename"], "strategy.txt");
    assert_eq!(
        versions[1]["uploaded_by"]["display_name"],
        "Test chief_officer"
    );
    let old = app
        .client
        .get(app.url(&format!("/api/v1/documents/{id}/download?version=1")))
        .bearer_auth(&chief)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(old.as_ref(), b"Draft strategy zqoldword");
    assert_eq!(search_until(&app, &chief, "zqnewword", 1).await["total"], 1);
    assert_eq!(search_until(&app, &chief, "zqoldword", 0).await["total"], 0);
    // Someone else who may read and post here may not replace another's document.
    app.add_user("deputy@kent.example", "Kent Police", "chief_officer");
    let deputy = app.login("deputy@kent.example").await;
    let (status, body) = upload(
        &app,
        &deputy,
        &format!("/api/v1/documents/{id}/versions"),
        "x.txt",
        b"mine now".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app
        .delete(&format!("/api/v1/documents/{id}"), &deputy)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.delete(&format!("/api/v1/documents/{id}"), &chief).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(search_until(&app, &chief, "zqnewword", 0).await["total"], 0);
    let (status, _) = app.get(&format!("/api/v1/documents/{id}"), &chief).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn attachments_inherit_the_threads_marking_and_go_with_their_post() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (chief, _) = library_and_outsider(&app).await;
    let (status, created) = app
        .post(
            "/api/v1/spaces/library/threads",
            &chief,
            serde_json::json!({"title": "Custody contract", "body": "Terms attached", "tags": [], "marking": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let post_id = created["post_id"].as_i64().unwrap();
    let (status, up) = upload(
        &app,
        &chief,
        &format!("/api/v1/posts/{post_id}/documents"),
        "terms.txt",
        b"Open-book accounting zqattached".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let id = up["id"].as_i64().unwrap();
    let doc = extracted(&app, &chief, id).await;
    assert_eq!(doc["marking"], "OFFICIAL-SENSITIVE", "{doc}");
    assert_eq!(doc["post_id"].as_i64(), Some(post_id));
    // Lower than the thread: only an admin.
    let (status, body) = upload(
        &app,
        &chief,
        &format!("/api/v1/posts/{post_id}/documents"),
        "terms.txt",
        b"again".to_vec(),
        &[("marking", "OFFICIAL")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Another reader may not attach to someone else's post.
    app.add_user("deputy@kent.example", "Kent Police", "chief_officer");
    let deputy = app.login("deputy@kent.example").await;
    let (status, _) = upload(
        &app,
        &deputy,
        &format!("/api/v1/posts/{post_id}/documents"),
        "x.txt",
        b"x".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        search_until(&app, &chief, "zqattached", 1).await["total"],
        1
    );
    // Deleting the post takes its attachment with it, from every channel.
    let (status, _) = app
        .delete(&format!("/api/v1/posts/{post_id}"), &chief)
        .await;
    assert!(status.is_success(), "{status}");
    let (status, _) = app
        .get(&format!("/api/v1/documents/{id}/download"), &chief)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = app.get("/api/v1/search?q=zqattached", &chief).await;
    assert!(found["hits"].as_array().unwrap().is_empty(), "{found}");
}

#[tokio::test]
async fn a_crash_during_extraction_loses_nothing_and_doubles_nothing() {
    // A short wall-time limit keeps the claim's lease (limit + 5 s) short after the restart.
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("ROUNDTABLE__LIBRARY__EXTRACT_SECONDS", "3")],
    )
    .await;
    // The first server's extractor waits before reading, so the kill lands mid-extraction.
    let slow = app.data_dir.path().join("slow-extractor.sh");
    std::fs::write(
        &slow,
        format!(
            "#!/bin/sh\nsleep 30\nexec {} \"$@\"\n",
            crate::helpers::server_binary()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    app.set_env("ROUNDTABLE_EXTRACTOR", &slow.display().to_string());
    app.start();
    let (chief, _) = library_and_outsider(&app).await;
    let (status, up) = upload(
        &app,
        &chief,
        "/api/v1/spaces/library/documents",
        "lessons.docx",
        fixtures::docx("Lessons learned zqcrashword"),
        &[("title", "Lessons")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let id = up["id"].as_i64().unwrap();
    // Wait until the extraction has been claimed (its lease taken), then kill -9. (The
    // attempt count can fall back to 0 when starting the child fails for a moment, as with
    // ETXTBSY while other tests fork, so the lease is what shows the claim.)
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .count(&format!(
            "SELECT COUNT(*) FROM document_versions WHERE document_id = {id} AND extracted_at IS NOT NULL"
        ))
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "extraction never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop();
    app.set_env("ROUNDTABLE_EXTRACTOR", "");
    app.start();
    let chief = app.login("chief@kent.example").await;
    let doc = extracted(&app, &chief, id).await;
    assert_eq!(doc["extraction"], "done", "{doc}");
    let found = search_until(&app, &chief, "zqcrashword", 1).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["hits"].as_array().unwrap().len(), 1, "{found}");
    let out = app.cli(&["index-status"], &[]);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["documents"].as_i64().unwrap(),
        status["live_posts"].as_i64().unwrap() + status["live_shared_documents"].as_i64().unwrap(),
        "one index entry per post and document: {status}"
    );
}

#[tokio::test]
async fn a_folder_is_imported_with_a_summary_and_its_files_are_found() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (chief, outsider) = library_and_outsider(&app).await;
    let folder = tempfile::tempdir().unwrap();
    let nested = folder.path().join("contracts");
    std::fs::create_dir(&nested).unwrap();
    let files =
        fixtures::every_type(&|kind| format!("Imported {}", word_for(&format!("imp{kind}"))));
    for (i, (_, name, bytes)) in files.iter().enumerate() {
        let dir = if i % 2 == 0 {
            folder.path()
        } else {
            nested.as_path()
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(folder.path().join("photo.png"), b"\x89PNG\r\n\x1a\n\0\0").unwrap();
    std::fs::write(folder.path().join(".hidden.txt"), b"left out").unwrap();
    let folder_arg = folder.path().display().to_string();
    let out = app.cli(
        &[
            "library",
            "import",
            &folder_arg,
            "--space",
            "library",
            "--as",
            "chief@kent.example",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("imported 9 of 10 files"), "{stdout}");
    assert!(
        stdout.contains("photo.png") && stdout.contains("not accepted"),
        "{stdout}"
    );
    for (kind, _, _) in &files {
        let word = word_for(&format!("imp{kind}"));
        assert_eq!(
            search_until(&app, &chief, &word, 1).await["total"],
            1,
            "{kind}"
        );
        let (_, hidden) = app
            .get(&format!("/api/v1/search?q={word}"), &outsider)
            .await;
        assert_eq!(hidden["total"], 0);
    }
    // A space that does not exist stops the import with a clear error.
    let out = app.cli(
        &[
            "library",
            "import",
            &folder_arg,
            "--space",
            "nowhere",
            "--as",
            "chief@kent.example",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--space"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn uploads_riding_on_cookies_need_our_origin_and_the_token_first() {
    use crate::csrf::cookie_login;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.chief_with_space("library").await;
    let (cookies, login) = cookie_login(&app, "chief@kent.example").await;
    let token = login["csrf_token"].as_str().unwrap().to_string();
    let own = "http://127.0.0.1:8080";
    let send =
        |path: &'static str, origin: &'static str, form: Form, header_token: Option<String>| {
            let mut req = app
                .client
                .post(app.url(path))
                .header("cookie", &cookies)
                .header("origin", origin)
                .multipart(form);
            if let Some(t) = header_token {
                req = req.header("x-csrf-token", t);
            }
            req.send()
        };
    let file = || Part::bytes(b"Cookie upload zqcookieword".to_vec()).file_name("c.txt");
    // The API: another site's page, or no token, is refused.
    let res = send(
        "/api/v1/spaces/library/documents",
        "https://evil.example",
        Form::new().part("file", file()),
        Some(token.clone()),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = send(
        "/api/v1/spaces/library/documents",
        own,
        Form::new().part("file", file()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The page's form: the token must be the first field, and right.
    let res = send(
        "/spaces/library/library",
        own,
        Form::new()
            .text("csrf_token", "forged")
            .part("file", file()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = send(
        "/spaces/library/library",
        own,
        Form::new()
            .part("file", file())
            .text("csrf_token", token.clone()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a token after the file is too late"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 0);
    let res = app
        .client
        .post(app.url("/spaces/library/library"))
        .header("cookie", &cookies)
        .header("origin", own)
        .multipart(
            Form::new()
                .text("csrf_token", token.clone())
                .part("file", file()),
        )
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == StatusCode::SEE_OTHER || res.url().path().starts_with("/documents/"),
        "{} {}",
        res.status(),
        res.url()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 1);
}

#[tokio::test]
async fn uploads_at_once_cannot_spend_one_allowance_twice() {
    for backend in crate::helpers::backends() {
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__LIBRARY__DAILY_BYTES_PER_USER", "10000")],
        )
        .await;
        let (chief, _) = library_and_outsider(&app).await;
        // Six files of 4,000 bytes at once against an allowance of 10,000: each is under what
        // is left when it starts, but only two fit.
        let uploads = (0..6).map(|i| {
            let app = &app;
            let chief = &chief;
            async move {
                let text = format!("zqallowance{i} {}\n", "x".repeat(3980));
                upload(
                    app,
                    chief,
                    "/api/v1/spaces/library/documents",
                    &format!("part{i}.txt"),
                    text.into_bytes(),
                    &[],
                )
                .await
            }
        });
        let results = futures_util::future::join_all(uploads).await;
        let kept = results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(kept, 2, "{results:?}");
        // Refused for the day's allowance: when the others were already kept as it started
        // (413, larger than what is left), or as it finished (429).
        for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            assert!(
                [StatusCode::TOO_MANY_REQUESTS, StatusCode::PAYLOAD_TOO_LARGE].contains(status),
                "{status}: {body}"
            );
            assert!(
                body["error"]["message"].as_str().unwrap().contains("today"),
                "{body}"
            );
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM document_versions").await, 2);
    }
}
