//! Case-study pages: the comparison (`/case-studies`, sortable and filterable, with a CSV
//! export of the same rows) and the form that starts one in a space. A case study's figures
//! are shown on its thread's page (`threads.rs`).
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::page_marking;
use crate::case_studies::fields::pounds;
use crate::case_studies::{CaseStudyInput, TERMS};
use crate::domain::Marking;
use crate::error::ApiError;
use crate::routes::case_studies::{csv_response, CompareParams};
use crate::state::AppState;
use crate::use_cases::case_studies::{self, AreaView, CaseStudyView, CompareQuery, SourceDocument};
use crate::use_cases::threads::NewThreadRequest;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

pub struct Row {
    pub href: String,
    pub title: String,
    pub sensitive: bool,
    /// The figures' source document, whose title the row shows, is OFFICIAL-SENSITIVE.
    pub source_sensitive: bool,
    pub marking: String,
    pub area: String,
    pub forces: String,
    pub suppliers: String,
    pub start: String,
    pub value: String,
    pub before: String,
    pub after: String,
    pub saving_percent: String,
    pub saving_amount: String,
    pub basis: String,
    pub terms: String,
    pub source: Option<(String, String)>,
}

/// A column heading that sorts: its label, the link, and `aria-sort` when it is the order.
pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub aria_sort: &'static str,
    pub numeric: bool,
}

#[derive(Template)]
#[template(path = "pages/case_studies.html")]
struct ComparisonPage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    areas: Vec<AreaView>,
    terms: Vec<(&'static str, &'static str)>,
    area: String,
    area_name: Option<String>,
    supplier: String,
    force: String,
    term: String,
    min_saving: String,
    max_value: String,
    rows: Vec<Row>,
    headings: Vec<SortLink>,
    csv_href: String,
}

fn row(c: CaseStudyView) -> Row {
    Row {
        href: format!("/threads/{}", c.thread_id),
        sensitive: c.marking != "OFFICIAL",
        source_sensitive: c
            .source_document
            .as_ref()
            .is_some_and(|d| d.marking != "OFFICIAL"),
        marking: c.marking,
        title: c.title,
        area: c.service_area.name,
        forces: c.forces.join(", "),
        suppliers: c.suppliers.join(", "),
        start: match (c.contract_start, c.contract_months) {
            (Some(d), Some(m)) => format!("{} for {m} months", d.format("%b %Y")),
            (Some(d), None) => d.format("%b %Y").to_string(),
            (None, Some(m)) => format!("{m} months"),
            (None, None) => String::new(),
        },
        value: pounds(c.contract_value),
        before: pounds(c.annual_cost_before),
        after: pounds(c.annual_cost_after),
        saving_percent: format!("{}%", c.saving.percent),
        saving_amount: pounds(c.saving.amount),
        basis: c.saving.basis,
        terms: c
            .terms
            .iter()
            .map(|t| t.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        source: c
            .source_document
            .map(|d| (format!("/documents/{}", d.id), d.title)),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query string of the filters (without sort), for links that keep them.
fn filters_query(p: &CompareParams) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(&v)));
        }
    };
    push("area", p.area.clone());
    push("supplier", p.supplier.clone());
    push("force", p.force.clone());
    push("term", p.term.clone());
    push("min_saving", p.min_saving.map(|v| v.to_string()));
    push("max_saving", p.max_saving.map(|v| v.to_string()));
    push("min_value", p.min_value.map(|v| v.to_string()));
    push("max_value", p.max_value.map(|v| v.to_string()));
    parts.join("&")
}

/// The comparison's query, read leniently from a page's form: empty boxes are "any", and a
/// number that is not one is a 422 naming the box.
fn page_params(req: &HttpRequest) -> Result<CompareParams, PageError> {
    let raw: Vec<(String, String)> = query(req)?;
    let mut p = CompareParams::default();
    let number = |field: &'static str, v: &str| -> Result<Option<f64>, PageError> {
        let cleaned: String = v
            .chars()
            .filter(|c| !matches!(c, ',' | '£' | '%' | ' '))
            .collect();
        if cleaned.is_empty() {
            return Ok(None);
        }
        cleaned
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::validation(field, format!("{field} must be a number")).into())
    };
    for (k, v) in raw {
        let v = v.trim().to_string();
        match k.as_str() {
            "area" => p.area = Some(v),
            "supplier" => p.supplier = Some(v),
            "force" => p.force = Some(v),
            "term" => p.term = Some(v),
            "sort" => p.sort = Some(v),
            "order" => p.order = Some(v),
            "min_saving" => p.min_saving = number("min_saving", &v)?,
            "max_saving" => p.max_saving = number("max_saving", &v)?,
            "min_value" => p.min_value = number("min_value", &v)?.map(|n| n as i64),
            "max_value" => p.max_value = number("max_value", &v)?.map(|n| n as i64),
            _ => {}
        }
    }
    Ok(p)
}

const COLUMNS: &[(&str, &str, bool)] = &[
    ("title", "Case study", false),
    ("start", "Contract", false),
    ("value", "Contract value", true),
    ("before", "Cost a year before", true),
    ("after", "Cost a year after", true),
    ("saving", "Saving", true),
];

#[get("/case-studies")]
pub async fn compare(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let params = page_params(&req)?;
    let filters = filters_query(&params);
    let found =
        case_studies::compare(&state, &who.viewer, CompareQuery::from(params.clone())).await?;
    let areas = case_studies::areas(&state).await?;
    let rows: Vec<Row> = found.case_studies.into_iter().map(row).collect();
    let shown: Vec<bool> = rows
        .iter()
        .map(|r| r.sensitive || r.source_sensitive)
        .collect();
    let (marking, sensitive) = page_marking(shown.iter());
    let sep = if filters.is_empty() { "" } else { "&" };
    let headings = COLUMNS
        .iter()
        .map(|(key, label, numeric)| {
            let current = found.sort == *key;
            // The current column flips; another starts with its natural order.
            let next_order = match (current, found.order.as_str(), *numeric) {
                (true, "desc", _) | (false, _, false) => "asc",
                _ => "desc",
            };
            SortLink {
                label,
                href: format!("/case-studies?{filters}{sep}sort={key}&order={next_order}#results"),
                aria_sort: match (current, found.order.as_str()) {
                    (false, _) => "none",
                    (true, "asc") => "ascending",
                    (true, _) => "descending",
                },
                numeric: *numeric,
            }
        })
        .collect();
    let csv_href = format!(
        "/case-studies.csv?{filters}{sep}sort={}&order={}",
        found.sort, found.order
    );
    render::page(
        &state,
        &ComparisonPage {
            chrome: who.chrome,
            marking,
            sensitive,
            area_name: found.area.map(|a| a.name),
            areas,
            terms: TERMS.to_vec(),
            area: params.area.unwrap_or_default(),
            supplier: params.supplier.unwrap_or_default(),
            force: params.force.unwrap_or_default(),
            term: params.term.unwrap_or_default(),
            min_saving: params.min_saving.map(|v| v.to_string()).unwrap_or_default(),
            max_value: params.max_value.map(|v| v.to_string()).unwrap_or_default(),
            rows,
            headings,
            csv_href,
        },
    )
}

/// The comparison as CSV, for the page's download link (signed in by cookie).
#[get("/case-studies.csv")]
pub async fn export(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let params = page_params(&req)?;
    let found = case_studies::compare(&state, &who.viewer, params.into()).await?;
    Ok(csv_response(&found, state.settings.public_url()))
}

/// What was typed into the new case study form, kept when it comes back with a problem.
#[derive(Default)]
pub struct Typed {
    pub title: String,
    pub body: String,
    pub marking: String,
    pub area: String,
    pub forces: String,
    pub suppliers: String,
    pub contract_start: String,
    pub contract_months: String,
    pub contract_value: String,
    pub before: String,
    pub after: String,
    pub terms: Vec<String>,
    pub outcomes: String,
    pub lessons: String,
    pub contact: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "pages/new_case_study.html")]
struct NewCaseStudyPage {
    chrome: Chrome,
    space_slug: String,
    space_name: String,
    areas: Vec<AreaView>,
    terms: Vec<(&'static str, &'static str)>,
    f: Typed,
    errors: FormErrors,
    /// Changing an existing case study's figures: (thread id, its title, the documents that
    /// may be its source).
    editing: Option<(i32, String, Vec<SourceDocument>)>,
    /// The page's marking when it shows an existing case study (and its documents' titles).
    marking: String,
    sensitive: bool,
}

async fn form_page(
    state: &AppState,
    who: SignedIn,
    slug: &str,
    f: Typed,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let space = crate::use_cases::threads::space_for_new_thread(state, &who.viewer, slug).await?;
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &NewCaseStudyPage {
            chrome: who.chrome,
            space_slug: space.slug,
            space_name: space.name,
            areas: case_studies::areas(state).await?,
            terms: TERMS.to_vec(),
            f,
            errors,
            editing: None,
            marking: "OFFICIAL".into(),
            sensitive: false,
        },
    )
}

#[get("/spaces/{slug}/case-studies/new")]
pub async fn new_form(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let typed = Typed {
        marking: "OFFICIAL".into(),
        ..Typed::default()
    };
    form_page(&state, who, &slug, typed, FormErrors::default()).await
}

/// Whole pounds from a box ("1,200,000", "£450000"); empty is 0 where 0 is allowed.
fn money(field: &str, v: &str, errors: &mut FormErrors) -> i64 {
    let cleaned: String = v
        .chars()
        .filter(|c| !matches!(c, ',' | '£' | ' '))
        .collect();
    if cleaned.is_empty() {
        return 0;
    }
    cleaned.parse::<i64>().unwrap_or_else(|_| {
        errors.add(field, "Give whole pounds, for example 1,200,000");
        0
    })
}

fn list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[post("/spaces/{slug}/case-studies/new")]
pub async fn create(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let typed = typed_from(&fields);
    let (input, mut errors) = input_from(&typed);
    let marking = typed.marking.parse::<Marking>().unwrap_or_else(|_| {
        errors.add("marking", "Choose OFFICIAL or OFFICIAL-SENSITIVE");
        Marking::Official
    });
    if !errors.is_empty() {
        return form_page(&state, who, &slug, typed, errors).await;
    }
    let new = NewThreadRequest {
        title: typed.title.clone(),
        body: typed.body.clone(),
        tags: Vec::new(),
        marking,
    };
    match case_studies::create(&state, &who.viewer, &slug, new, input).await {
        Ok(started) => Ok(see_other(&format!("/threads/{}", started.thread_id))),
        Err(e) => match FormErrors::from_api(&e, FIELD_IDS) {
            Some(errors) => form_page(&state, who, &slug, typed, errors).await,
            None => Err(e.into()),
        },
    }
}

const FIELD_IDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("body", "body"),
    ("marking", "marking"),
    ("service_area", "service_area"),
    ("forces", "forces"),
    ("suppliers", "suppliers"),
    ("contract_start", "contract_start"),
    ("contract_months", "contract_months"),
    ("contract_value", "contract_value"),
    ("annual_cost_before", "annual_cost_before"),
    ("annual_cost_after", "annual_cost_after"),
    ("terms", "terms"),
    ("outcomes", "outcomes"),
    ("lessons", "lessons"),
    ("contact", "contact"),
    ("source_document_id", "source_document_id"),
];

fn typed_from(fields: &super::form::Fields) -> Typed {
    Typed {
        title: fields.get("title").to_string(),
        body: fields.get("body").to_string(),
        marking: fields.get("marking").to_string(),
        area: fields.get("service_area").to_string(),
        forces: fields.get("forces").to_string(),
        suppliers: fields.get("suppliers").to_string(),
        contract_start: fields.get("contract_start").to_string(),
        contract_months: fields.get("contract_months").to_string(),
        contract_value: fields.get("contract_value").to_string(),
        before: fields.get("annual_cost_before").to_string(),
        after: fields.get("annual_cost_after").to_string(),
        terms: fields.all("terms").into_iter().map(String::from).collect(),
        outcomes: fields.get("outcomes").to_string(),
        lessons: fields.get("lessons").to_string(),
        contact: fields.get("contact").to_string(),
        source: fields.get("source_document_id").to_string(),
    }
}

/// The case study's fields from what was typed, with the problems only the page can find
/// (a sum or a length that is not a number).
fn input_from(typed: &Typed) -> (CaseStudyInput, FormErrors) {
    let mut errors = FormErrors::default();
    let contract_months = match typed.contract_months.trim() {
        "" => None,
        m => m.parse::<i32>().map(Some).unwrap_or_else(|_| {
            errors.add("contract_months", "Give the length in whole months");
            None
        }),
    };
    let source_document_id = match typed.source.trim() {
        "" => None,
        s => s.parse::<i32>().ok(),
    };
    let input = CaseStudyInput {
        service_area: typed.area.clone(),
        forces: list(&typed.forces),
        suppliers: list(&typed.suppliers),
        contract_start: Some(typed.contract_start.clone()),
        contract_months,
        contract_value: money("contract_value", &typed.contract_value, &mut errors),
        annual_cost_before: money("annual_cost_before", &typed.before, &mut errors),
        annual_cost_after: money("annual_cost_after", &typed.after, &mut errors),
        terms: typed.terms.clone(),
        outcomes: typed.outcomes.clone(),
        lessons: typed.lessons.clone(),
        contact: typed.contact.clone(),
        source_document_id,
    };
    (input, errors)
}

async fn edit_page(
    state: &AppState,
    who: SignedIn,
    thread_id: i32,
    f: Typed,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let current = case_studies::show(state, &who.viewer, thread_id).await?;
    let sources = case_studies::source_choices(state, &who.viewer, thread_id).await?;
    let status = errors.status();
    let shown: Vec<bool> = std::iter::once(current.marking != "OFFICIAL")
        .chain(sources.iter().map(|d| d.marking != "OFFICIAL"))
        .collect();
    let (marking, sensitive) = page_marking(shown.iter());
    let space = crate::spaces::find_by_slug(&state.db, &current.space).await?;
    render::page_with_status(
        state,
        status,
        &NewCaseStudyPage {
            chrome: who.chrome,
            space_slug: current.space.clone(),
            space_name: space.map_or(current.space, |s| s.name),
            marking,
            sensitive,
            areas: case_studies::areas(state).await?,
            terms: TERMS.to_vec(),
            f,
            errors,
            editing: Some((thread_id, current.title, sources)),
        },
    )
}

#[get("/threads/{id}/case-study")]
pub async fn edit_form(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let thread_id = crate::routes::id_from_path(&id)?;
    case_studies::may_change(&state, &who.viewer, thread_id).await?;
    let c = case_studies::show(&state, &who.viewer, thread_id).await?;
    let typed = Typed {
        marking: c.marking.clone(),
        area: c.service_area.slug.clone(),
        forces: c.forces.join(", "),
        suppliers: c.suppliers.join(", "),
        contract_start: c.contract_start.map(|d| d.to_string()).unwrap_or_default(),
        contract_months: c.contract_months.map(|m| m.to_string()).unwrap_or_default(),
        contract_value: c.contract_value.to_string(),
        before: c.annual_cost_before.to_string(),
        after: c.annual_cost_after.to_string(),
        terms: c.terms.iter().map(|t| t.key.clone()).collect(),
        outcomes: c.outcomes.clone(),
        lessons: c.lessons.clone(),
        contact: c.contact.clone(),
        source: c
            .source_document
            .as_ref()
            .map(|d| d.id.to_string())
            .unwrap_or_default(),
        ..Typed::default()
    };
    edit_page(&state, who, thread_id, typed, FormErrors::default()).await
}

#[post("/threads/{id}/case-study")]
pub async fn save(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let thread_id = crate::routes::id_from_path(&id)?;
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let typed = typed_from(&fields);
    let (input, errors) = input_from(&typed);
    if !errors.is_empty() {
        return edit_page(&state, who, thread_id, typed, errors).await;
    }
    match case_studies::update(&state, &who.viewer, thread_id, input).await {
        Ok(_) => Ok(see_other(&format!("/threads/{thread_id}?done=figures"))),
        Err(e) => match FormErrors::from_api(&e, FIELD_IDS) {
            Some(errors) => edit_page(&state, who, thread_id, typed, errors).await,
            None => Err(e.into()),
        },
    }
}
