//! The people and spaces the page tests use: a chief officer and an admin of Kent Police, a
//! supplier, a space for chiefs only and one opened to partners, on a server whose public
//! address is the one the browser uses (so its own forms pass the origin check).
use crate::browser::free_port;
use crate::helpers::{Backend, TestApp, PASSWORD};

pub const CHIEF: &str = "chief@kent.example";
pub const ADMIN: &str = "admin@kent.example";
pub const SUPPLIER: &str = "sales@kestrelgate.example";
pub use crate::helpers::PASSWORD as THE_PASSWORD;

pub struct World {
    pub app: TestApp,
}

impl World {
    pub async fn new(backend: Backend) -> World {
        Self::with_settings(backend, &[]).await
    }

    /// The same world on a server with some settings changed (`ROUNDTABLE__…` variables).
    pub async fn with_settings(backend: Backend, settings: &[(&str, &str)]) -> World {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let bind = format!("127.0.0.1:{port}");
        let mut env = vec![
            ("ROUNDTABLE__SERVER__BIND", bind.as_str()),
            ("ROUNDTABLE__SERVER__PUBLIC_URL", base.as_str()),
        ];
        env.extend_from_slice(settings);
        let app = TestApp::spawn_with(backend, &env).await;
        app.add_org("Kent Police", "force");
        app.add_org("Kestrelgate Ltd", "supplier");
        app.add_user(CHIEF, "Kent Police", "chief_officer");
        app.add_user(ADMIN, "Kent Police", "admin");
        app.add_user(SUPPLIER, "Kestrelgate Ltd", "supplier");
        app.add_space(
            "chiefs",
            "chief_officer,pcc,staff",
            "chief_officer,pcc,staff",
            None,
        );
        app.add_space(
            "partners",
            "chief_officer,pcc,staff,supplier",
            "chief_officer,pcc,staff,supplier",
            None,
        );
        let _ = PASSWORD;
        World { app }
    }

    pub fn base(&self) -> &str {
        &self.app.base
    }
}
