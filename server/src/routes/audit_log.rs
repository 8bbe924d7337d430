use crate::auth::Viewer;
use crate::db::entities::audit_log;
use crate::error::{ApiError, ErrorBody};
use crate::permissions::{check_platform, PlatformAction};
use crate::routes::PageQuery;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub id: i32,
    pub actor_id: Option<i32>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i32>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// The audit log, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "moderation", params(PageQuery),
    responses((status = 200, body = AuditPage),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 422, body = ErrorBody, description = "A `cursor` this server did not give")))]
#[get("/audit")]
pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    check_platform(&viewer, PlatformAction::ReadAuditLog)?;
    let limit = page.limit()?;
    let mut query = audit_log::Entity::find();
    if let Some(cursor) = &page.cursor {
        let before: i32 = cursor
            .parse()
            .map_err(|_| ApiError::validation("cursor", "cursor is not valid"))?;
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let entries = rows
        .into_iter()
        .map(|r| AuditEntryView {
            id: r.id,
            actor_id: r.actor_id,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_cursor,
    }))
}
