//! Spaces and their audiences: the steps shared by the API, the CLI and the demo seed.
use crate::accounts::find_user;
use crate::db::entities::{space, space_member};
use crate::domain::{Email, RoleSet, Slug};
use crate::outbox::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    #[error("a space with slug {0} already exists")]
    Exists(String),
    #[error("no user with email {0} (members must have accounts)")]
    UnknownMember(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

pub struct NewSpace {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub read_roles: RoleSet,
    pub post_roles: RoleSet,
    /// `Some` makes the space a private working group with exactly these members.
    pub members: Option<Vec<Email>>,
    pub archived: bool,
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<space::Model>, sea_orm::DbErr> {
    space::Entity::find()
        .filter(space::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<space::Model>, sea_orm::DbErr> {
    space::Entity::find()
        .order_by_asc(space::Column::Name)
        .all(db)
        .await
}

/// `all`, from this process's cache (forgotten on any change to any space).
pub async fn all_cached(
    caches: &crate::cache::Caches,
    db: &impl ConnectionTrait,
) -> Result<std::sync::Arc<Vec<space::Model>>, sea_orm::DbErr> {
    caches
        .spaces
        .get_or_load((), async { Ok(std::sync::Arc::new(all(db).await?)) })
        .await
}

fn check_name(name: &str) -> Result<String, SpaceError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 120 {
        return Err(SpaceError::Invalid {
            field: "name",
            message: "space name must be 1 to 120 characters".into(),
        });
    }
    Ok(n.to_string())
}

pub async fn add(
    db: &impl ConnectionTrait,
    new: NewSpace,
    now: DateTime<Utc>,
) -> Result<space::Model, SpaceError> {
    if find_by_slug(db, new.slug.as_ref()).await?.is_some() {
        return Err(SpaceError::Exists(new.slug.to_string()));
    }
    if new.read_roles.roles().is_empty() {
        return Err(SpaceError::Invalid {
            field: "read_roles",
            message: "a space needs at least one read role".into(),
        });
    }
    let created = space::ActiveModel {
        slug: Set(new.slug.to_string()),
        name: Set(check_name(&new.name)?),
        description: Set(new.description.trim().to_string()),
        read_roles: Set(new.read_roles.to_string()),
        post_roles: Set(new.post_roles.to_string()),
        members_only: Set(new.members.is_some()),
        archived: Set(new.archived),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if let Some(members) = &new.members {
        set_members(db, created.id, members).await?;
    }
    outbox::record(db, Change::Space(created.id), now).await?;
    Ok(created)
}

pub async fn set_members(
    db: &impl ConnectionTrait,
    space_id: i32,
    members: &[Email],
) -> Result<(), SpaceError> {
    let mut ids = Vec::with_capacity(members.len());
    for email in members {
        let found = find_user(db, email)
            .await?
            .ok_or_else(|| SpaceError::UnknownMember(email.to_string()))?;
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    space_member::Entity::delete_many()
        .filter(space_member::Column::SpaceId.eq(space_id))
        .exec(db)
        .await?;
    if !ids.is_empty() {
        space_member::Entity::insert_many(ids.into_iter().map(|user_id| {
            space_member::ActiveModel {
                space_id: Set(space_id),
                user_id: Set(user_id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Changes to a space; `None` leaves a field as it is. `members: Some(None)` removes the
/// member list (the space is then open to its roles).
#[derive(Default)]
pub struct SpaceChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub read_roles: Option<RoleSet>,
    pub post_roles: Option<RoleSet>,
    pub members: Option<Option<Vec<Email>>>,
    pub archived: Option<bool>,
}

pub async fn change(
    db: &impl ConnectionTrait,
    existing: space::Model,
    changes: SpaceChanges,
    now: DateTime<Utc>,
) -> Result<space::Model, SpaceError> {
    let id = existing.id;
    let mut active: space::ActiveModel = existing.into();
    if let Some(name) = changes.name {
        active.name = Set(check_name(&name)?);
    }
    if let Some(d) = changes.description {
        active.description = Set(d.trim().to_string());
    }
    if let Some(r) = changes.read_roles {
        if r.roles().is_empty() {
            return Err(SpaceError::Invalid {
                field: "read_roles",
                message: "a space needs at least one read role".into(),
            });
        }
        active.read_roles = Set(r.to_string());
    }
    if let Some(r) = changes.post_roles {
        active.post_roles = Set(r.to_string());
    }
    if let Some(a) = changes.archived {
        active.archived = Set(a);
    }
    if let Some(members) = &changes.members {
        active.members_only = Set(members.is_some());
        set_members(db, id, members.as_deref().unwrap_or_default()).await?;
    }
    let updated = active.update(db).await?;
    outbox::record(db, Change::Space(id), now).await?;
    Ok(updated)
}
