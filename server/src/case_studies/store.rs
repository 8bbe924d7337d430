//! Case-study rows: write one, read some, and the managed list of service areas.
use super::fields::{CaseStudyFields, Saving};
use crate::db::entities::{case_study, service_area, thread};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

pub async fn service_areas(
    db: &impl ConnectionTrait,
) -> Result<Vec<service_area::Model>, sea_orm::DbErr> {
    service_area::Entity::find()
        .order_by_asc(service_area::Column::Position)
        .order_by_asc(service_area::Column::Id)
        .all(db)
        .await
}

pub async fn area_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<service_area::Model>, sea_orm::DbErr> {
    service_area::Entity::find()
        .filter(service_area::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Adds a service area at the end of the list.
pub async fn add_area(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
) -> Result<service_area::Model, sea_orm::DbErr> {
    let last = service_areas(db).await?.last().map_or(0, |a| a.position);
    service_area::ActiveModel {
        slug: Set(slug.to_string()),
        name: Set(name.to_string()),
        position: Set(last + 10),
        ..Default::default()
    }
    .insert(db)
    .await
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// A JSON list column as written by `write`; anything else reads as empty.
pub fn list(column: &str) -> Vec<String> {
    serde_json::from_str(column).unwrap_or_default()
}

/// Writes (creates or replaces) the case study of `thread_id`, with its saving computed.
pub async fn write(
    db: &impl ConnectionTrait,
    thread_id: i32,
    area_id: i32,
    f: &CaseStudyFields,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let saving = Saving::compute(f.annual_cost_before, f.annual_cost_after);
    let row = case_study::ActiveModel {
        thread_id: Set(thread_id),
        service_area_id: Set(area_id),
        forces: Set(json(&f.forces)),
        suppliers: Set(json(&f.suppliers)),
        terms: Set(json(&f.terms)),
        contract_start: Set(f.contract_start),
        contract_months: Set(f.contract_months),
        contract_value: Set(f.contract_value),
        annual_cost_before: Set(f.annual_cost_before),
        annual_cost_after: Set(f.annual_cost_after),
        saving_amount: Set(saving.amount),
        saving_percent: Set(saving.percent),
        outcomes: Set(f.outcomes.clone()),
        lessons: Set(f.lessons.clone()),
        contact: Set(f.contact.clone()),
        source_document_id: Set(f.source_document_id),
        updated_at: Set(now),
    };
    case_study::Entity::insert(row)
        .on_conflict(
            OnConflict::column(case_study::Column::ThreadId)
                .update_columns([
                    case_study::Column::ServiceAreaId,
                    case_study::Column::Forces,
                    case_study::Column::Suppliers,
                    case_study::Column::Terms,
                    case_study::Column::ContractStart,
                    case_study::Column::ContractMonths,
                    case_study::Column::ContractValue,
                    case_study::Column::AnnualCostBefore,
                    case_study::Column::AnnualCostAfter,
                    case_study::Column::SavingAmount,
                    case_study::Column::SavingPercent,
                    case_study::Column::Outcomes,
                    case_study::Column::Lessons,
                    case_study::Column::Contact,
                    case_study::Column::SourceDocumentId,
                    case_study::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn of_threads(
    db: &impl ConnectionTrait,
    thread_ids: &[i32],
) -> Result<HashMap<i32, case_study::Model>, sea_orm::DbErr> {
    let mut out = HashMap::new();
    for chunk in thread_ids.chunks(500) {
        for row in case_study::Entity::find()
            .filter(case_study::Column::ThreadId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(row.thread_id, row);
        }
    }
    Ok(out)
}

/// Case studies whose threads are in `space_ids`, of one service area or all.
pub async fn in_spaces(
    db: &impl ConnectionTrait,
    space_ids: &[i32],
    area_id: Option<i32>,
) -> Result<Vec<(case_study::Model, thread::Model)>, sea_orm::DbErr> {
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Only the case studies of these spaces' threads are read at all.
    let in_these_spaces = sea_orm::sea_query::Query::select()
        .column(thread::Column::Id)
        .from(thread::Entity)
        .and_where(thread::Column::SpaceId.is_in(space_ids.to_vec()))
        .to_owned();
    let mut query = case_study::Entity::find()
        .filter(case_study::Column::ThreadId.in_subquery(in_these_spaces));
    if let Some(a) = area_id {
        query = query.filter(case_study::Column::ServiceAreaId.eq(a));
    }
    let rows = query.all(db).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.thread_id).collect();
    let mut threads: HashMap<i32, thread::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for t in thread::Entity::find()
            .filter(thread::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            threads.insert(t.id, t);
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| threads.remove(&r.thread_id).map(|t| (r, t)))
        .collect())
}
