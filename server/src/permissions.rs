//! The one place that decides who may read or post where. Every channel (API, pages, search,
//! digests) asks `decide`; nothing else makes such decisions.
//!
//! Reading a space: the user is enabled, their role is in the space's read roles, and where the
//! space has a member list they are on it (the list narrows, never widens). Posting needs the
//! same with the post roles, the space not archived and the thread not locked. Admins read and
//! moderate everywhere; they may post where the space is not archived (locked threads too).
use crate::auth::Viewer;
use crate::db::entities::{space, space_member};
use crate::domain::{OrgKind, Role, RoleSet};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// A refusal, or a failure to decide. `error.rs` turns it into the HTTP answer: `Hidden` is
/// 404 exactly as for something that does not exist, `Forbidden` 403 with the reason.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("not found")]
    Hidden,
    #[error("{0}")]
    Forbidden(&'static str),
    /// A stored role or role list that does not parse: the data, not the request, is wrong.
    #[error("stored access data is not valid: {0}")]
    BadStoredData(String),
    #[error("reading access data")]
    Db(#[from] sea_orm::DbErr),
}

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
    pub fn of_account(account: &crate::db::entities::user::Model) -> Result<Self, AccessError> {
        Ok(Subject {
            user_id: account.id,
            role: account.role.parse().map_err(|e| {
                AccessError::BadStoredData(format!("user {} has a bad role: {e}", account.id))
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
    /// Share a document in the space's library, or attach one to a post.
    AddDocument,
    /// Add a version of a document, or change its details (`own`: the viewer owns it).
    ChangeDocument { own: bool },
    /// Change an endorsement's review date or status (`owner`: the viewer owns it). Endorsing
    /// and withdrawing are `Moderate`.
    ReviewEndorsement { owner: bool },
    /// Lower a thread's protective marking (OFFICIAL-SENSITIVE to OFFICIAL): once lowered,
    /// its text may leave the platform by email, so only an admin may.
    LowerMarking,
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
    pub fn into_result(self) -> Result<bool, AccessError> {
        match self {
            Decision::Allow => Ok(false),
            Decision::AllowAsAdmin => Ok(true),
            Decision::Forbidden(why) => Err(AccessError::Forbidden(why)),
            Decision::Hidden => Err(AccessError::Hidden),
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
            && !(admin
                && matches!(
                    action,
                    Action::ChangePost { .. }
                        | Action::ChangeDocument { .. }
                        | Action::ReviewEndorsement { .. }
                        | Action::Moderate
                        | Action::LowerMarking
                )) =>
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
        Action::AddDocument if poster || admin => Decision::Allow,
        Action::AddDocument => {
            Decision::Forbidden("you may read this space but not share documents in it")
        }
        Action::ChangeDocument { .. } if admin => Decision::Allow,
        Action::ChangeDocument { own: false } => {
            Decision::Forbidden("only the document's owner or a moderator may change it")
        }
        Action::ChangeDocument { .. } if !poster => {
            Decision::Forbidden("you may read this space but not share documents in it")
        }
        Action::ChangeDocument { .. } => Decision::Allow,
        Action::Moderate if admin => Decision::Allow,
        Action::Moderate => Decision::Forbidden("only a moderator may do this"),
        Action::ReviewEndorsement { .. } if admin => Decision::Allow,
        Action::ReviewEndorsement { owner: true } => Decision::Allow,
        Action::ReviewEndorsement { owner: false } => {
            Decision::Forbidden("only the owner of this best practice or a moderator may review it")
        }
        Action::LowerMarking if admin => Decision::Allow,
        Action::LowerMarking => {
            Decision::Forbidden("only an administrator may lower a thread's protective marking")
        }
    }
}

/// What a person may do beyond any one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformAction {
    /// Create spaces and change their audience, members or archiving.
    ManageSpaces,
    ReadAuditLog,
    DisableAccounts,
    /// List accounts and invitations, change roles, re-enable, resend or revoke invitations.
    ManageAccounts,
    /// Add organisations.
    ManageOrganisations,
    /// See the mail queue's state.
    ReadMailQueue,
    /// Read the earlier texts of a post that has been deleted.
    ReadDeletedRevisions,
    /// Add to the managed list of case-study service areas.
    ManageServiceAreas,
    /// Invite someone as `role`; `own_organisation`: into the inviter's own organisation.
    Invite {
        role: Role,
        own_organisation: bool,
    },
}

/// The platform rule. Pure: admins run the platform; chief officers and PCCs invite their own
/// organisation's staff; nobody else does any of it.
pub fn decide_platform(role: Role, action: PlatformAction) -> Decision {
    let admin = role == Role::Admin;
    match action {
        _ if admin => Decision::Allow,
        PlatformAction::ManageSpaces => Decision::Forbidden("only an admin may manage spaces"),
        PlatformAction::ReadAuditLog => Decision::Forbidden("only an admin may read the audit log"),
        PlatformAction::DisableAccounts => {
            Decision::Forbidden("only an admin may disable accounts")
        }
        PlatformAction::ManageAccounts => Decision::Forbidden("only an admin may manage accounts"),
        PlatformAction::ManageOrganisations => {
            Decision::Forbidden("only an admin may manage organisations")
        }
        PlatformAction::ReadMailQueue => {
            Decision::Forbidden("only an admin may see the mail queue")
        }
        PlatformAction::ReadDeletedRevisions => Decision::Hidden,
        PlatformAction::ManageServiceAreas => {
            Decision::Forbidden("only an admin may add service areas")
        }
        PlatformAction::Invite {
            role: Role::Staff,
            own_organisation: true,
        } if matches!(role, Role::ChiefOfficer | Role::Pcc) => Decision::Allow,
        PlatformAction::Invite { .. } if matches!(role, Role::ChiefOfficer | Role::Pcc) => {
            Decision::Forbidden(
                "chief officers and PCCs may invite only staff of their own organisation",
            )
        }
        PlatformAction::Invite { .. } => {
            Decision::Forbidden("only admins, chief officers and PCCs may invite")
        }
    }
}

/// What someone may do with a request for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStep {
    /// Approve (an invitation is sent) or refuse.
    Decide,
    /// Sponsor a supplier's request (an admin then decides) or refuse it.
    Sponsor,
    /// Refuse it, or wait: a supplier's request needs a sponsor before an admin approves it.
    AwaitSponsor,
}

/// Who acts on a request for an account, by its organisation's kind and its status
/// (`pending` or `sponsored`). Pure: a force's or PCC office's (or a national body's) request
/// is decided by that organisation's chief officers and PCCs, or an admin; a supplier's is
/// sponsored by a chief officer or PCC of a force or PCC office, then decided by an admin, and
/// never by a supplier. `None`: not theirs to see (404).
pub fn registration_step(
    viewer_role: Role,
    viewer_org: (i32, OrgKind),
    request_org: (i32, OrgKind),
    status: &str,
) -> Option<RegistrationStep> {
    let admin = viewer_role == Role::Admin;
    let leader = matches!(viewer_role, Role::ChiefOfficer | Role::Pcc);
    let leader_of_policing = leader && matches!(viewer_org.1, OrgKind::Force | OrgKind::PccOffice);
    match (request_org.1, status) {
        (OrgKind::Supplier, "pending") if admin => Some(RegistrationStep::AwaitSponsor),
        (OrgKind::Supplier, "pending") if leader_of_policing => Some(RegistrationStep::Sponsor),
        (OrgKind::Supplier, "sponsored") if admin => Some(RegistrationStep::Decide),
        (OrgKind::Supplier, _) => None,
        (_, "pending") if admin => Some(RegistrationStep::Decide),
        (_, "pending") if leader && viewer_org.0 == request_org.0 => Some(RegistrationStep::Decide),
        _ => None,
    }
}

/// `decide_platform` for the viewer, as the HTTP answer.
pub fn check_platform(viewer: &Viewer, action: PlatformAction) -> Result<(), AccessError> {
    decide_platform(viewer.role, action)
        .into_result()
        .map(|_| ())
}

/// Whether mail to `email` may carry the titles (never the text) of OFFICIAL-SENSITIVE
/// threads: only to a recipient domain an admin accredited.
pub fn may_see_sensitive_titles_by_email(email: &str, accredited_domains: &[String]) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    accredited_domains
        .iter()
        .any(|d| d.trim_start_matches('@').eq_ignore_ascii_case(domain))
}

/// Builds a `SpaceAccess` for one viewer, looking up membership only where it matters.
pub async fn load_access(
    db: &impl ConnectionTrait,
    subject: &Subject,
    space: &space::Model,
) -> Result<SpaceAccess, AccessError> {
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

/// `load_access` for a signed-in viewer, from the memberships read with their session when
/// there are some.
pub async fn viewer_access(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    space: &space::Model,
) -> Result<SpaceAccess, AccessError> {
    match &viewer.memberships {
        Some(member_of) => access_from(space, space.members_only && member_of.contains(&space.id)),
        None => load_access(db, &Subject::from(viewer), space).await,
    }
}

/// The ids of the member-list spaces the viewer is on.
pub async fn memberships(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<i32>, AccessError> {
    Ok(space_member::Entity::find()
        .filter(space_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.space_id)
        .collect())
}

pub fn access_from(
    space: &space::Model,
    viewer_is_member: bool,
) -> Result<SpaceAccess, AccessError> {
    let parse = |raw: &str| {
        RoleSet::parse(raw)
            .map_err(|e| AccessError::BadStoredData(format!("space {} roles: {e}", space.id)))
    };
    Ok(SpaceAccess {
        read_roles: parse(&space.read_roles)?,
        post_roles: parse(&space.post_roles)?,
        members_only: space.members_only,
        viewer_is_member,
        archived: space.archived,
    })
}

/// `readable_spaces` for a signed-in viewer, from this process's caches of the spaces and of
/// the viewer's memberships.
pub async fn readable_by_viewer(
    app: &crate::state::AppState,
    viewer: &Viewer,
) -> Result<Vec<Readable>, AccessError> {
    let spaces = crate::spaces::all_cached(&app.caches, &app.db).await?;
    let member_of = match &viewer.memberships {
        Some(known) => known.to_vec(),
        None => memberships(&app.db, viewer.id).await?,
    };
    readable_among(&Subject::from(viewer), spaces.as_ref().clone(), &member_of)
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
) -> Result<Vec<Readable>, AccessError> {
    let member_of = memberships(db, subject.user_id).await?;
    readable_among(subject, crate::spaces::all(db).await?, &member_of)
}

/// The spaces among `spaces` that `subject` may read, given the member lists they are on.
pub fn readable_among(
    subject: &Subject,
    spaces: Vec<space::Model>,
    member_of: &[i32],
) -> Result<Vec<Readable>, AccessError> {
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
) -> Result<SpaceAccess, AccessError> {
    let subject = Subject::from(viewer);
    let access = viewer_access(db, viewer, space).await?;
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
    fn documents_are_shared_by_posters_and_changed_by_their_owner_or_an_admin() {
        let open = space(
            "chief_officer,supplier",
            "chief_officer",
            false,
            false,
            false,
        );
        let chief = who(Role::ChiefOfficer);
        assert_eq!(decide(&chief, &open, Action::AddDocument), Allow);
        assert!(matches!(
            decide(&who(Role::Supplier), &open, Action::AddDocument),
            Forbidden(_)
        ));
        assert_eq!(
            decide(&who(Role::Staff), &open, Action::AddDocument),
            Hidden
        );
        assert_eq!(
            decide(&chief, &open, Action::ChangeDocument { own: true }),
            Allow
        );
        assert!(matches!(
            decide(&chief, &open, Action::ChangeDocument { own: false }),
            Forbidden(_)
        ));
        assert_eq!(
            decide(
                &who(Role::Admin),
                &open,
                Action::ChangeDocument { own: false }
            ),
            Allow
        );
        let archived = space("chief_officer", "chief_officer", false, false, true);
        assert!(matches!(
            decide(&chief, &archived, Action::AddDocument),
            Forbidden(_)
        ));
        assert!(matches!(
            decide(&chief, &archived, Action::ChangeDocument { own: true }),
            Forbidden(_)
        ));
        assert_eq!(
            decide(
                &who(Role::Admin),
                &archived,
                Action::ChangeDocument { own: false }
            ),
            Allow
        );
        let group = space("chief_officer", "chief_officer", true, false, false);
        assert_eq!(decide(&chief, &group, Action::AddDocument), Hidden);
    }

    #[test]
    fn only_admins_run_the_platform_and_chiefs_invite_their_own_staff() {
        use PlatformAction::*;
        for action in [
            ManageSpaces,
            ReadAuditLog,
            DisableAccounts,
            ReadDeletedRevisions,
        ] {
            assert_eq!(decide_platform(Role::Admin, action), Allow, "{action:?}");
            for role in [Role::ChiefOfficer, Role::Pcc, Role::Staff, Role::Supplier] {
                assert!(
                    !decide_platform(role, action).allowed(),
                    "{role:?} {action:?}"
                );
            }
        }
        assert_eq!(decide_platform(Role::Staff, ReadDeletedRevisions), Hidden);
        let invite = |role, own_organisation| Invite {
            role,
            own_organisation,
        };
        for inviter in [Role::ChiefOfficer, Role::Pcc] {
            assert_eq!(decide_platform(inviter, invite(Role::Staff, true)), Allow);
            assert!(!decide_platform(inviter, invite(Role::Staff, false)).allowed());
            assert!(!decide_platform(inviter, invite(Role::Pcc, true)).allowed());
            assert!(!decide_platform(inviter, invite(Role::Admin, true)).allowed());
        }
        for inviter in [Role::Staff, Role::Supplier] {
            assert!(!decide_platform(inviter, invite(Role::Staff, true)).allowed());
        }
        assert_eq!(
            decide_platform(Role::Admin, invite(Role::Admin, false)),
            Allow
        );
    }

    #[test]
    fn accredited_domains_match_whole_domains_only() {
        let domains = vec!["pnn.police.uk".to_string()];
        assert!(may_see_sensitive_titles_by_email(
            "a@PNN.police.uk",
            &domains
        ));
        assert!(!may_see_sensitive_titles_by_email(
            "a@notpnn.police.uk",
            &domains
        ));
        assert!(!may_see_sensitive_titles_by_email(
            "a@pnn.police.uk.evil.example",
            &domains
        ));
        assert!(!may_see_sensitive_titles_by_email("no-at-sign", &domains));
    }

    #[test]
    fn only_admins_lower_a_marking() {
        let s = space("chief_officer", "chief_officer", false, false, false);
        assert_eq!(decide(&who(Role::Admin), &s, Action::LowerMarking), Allow);
        assert!(matches!(
            decide(&who(Role::ChiefOfficer), &s, Action::LowerMarking),
            Forbidden(_)
        ));
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

    #[test]
    fn requests_for_accounts_are_decided_by_their_own_leaders_and_suppliers_need_two_steps() {
        use RegistrationStep::*;
        let kent = (1, OrgKind::Force);
        let essex = (2, OrgKind::Force);
        let kent_pcc = (3, OrgKind::PccOffice);
        let acme = (4, OrgKind::Supplier);
        let step = registration_step;
        assert_eq!(
            step(Role::ChiefOfficer, kent, kent, "pending"),
            Some(Decide)
        );
        assert_eq!(step(Role::Pcc, kent_pcc, kent_pcc, "pending"), Some(Decide));
        assert_eq!(step(Role::ChiefOfficer, essex, kent, "pending"), None);
        assert_eq!(step(Role::Staff, kent, kent, "pending"), None);
        assert_eq!(step(Role::Supplier, acme, kent, "pending"), None);
        assert_eq!(
            step(Role::Admin, (9, OrgKind::Operator), kent, "pending"),
            Some(Decide)
        );
        assert_eq!(step(Role::ChiefOfficer, kent, kent, "unverified"), None);
        assert_eq!(step(Role::ChiefOfficer, kent, kent, "approved"), None);
        // A supplier: a force or PCC office sponsors, then an admin decides; never a supplier.
        assert_eq!(
            step(Role::ChiefOfficer, essex, acme, "pending"),
            Some(Sponsor)
        );
        assert_eq!(step(Role::Pcc, kent_pcc, acme, "pending"), Some(Sponsor));
        assert_eq!(step(Role::Supplier, acme, acme, "pending"), None);
        assert_eq!(step(Role::ChiefOfficer, acme, acme, "pending"), None);
        assert_eq!(step(Role::Admin, kent, acme, "pending"), Some(AwaitSponsor));
        assert_eq!(step(Role::ChiefOfficer, kent, acme, "sponsored"), None);
        assert_eq!(step(Role::Admin, kent, acme, "sponsored"), Some(Decide));
        assert_eq!(step(Role::Staff, kent, acme, "pending"), None);
    }
}
