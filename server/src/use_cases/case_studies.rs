//! Case studies: start one (a thread with costing data), read it, change its figures, and
//! compare a service area's case studies side by side (or export them as CSV). Every list is
//! built from the spaces the permission module says the viewer may read.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::case_studies::fields::{pounds, term_label};
use crate::case_studies::{csv, store, CaseStudyFields, CaseStudyInput, FieldError, Saving};
use crate::db::entities::{case_study, document, service_area, thread};
use crate::error::ApiError;
use crate::forum::threads;
use crate::outbox::{self, Change};
use crate::permissions::{check, check_platform, Action, PlatformAction};
use crate::state::AppState;
use crate::use_cases::threads::{NewThreadRequest, Started};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::HashMap;

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::validation(e.field, e.message)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaView {
    pub slug: String,
    pub name: String,
}

impl From<&service_area::Model> for AreaView {
    fn from(a: &service_area::Model) -> Self {
        AreaView {
            slug: a.slug.clone(),
            name: a.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TermView {
    pub key: String,
    pub label: String,
}

/// The document a case study's figures come from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceDocument {
    pub id: i32,
    pub title: String,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseStudyView {
    /// The case study's thread (its discussion).
    pub thread_id: i32,
    pub title: String,
    /// The space's slug.
    pub space: String,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    pub service_area: AreaView,
    pub forces: Vec<String>,
    pub suppliers: Vec<String>,
    #[schema(value_type = Option<String>, example = "2024-04-01")]
    pub contract_start: Option<NaiveDate>,
    pub contract_months: Option<i32>,
    /// Whole pounds.
    pub contract_value: i64,
    pub annual_cost_before: i64,
    pub annual_cost_after: i64,
    pub saving: Saving,
    pub terms: Vec<TermView>,
    pub outcomes: String,
    pub lessons: String,
    pub contact: String,
    /// Where the figures come from, when a document is given and still there.
    pub source_document: Option<SourceDocument>,
    pub updated_at: DateTime<Utc>,
}

impl CaseStudyView {
    pub fn pounds(amount: &i64) -> String {
        pounds(*amount)
    }
}

fn view(
    row: case_study::Model,
    t: &thread::Model,
    space_slug: &str,
    areas: &HashMap<i32, service_area::Model>,
    sources: &HashMap<i32, SourceDocument>,
) -> CaseStudyView {
    let area = areas.get(&row.service_area_id).map_or(
        AreaView {
            slug: String::new(),
            name: String::new(),
        },
        AreaView::from,
    );
    CaseStudyView {
        thread_id: t.id,
        title: t.title.clone(),
        space: space_slug.to_string(),
        marking: t.marking.clone(),
        service_area: area,
        forces: store::list(&row.forces),
        suppliers: store::list(&row.suppliers),
        contract_start: row.contract_start,
        contract_months: row.contract_months,
        contract_value: row.contract_value,
        annual_cost_before: row.annual_cost_before,
        annual_cost_after: row.annual_cost_after,
        saving: Saving::compute(row.annual_cost_before, row.annual_cost_after),
        terms: store::list(&row.terms)
            .into_iter()
            .map(|k| TermView {
                label: term_label(&k).to_string(),
                key: k,
            })
            .collect(),
        source_document: row
            .source_document_id
            .and_then(|id| sources.get(&id).cloned()),
        outcomes: row.outcomes,
        lessons: row.lessons,
        contact: row.contact,
        updated_at: row.updated_at,
    }
}

async fn area_map(
    db: &impl ConnectionTrait,
) -> Result<HashMap<i32, service_area::Model>, sea_orm::DbErr> {
    Ok(store::service_areas(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

/// The live source documents among `rows` that are in their case study's space
/// (a document moved elsewhere is no longer shown as the source).
async fn source_titles(
    db: &impl ConnectionTrait,
    rows: &[(case_study::Model, i32)],
) -> Result<HashMap<i32, SourceDocument>, sea_orm::DbErr> {
    let ids: Vec<i32> = rows
        .iter()
        .filter_map(|(r, _)| r.source_document_id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let space_of: HashMap<i32, i32> = rows
        .iter()
        .filter_map(|(r, space)| r.source_document_id.map(|d| (d, *space)))
        .collect();
    let docs = document::Entity::find()
        .filter(document::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(crate::use_cases::documents::live(db, docs)
        .await?
        .into_iter()
        .filter(|d| space_of.get(&d.id) == Some(&d.space_id))
        .map(|d| {
            (
                d.id,
                SourceDocument {
                    id: d.id,
                    title: d.title,
                    marking: d.marking,
                },
            )
        })
        .collect())
}

pub async fn areas(app: &AppState) -> Result<Vec<AreaView>, ApiError> {
    Ok(store::service_areas(&app.db)
        .await?
        .iter()
        .map(AreaView::from)
        .collect())
}

/// Adds a service area to the managed list (admins).
pub async fn add_area(
    app: &AppState,
    viewer: &Viewer,
    slug: &str,
    name: &str,
) -> Result<AreaView, ApiError> {
    check_platform(viewer, PlatformAction::ManageServiceAreas)?;
    let slug = slug.trim().to_lowercase();
    if slug.is_empty()
        || slug.len() > 60
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ApiError::validation(
            "slug",
            "use 1 to 60 lower-case letters, digits and hyphens",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::validation(
            "name",
            "give a name of 1 to 80 characters",
        ));
    }
    if store::area_by_slug(&app.db, &slug).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "there is already a service area {slug:?}"
        )));
    }
    let txn = crate::db::begin_write(&app.db).await?;
    let added = store::add_area(&txn, &slug, name).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "service_area.add",
            target_type: "service_area",
            target_id: Some(added.id),
            detail: serde_json::json!({"slug": slug, "name": name}),
        },
        Utc::now(),
    )
    .await?;
    txn.commit().await?;
    Ok(AreaView::from(&added))
}

async fn area_id(db: &impl ConnectionTrait, slug: &str) -> Result<i32, ApiError> {
    store::area_by_slug(db, slug)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| {
            ApiError::validation(
                "service_area",
                format!("there is no service area {slug:?}; see GET /api/v1/service-areas"),
            )
        })
}

/// A source document must be a live document of the case study's space: in its library or
/// attached in its thread.
async fn check_source(
    db: &impl ConnectionTrait,
    f: &CaseStudyFields,
    t: &thread::Model,
) -> Result<(), ApiError> {
    let Some(id) = f.source_document_id else {
        return Ok(());
    };
    let found = document::Entity::find_by_id(id).one(db).await?;
    let ok = crate::use_cases::documents::live(db, found.into_iter().collect())
        .await?
        .into_iter()
        .any(|d| d.space_id == t.space_id && d.thread_id.is_none_or(|th| th == t.id));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "source_document_id",
            "the source must be a document in this case study's space or attached in its thread",
        ))
    }
}

/// Starts a case study: its thread (with the opening post) and its figures, in one
/// transaction.
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    new: NewThreadRequest,
    input: CaseStudyInput,
) -> Result<Started, ApiError> {
    let space = crate::use_cases::threads::space_for_new_thread(app, viewer, space_slug).await?;
    let fields = input.check()?;
    let area = area_id(&app.db, &fields.service_area).await?;
    let prepared = crate::use_cases::threads::prepare(app, new).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let (thread_id, post_id) = threads::start(&txn, space.id, viewer.id, prepared, now).await?;
    let t = thread::Entity::find_by_id(thread_id)
        .one(&txn)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_source(&txn, &fields, &t).await?;
    store::write(&txn, thread_id, area, &fields, now).await?;
    txn.commit().await?;
    app.search.changed();
    Ok(Started {
        thread_id,
        post_id,
        space_slug: space.slug,
    })
}

/// The case study of a thread the viewer may read; 404 for a plain thread.
pub async fn show(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
) -> Result<CaseStudyView, ApiError> {
    let (t, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &space, Action::Read).await?;
    let row = case_study::Entity::find_by_id(thread_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sources = source_titles(&app.db, &[(row.clone(), t.space_id)]).await?;
    Ok(view(
        row,
        &t,
        &space.slug,
        &area_map(&app.db).await?,
        &sources,
    ))
}

/// The case study of a thread, if it is one, for a page whose caller has already checked that
/// the viewer may read the thread (so the read is neither checked nor audited twice).
pub async fn of_readable_thread(
    app: &AppState,
    thread_id: i32,
) -> Result<Option<CaseStudyView>, ApiError> {
    let Some(row) = case_study::Entity::find_by_id(thread_id)
        .one(&app.db)
        .await?
    else {
        return Ok(None);
    };
    let (t, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sources = source_titles(&app.db, &[(row.clone(), t.space_id)]).await?;
    Ok(Some(view(
        row,
        &t,
        &space.slug,
        &area_map(&app.db).await?,
        &sources,
    )))
}

/// Replaces a case study's figures: its thread's author, or a moderator.
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
    input: CaseStudyInput,
) -> Result<CaseStudyView, ApiError> {
    let t = may_change(app, viewer, thread_id).await?;
    let fields = input.check()?;
    let area = area_id(&app.db, &fields.service_area).await?;
    check_source(&app.db, &fields, &t).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    store::write(&txn, thread_id, area, &fields, now).await?;
    outbox::record(&txn, Change::Thread(thread_id), now).await?;
    if viewer.is_admin() {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "case_study.update",
                target_type: "thread",
                target_id: Some(thread_id),
                detail: serde_json::json!({}),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    app.search.changed();
    show(app, viewer, thread_id).await
}

/// What a comparison may be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Saving,
    SavingAmount,
    Value,
    Before,
    After,
    Start,
    Title,
}

impl SortKey {
    pub const ALL: &'static [(&'static str, SortKey)] = &[
        ("saving", SortKey::Saving),
        ("saving_amount", SortKey::SavingAmount),
        ("value", SortKey::Value),
        ("before", SortKey::Before),
        ("after", SortKey::After),
        ("start", SortKey::Start),
        ("title", SortKey::Title),
    ];

    pub fn parse(s: &str) -> Result<SortKey, ApiError> {
        SortKey::ALL
            .iter()
            .find(|(k, _)| *k == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                ApiError::validation(
                    "sort",
                    format!(
                        "sort by one of {}",
                        SortKey::ALL
                            .iter()
                            .map(|(k, _)| *k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn key(self) -> &'static str {
        SortKey::ALL
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("saving", |(k, _)| k)
    }
}

/// A comparison as asked for: every filter optional.
#[derive(Debug, Clone, Default)]
pub struct CompareQuery {
    pub area: Option<String>,
    /// Part of a supplier's name, any case.
    pub supplier: Option<String>,
    /// Part of a force's name, any case.
    pub force: Option<String>,
    /// A contract-term key.
    pub term: Option<String>,
    /// Saving, percent, at least / at most.
    pub min_saving: Option<f64>,
    pub max_saving: Option<f64>,
    /// Contract value, pounds, at least / at most.
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    /// Default: saving.
    pub sort: Option<String>,
    /// `asc` or `desc` (default: desc, except title and start: asc).
    pub order: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The service area compared; absent when all areas are listed.
    pub area: Option<AreaView>,
    pub sort: String,
    pub order: String,
    pub case_studies: Vec<CaseStudyView>,
}

fn contains_ci(haystack: &[String], needle: &str) -> bool {
    let needle = needle.to_lowercase();
    haystack.iter().any(|h| h.to_lowercase().contains(&needle))
}

/// The case studies the viewer may read, filtered and sorted. An admin's comparison reaches
/// spaces outside their audience, so it is audited like their searches.
pub async fn compare(
    app: &AppState,
    viewer: &Viewer,
    q: CompareQuery,
) -> Result<Comparison, ApiError> {
    let sort = SortKey::parse(q.sort.as_deref().unwrap_or("saving"))?;
    let descending = match q.order.as_deref() {
        None => !matches!(sort, SortKey::Title | SortKey::Start),
        Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(ApiError::validation(
                "order",
                format!("order is asc or desc, not {other:?}"),
            ))
        }
    };
    for (field, v) in [("min_saving", q.min_saving), ("max_saving", q.max_saving)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(ApiError::validation(
                field,
                format!("{field} must be a number"),
            ));
        }
    }
    if let Some(term) = &q.term {
        if !crate::case_studies::TERMS.iter().any(|(k, _)| k == term) {
            return Err(ApiError::validation(
                "term",
                format!("{term:?} is not a contract term"),
            ));
        }
    }
    let areas = area_map(&app.db).await?;
    let area = match q.area.as_deref().filter(|a| !a.is_empty()) {
        Some(slug) => Some(
            areas
                .values()
                .find(|a| a.slug == slug)
                .cloned()
                .ok_or_else(|| {
                    ApiError::validation("area", format!("there is no service area {slug:?}"))
                })?,
        ),
        None => None,
    };
    let spaces = crate::permissions::readable_by_viewer(app, viewer).await?;
    if spaces.iter().any(|r| r.as_admin) {
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "admin.case_study_comparison",
                target_type: "case_study",
                target_id: None,
                detail: serde_json::json!({"area": q.area}),
            },
            Utc::now(),
        )
        .await?;
    }
    let slugs: HashMap<i32, String> = spaces
        .into_iter()
        .map(|r| (r.space.id, r.space.slug))
        .collect();
    let ids: Vec<i32> = slugs.keys().copied().collect();
    let rows = store::in_spaces(&app.db, &ids, area.as_ref().map(|a| a.id)).await?;
    let keyed: Vec<(case_study::Model, i32)> =
        rows.iter().map(|(r, t)| (r.clone(), t.space_id)).collect();
    let sources = source_titles(&app.db, &keyed).await?;
    let mut out: Vec<CaseStudyView> = rows
        .into_iter()
        .map(|(r, t)| {
            let slug = slugs.get(&t.space_id).cloned().unwrap_or_default();
            view(r, &t, &slug, &areas, &sources)
        })
        .filter(|c| {
            q.supplier
                .as_deref()
                .is_none_or(|s| contains_ci(&c.suppliers, s))
        })
        .filter(|c| q.force.as_deref().is_none_or(|s| contains_ci(&c.forces, s)))
        .filter(|c| {
            q.term
                .as_deref()
                .is_none_or(|t| c.terms.iter().any(|x| x.key == t))
        })
        .filter(|c| q.min_saving.is_none_or(|m| c.saving.percent >= m))
        .filter(|c| q.max_saving.is_none_or(|m| c.saving.percent <= m))
        .filter(|c| q.min_value.is_none_or(|m| c.contract_value >= m))
        .filter(|c| q.max_value.is_none_or(|m| c.contract_value <= m))
        .collect();
    out.sort_by(|a, b| {
        let ord = match sort {
            SortKey::Saving => a.saving.percent.total_cmp(&b.saving.percent),
            SortKey::SavingAmount => a.saving.amount.cmp(&b.saving.amount),
            SortKey::Value => a.contract_value.cmp(&b.contract_value),
            SortKey::Before => a.annual_cost_before.cmp(&b.annual_cost_before),
            SortKey::After => a.annual_cost_after.cmp(&b.annual_cost_after),
            SortKey::Start => a.contract_start.cmp(&b.contract_start),
            SortKey::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
        };
        let ord = if descending { ord.reverse() } else { ord };
        ord.then(a.thread_id.cmp(&b.thread_id))
    });
    Ok(Comparison {
        area: area.as_ref().map(AreaView::from),
        sort: sort.key().to_string(),
        order: if descending { "desc" } else { "asc" }.to_string(),
        case_studies: out,
    })
}

/// The comparison as CSV, one case study a line, with the marking of each.
pub fn to_csv(c: &Comparison, public_url: &str) -> String {
    let mut out = csv::row(
        &[
            "Title",
            "Marking",
            "Service area",
            "Forces",
            "Suppliers",
            "Contract start",
            "Contract months",
            "Contract value (£)",
            "Annual cost before (£)",
            "Annual cost after (£)",
            "Saving a year (£)",
            "Saving (%)",
            "Basis",
            "Contract terms",
            "Outcomes",
            "Lessons",
            "Contact",
            "Link",
        ]
        .map(csv::cell),
    );
    for s in &c.case_studies {
        out.push_str(&csv::row(&[
            csv::cell(&s.title),
            csv::cell(&s.marking),
            csv::cell(&s.service_area.name),
            csv::cell(&s.forces.join("; ")),
            csv::cell(&s.suppliers.join("; ")),
            csv::cell(&s.contract_start.map(|d| d.to_string()).unwrap_or_default()),
            s.contract_months.map(csv::number).unwrap_or_default(),
            csv::number(s.contract_value),
            csv::number(s.annual_cost_before),
            csv::number(s.annual_cost_after),
            csv::number(s.saving.amount),
            csv::number(s.saving.percent),
            csv::cell(&s.saving.basis),
            csv::cell(
                &s.terms
                    .iter()
                    .map(|t| t.label.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            csv::cell(&s.outcomes),
            csv::cell(&s.lessons),
            csv::cell(&s.contact),
            csv::cell(&format!("{public_url}/threads/{}", s.thread_id)),
        ]));
    }
    out
}

/// Documents that may be given as a case study's source: live documents of its space, in its
/// library or attached in its thread (id, title), newest first.
pub async fn source_choices(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
) -> Result<Vec<SourceDocument>, ApiError> {
    let (t, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &space, Action::Read).await?;
    use sea_orm::{Condition, QueryOrder};
    let docs = document::Entity::find()
        .filter(document::Column::SpaceId.eq(t.space_id))
        .filter(
            Condition::any()
                .add(document::Column::ThreadId.is_null())
                .add(document::Column::ThreadId.eq(t.id)),
        )
        .order_by_desc(document::Column::Id)
        .all(&app.db)
        .await?;
    Ok(crate::use_cases::documents::live(&app.db, docs)
        .await?
        .into_iter()
        .map(|d| SourceDocument {
            id: d.id,
            title: d.title,
            marking: d.marking,
        })
        .collect())
}

/// Whether the viewer may change a case study's figures (404 if they may not read it, or it is
/// not a case study; 403 if they may read it but not change it).
pub async fn may_change(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
) -> Result<thread::Model, ApiError> {
    let (t, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &space, Action::Read).await?;
    case_study::Entity::find_by_id(thread_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(
        &app.db,
        viewer,
        &space,
        Action::ChangePost {
            own: t.author_id == viewer.id,
            thread_locked: t.locked,
        },
    )
    .await?;
    Ok(t)
}
