//! Case studies: start one, read one, change its figures, compare them (JSON or CSV), and
//! the managed list of service areas.
use crate::auth::Viewer;
use crate::case_studies::CaseStudyInput;
use crate::domain::Marking;
use crate::error::{ApiError, ErrorBody};
use crate::routes::id_from_path;
use crate::routes::json_body::JsonBody;
use crate::routes::threads::ThreadCreated;
use crate::state::AppState;
use crate::use_cases::case_studies::{self, AreaView, CaseStudyView, CompareQuery, Comparison};
use crate::use_cases::threads::NewThreadRequest;
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCaseStudy {
    #[schema(schema_with = super::openapi::fields::title)]
    pub title: String,
    /// The story in Markdown: what was done and why.
    #[schema(schema_with = super::openapi::fields::post_body)]
    pub body: String,
    #[serde(default)]
    #[schema(schema_with = super::openapi::fields::thread_tags)]
    pub tags: Vec<String>,
    /// `OFFICIAL` (default) or `OFFICIAL-SENSITIVE`.
    #[schema(schema_with = super::openapi::fields::marking_or_null)]
    #[serde(default)]
    pub marking: Option<Marking>,
    pub case_study: CaseStudyInput,
}

/// Starts a case study: a thread whose opening post tells the story, with its figures.
#[utoipa::path(post, path = "/api/v1/spaces/{slug}/case-studies", tag = "case studies",
    request_body = StartCaseStudy,
    params(("slug" = String, Path, description = "The space's slug")),
    responses((status = 201, body = ThreadCreated, description = "Started",
            headers(("Location" = String, description = "`/api/v1/case-studies/{id}`"))),
        (status = 400, body = ErrorBody, description = "The body cannot be read, or an unknown `marking`"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read but not post here, or the space is archived"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field breaks a rule (the answer names it), or the service area is not on the list")))]
#[post("/spaces/{slug}/case-studies")]
pub async fn start(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    body: JsonBody<StartCaseStudy>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewThreadRequest {
        title: body.title,
        body: body.body,
        tags: body.tags,
        marking: body.marking.unwrap_or_default(),
    };
    let started = case_studies::create(&state, &viewer, &slug, new, body.case_study).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/case-studies/{}", started.thread_id),
        ))
        .json(ThreadCreated {
            id: started.thread_id,
            post_id: started.post_id,
            space: started.space_slug,
        }))
}

/// A case study's figures (its discussion is `GET /api/v1/threads/{id}`).
#[utoipa::path(get, path = "/api/v1/case-studies/{id}", tag = "case studies",
    params(("id" = i32, Path, minimum = 1, description = "The case study's thread id")),
    responses((status = 200, body = CaseStudyView),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such case study, or you may not read it")))]
#[get("/case-studies/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = case_studies::show(&state, &viewer, id_from_path(&id)?).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replaces a case study's figures: its author (while they may post) or an admin.
#[utoipa::path(put, path = "/api/v1/case-studies/{id}", tag = "case studies",
    request_body = CaseStudyInput,
    params(("id" = i32, Path, minimum = 1, description = "The case study's thread id")),
    responses((status = 200, body = CaseStudyView, description = "Changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read it but not change it"),
        (status = 404, body = ErrorBody, description = "No such case study, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field breaks a rule (the answer names it)")))]
#[put("/case-studies/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<CaseStudyInput>,
) -> Result<HttpResponse, ApiError> {
    let view = case_studies::update(&state, &viewer, id_from_path(&id)?, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// What a comparison may be sorted by (for the document; the use case checks it).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SortParam {
    Saving,
    SavingAmount,
    Value,
    Before,
    After,
    Start,
    Title,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OrderParam {
    Asc,
    Desc,
}

/// The contract terms a case study may list.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TermParam {
    BenchmarkingClause,
    OpenBook,
    GainShare,
    JointVenture,
    FixedPrice,
    ServiceCredits,
    BreakClause,
    CollaborationAgreement,
}

/// What a comparison is narrowed and ordered by.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// A service area's slug; all areas when absent.
    pub area: Option<String>,
    /// Part of a supplier's name.
    pub supplier: Option<String>,
    /// Part of a force's name.
    pub force: Option<String>,
    /// A contract-term key (`benchmarking_clause`, `open_book`, …).
    #[param(value_type = Option<TermParam>)]
    pub term: Option<String>,
    /// Saving (percent) at least this.
    pub min_saving: Option<f64>,
    pub max_saving: Option<f64>,
    /// Contract value (pounds) at least this.
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    /// `saving` (default), `saving_amount`, `value`, `before`, `after`, `start` or `title`.
    #[param(value_type = Option<SortParam>)]
    pub sort: Option<String>,
    /// `asc` or `desc`.
    #[param(value_type = Option<OrderParam>)]
    pub order: Option<String>,
}

impl From<CompareParams> for CompareQuery {
    fn from(p: CompareParams) -> Self {
        CompareQuery {
            area: p.area,
            supplier: p.supplier.filter(|s| !s.trim().is_empty()),
            force: p.force.filter(|s| !s.trim().is_empty()),
            term: p.term.filter(|s| !s.is_empty()),
            min_saving: p.min_saving,
            max_saving: p.max_saving,
            min_value: p.min_value,
            max_value: p.max_value,
            sort: p.sort.filter(|s| !s.is_empty()),
            order: p.order.filter(|s| !s.is_empty()),
        }
    }
}

/// Case studies side by side: those the viewer may read, filtered and sorted.
#[utoipa::path(get, path = "/api/v1/case-studies", tag = "case studies", params(CompareParams),
    responses((status = 200, body = Comparison),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 422, body = ErrorBody, description = "An unknown `area`, `term`, `sort` or `order`")))]
#[get("/case-studies")]
pub async fn compare(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<CompareParams>,
) -> Result<HttpResponse, ApiError> {
    let found = case_studies::compare(&state, &viewer, params.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// The comparison as a CSV file (one case study a line, with its marking), for a spreadsheet.
/// Cells that a spreadsheet would run as a formula are prefixed with `'`.
#[utoipa::path(get, path = "/api/v1/case-studies.csv", tag = "case studies", params(CompareParams),
    responses((status = 200, description = "CSV, a header line then one line per case study", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 422, body = ErrorBody, description = "An unknown `area`, `term`, `sort` or `order`")))]
#[get("/case-studies.csv")]
pub async fn export(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<CompareParams>,
) -> Result<HttpResponse, ApiError> {
    let found = case_studies::compare(&state, &viewer, params.into_inner().into()).await?;
    Ok(csv_response(&found, state.settings.public_url()))
}

/// The CSV answer (also used by the comparison page's export link).
pub fn csv_response(found: &Comparison, public_url: &str) -> HttpResponse {
    let name = match &found.area {
        Some(a) => format!("case-studies-{}.csv", a.slug),
        None => "case-studies.csv".to_string(),
    };
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(case_studies::to_csv(found, public_url))
}

/// The managed list of service areas a case study may belong to.
#[utoipa::path(get, path = "/api/v1/service-areas", tag = "case studies",
    responses((status = 200, body = Vec<AreaView>),
        (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/service-areas")]
pub async fn areas(state: web::Data<AppState>, _viewer: Viewer) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(case_studies::areas(&state).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArea {
    /// Lower-case letters, digits and hyphens.
    #[schema(max_length = 60)]
    pub slug: String,
    #[schema(max_length = 80)]
    pub name: String,
}

/// Adds a service area to the list (admins; audited).
#[utoipa::path(post, path = "/api/v1/service-areas", tag = "case studies", request_body = NewArea,
    responses((status = 201, body = AreaView, description = "Added"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Only an admin may add service areas"),
        (status = 409, body = ErrorBody, description = "There is already a service area with this slug"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`slug` or `name` breaks a rule")))]
#[post("/service-areas")]
pub async fn add_area(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<NewArea>,
) -> Result<HttpResponse, ApiError> {
    let added = case_studies::add_area(&state, &viewer, &body.slug, &body.name).await?;
    Ok(HttpResponse::Created().json(added))
}
