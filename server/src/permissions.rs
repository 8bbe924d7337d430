//! The one place that decides who may read or post where. Every channel (API, pages, search,
//! digests) asks `decide`; nothing else makes such decisions.
//!
//! Reading a space: the user is enabled, their role is in the space's read roles, and where the
//! space has a member list they are on it (the list narrows, never widens). Posting needs the
//! same with the post roles, the space not archived and the thread not locked. Admins read and
//! moderate everywhere; they may post where the space is not archived (locked threads too).
use crate::auth::Viewer;
use crate::db::entities::{space, space_member};
use crate::domain::{Role, RoleSet};
use crate::error::ApiError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// What the permission rule needs to know about a space, for one viewer.
#[derive(Debug, Clone)]
pub struct SpaceAccess {
    pub read_roles: RoleSet,
    pub post_roles: RoleSet,
    pub members_only: bool,
    pub viewer_is_member: bool,
    pub archived: bool,
}

/// Who is asking, reduced to what the rule reads.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub user_id: i32,
    pub role: Role,
    pub disabled: bool,
}

impl From<&Viewer> for Subject {
    fn from(v: &Viewer) -> Self {
        Subject {
            user_id: v.id,
            role: v.role,
            disabled: false,
        }
    }
}

impl Subject {
    /// The subject for a stored account (mail built for them, not a request of theirs).
    pub fn of_account(account: &crate::db::entities::user::Model) -> Result<Self, ApiError> {
        Ok(Subject {
            user_id: account.id,
            role: account.role.parse().map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("user {} has a bad role: {e}", account.id))
            })?,
            disabled: account.disabled,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the space, its threads and posts.
    Read,
    /// Start a thread in the space.
    StartThread,
    /// Reply in a thread.
    Reply { thread_locked: bool },
    /// Edit or delete a post (`own`: the viewer wrote it).
    ChangePost { own: bool, thread_locked: bool },
    /// Pin, lock, endorse, or change any thread's settings.
    Moderate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Allowed only because the viewer is an admin outside the audience: audit the read.
    AllowAsAdmin,
    /// Readable, but not this action: 403 with the reason.
    Forbidden(&'static str),
    /// Not readable: 404, exactly as if it did not exist.
    Hidden,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow | Decision::AllowAsAdmin)
    }

    /// The HTTP answer for a refusal; `Ok` carries whether an admin read must be audited.
    pub fn into_result(self) -> Result<bool, ApiError> {
        match self {
            Decision::Allow => Ok(false),
            Decision::AllowAsAdmin => Ok(true),
            Decision::Forbidden(why) => Err(ApiError::Forbidden(why.to_string())),
            Decision::Hidden => Err(ApiError::not_found()),
        }
    }
}

fn in_audience(subject: &Subject, roles: &RoleSet, space: &SpaceAccess) -> bool {
    roles.contains(subject.role) && (!space.members_only || space.viewer_is_member)
}

/// The rule. Pure: everything it needs is in its arguments.
pub fn decide(subject: &Subject, space: &SpaceAccess, action: Action) -> Decision {
    if subject.disabled {
        return Decision::Hidden;
    }
    let admin = subject.role == Role::Admin;
    let reader = in_audience(subject, &space.read_roles, space);
    if !reader && !admin {
        return Decision::Hidden;
    }
    let poster = reader && in_audience(subject, &space.post_roles, space);
    match action {
        Action::Read if reader => Decision::Allow,
        Action::Read => Decision::AllowAsAdmin,
        _ if space.archived
            && !(admin && matches!(action, Action::ChangePost { .. } | Action::Moderate)) =>
        {
            Decision::Forbidden("this space is archived: it can be read but not changed")
        }
        Action::StartThread if poster || admin => Decision::Allow,
        Action::StartThread => Decision::Forbidden("you may read this space but not post in it"),
        Action::Reply { .. } if !(poster || admin) => {
            Decision::Forbidden("you may read this space but not post in it")
        }
        Action::Reply {
            thread_locked: true,
        } if !admin => Decision::Forbidden("this thread is locked"),
        Action::Reply { .. } => Decision::Allow,
        Action::ChangePost { .. } if admin => Decision::Allow,
        Action::ChangePost { own: false, .. } => {
            Decision::Forbidden("only the author or a moderator may change this post")
        }
        Action::ChangePost { .. } if !poster => {
            Decision::Forbidden("you may read this space but not post in it")
        }
        Action::ChangePost {
            thread_locked: true,
            ..
        } => Decision::Forbidden("this thread is locked"),
        Action::ChangePost { .. } => Decision::Allow,
        Action::Moderate if admin => Decision::Allow,
        Action::Moderate => Decision::Forbidden("only a moderator may do this"),
    }
}

/// Builds a `SpaceAccess` for one viewer, looking up membership only where it matters.
pub async fn load_access(
    db: &impl ConnectionTrait,
    subject: &Subject,
    space: &space::Model,
) -> Result<SpaceAccess, ApiError> {
    let viewer_is_member = if space.members_only {
        space_member::Entity::find_by_id((space.id, subject.user_id))
            .one(db)
            .await?
            .is_some()
    } else {
        false
    };
    access_from(space, viewer_is_member)
}

/// The ids of the member-list spaces the viewer is on.
pub async fn memberships(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<i32>, ApiError> {
    Ok(space_member::Entity::find()
        .filter(space_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.space_id)
        .collect())
}

pub fn access_from(space: &space::Model, viewer_is_member: bool) -> Result<SpaceAccess, ApiError> {
    let parse = |raw: &str| {
        RoleSet::parse(raw)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("space {} roles: {e}", space.id)))
    };
    Ok(SpaceAccess {
        read_roles: parse(&space.read_roles)?,
        post_roles: parse(&space.post_roles)?,
        members_only: space.members_only,
        viewer_is_member,
        archived: space.archived,
    })
}

/// A space the viewer may read, with their access to it and whether they read it only as an
/// admin outside its audience.
pub struct Readable {
    pub space: space::Model,
    pub access: SpaceAccess,
    pub as_admin: bool,
}

/// Every space `subject` may read, in name order. Two queries, whatever the number of spaces.
pub async fn readable_spaces(
    db: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<Vec<Readable>, ApiError> {
    let member_of = memberships(db, subject.user_id).await?;
    readable_among(subject, crate::spaces::all(db).await?, &member_of)
}

/// The spaces among `spaces` that `subject` may read, given the member lists they are on.
pub fn readable_among(
    subject: &Subject,
    spaces: Vec<space::Model>,
    member_of: &[i32],
) -> Result<Vec<Readable>, ApiError> {
    let mut out = Vec::new();
    for s in spaces {
        let access = access_from(&s, member_of.contains(&s.id))?;
        let as_admin = match decide(subject, &access, Action::Read) {
            Decision::Allow => false,
            Decision::AllowAsAdmin => true,
            _ => continue,
        };
        out.push(Readable {
            space: s,
            access,
            as_admin,
        });
    }
    Ok(out)
}

/// Loads the viewer's access to `space`, applies `decide`, and records an admin's read
/// outside the audience in the audit log. The refusal is the HTTP answer (404 or 403).
pub async fn check(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    space: &space::Model,
    action: Action,
) -> Result<SpaceAccess, ApiError> {
    let subject = Subject::from(viewer);
    let access = load_access(db, &subject, space).await?;
    let audit_read = decide(&subject, &access, action).into_result()?;
    if audit_read {
        crate::audit::record(
            db,
            crate::audit::AuditEntry {
                actor_id: Some(viewer.id),
                action: "admin.read",
                target_type: "space",
                target_id: Some(space.id),
                detail: serde_json::json!({"space": space.slug}),
            },
            chrono::Utc::now(),
        )
        .await?;
    }
    Ok(access)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;

    fn space(
        read: &str,
        post: &str,
        members_only: bool,
        member: bool,
        archived: bool,
    ) -> SpaceAccess {
        SpaceAccess {
            read_roles: RoleSet::parse(read).unwrap(),
            post_roles: RoleSet::parse(post).unwrap(),
            members_only,
            viewer_is_member: member,
            archived,
        }
    }

    fn who(role: Role) -> Subject {
        Subject {
            user_id: 1,
            role,
            disabled: false,
        }
    }

    #[test]
    fn member_list_narrows() {
        let s = space("pcc,staff", "pcc", true, false, false);
        assert_eq!(decide(&who(Role::Pcc), &s, Action::Read), Hidden);
        let s = space("pcc,staff", "pcc", true, true, false);
        assert_eq!(decide(&who(Role::Pcc), &s, Action::Read), Allow);
        assert_eq!(
            decide(&who(Role::Supplier), &s, Action::Read),
            Hidden,
            "list never widens"
        );
        assert!(matches!(
            decide(&who(Role::Staff), &s, Action::StartThread),
            Forbidden(_)
        ));
    }

    #[test]
    fn admins_read_everywhere_and_are_audited() {
        let s = space("pcc", "pcc", true, false, false);
        assert_eq!(decide(&who(Role::Admin), &s, Action::Read), AllowAsAdmin);
        assert_eq!(decide(&who(Role::Admin), &s, Action::Moderate), Allow);
    }

    #[test]
    fn archived_and_locked() {
        let s = space("staff", "staff", false, false, true);
        assert_eq!(decide(&who(Role::Staff), &s, Action::Read), Allow);
        assert!(matches!(
            decide(&who(Role::Staff), &s, Action::StartThread),
            Forbidden(_)
        ));
        assert!(matches!(
            decide(&who(Role::Admin), &s, Action::StartThread),
            Forbidden(_)
        ));
        let open = space("staff", "staff", false, false, false);
        let reply = Action::Reply {
            thread_locked: true,
        };
        assert!(matches!(
            decide(&who(Role::Staff), &open, reply),
            Forbidden(_)
        ));
        assert_eq!(decide(&who(Role::Admin), &open, reply), Allow);
    }

    #[test]
    fn disabled_sees_nothing() {
        let s = space("staff", "staff", false, false, false);
        let subject = Subject {
            user_id: 1,
            role: Role::Staff,
            disabled: true,
        };
        assert_eq!(decide(&subject, &s, Action::Read), Hidden);
    }

    #[test]
    fn only_authors_change_their_posts() {
        let s = space("staff,pcc", "staff,pcc", false, false, false);
        let other = Action::ChangePost {
            own: false,
            thread_locked: false,
        };
        let own = Action::ChangePost {
            own: true,
            thread_locked: false,
        };
        assert!(matches!(decide(&who(Role::Staff), &s, other), Forbidden(_)));
        assert_eq!(decide(&who(Role::Staff), &s, own), Allow);
    }
}
