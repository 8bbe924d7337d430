//! Each organisation's OpenID Connect provider, as operators and admins register it: the
//! issuer (for Entra ID, from the tenant id), the client id, and the client secret, sealed with
//! a key derived from the server's master secret so a copy of the database does not give it.
use crate::audit::{self, AuditEntry};
use crate::auth::keys::Keys;
use crate::db::entities::{identity, identity_provider, organisation};
use crate::domain::OrgKind;
use crate::error::ApiError;
use crate::use_cases::single_sign_on::secret_context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, TryIntoModel,
};

pub struct NewProvider {
    /// The issuer exactly as its discovery document gives it; with only `tenant_id`, Entra
    /// ID's tenant-specific authority for that tenant.
    pub issuer: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub auto_admit: bool,
}

/// Entra ID's authority for one tenant: its discovery document's issuer is exactly this.
pub fn entra_issuer(tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant_id}/v2.0")
}

/// Entra ID's tenant id is a GUID; the token's `tid` and the issuer carry it in that form.
fn checked_tenant(raw: &str) -> Result<String, ApiError> {
    let tenant = raw.trim().to_ascii_lowercase();
    let groups: Vec<&str> = tenant.split('-').collect();
    let ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    if !ok {
        return Err(ApiError::validation(
            "tenant_id",
            "give the directory (tenant) id, such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
        ));
    }
    Ok(tenant)
}

/// An issuer must be an https address (plain http only on this machine, for testing), with
/// no query or fragment.
fn checked_issuer(raw: &str) -> Result<String, ApiError> {
    let invalid = |why: &str| ApiError::validation("issuer", why.to_string());
    let parsed =
        url::Url::parse(raw.trim()).map_err(|e| invalid(&format!("not an address: {e}")))?;
    let loopback = matches!(
        parsed.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || parsed.host_str() == Some("localhost");
    if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
        return Err(invalid("the issuer must be an https:// address"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || raw.trim().len() > 500 {
        return Err(invalid(
            "the issuer must be at most 500 characters, without ? or #",
        ));
    }
    Ok(raw.trim().to_string())
}

/// Registers the organisation's provider, replacing the one it had (a new client secret, say).
pub async fn put(
    db: &DatabaseConnection,
    keys: &Keys,
    org: &organisation::Model,
    new: NewProvider,
    actor_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<identity_provider::Model, ApiError> {
    let tenant_id = new.tenant_id.as_deref().map(checked_tenant).transpose()?;
    let issuer = match (&new.issuer, &tenant_id) {
        (Some(issuer), _) => checked_issuer(issuer)?,
        (None, Some(tenant)) => entra_issuer(tenant),
        (None, None) => {
            return Err(ApiError::validation(
                "issuer",
                "give the issuer, or for Entra ID the tenant id",
            ))
        }
    };
    let client_id = new.client_id.trim().to_string();
    if client_id.is_empty() || client_id.len() > 200 {
        return Err(ApiError::validation(
            "client_id",
            "give the client (application) id",
        ));
    }
    if new.client_secret.is_empty() || new.client_secret.len() > 1000 {
        return Err(ApiError::validation(
            "client_secret",
            "give the client secret",
        ));
    }
    if new.auto_admit && org.kind == OrgKind::Supplier.as_str() {
        return Err(ApiError::validation(
            "auto_admit",
            "a supplier's people are admitted only when a force or PCC's office sponsors them",
        ));
    }
    let context = secret_context(org.id, &issuer, &client_id);
    let sealed = keys
        .provider_secrets
        .seal_for(&context, new.client_secret.as_bytes())?;
    let txn = crate::db::begin_write(db).await?;
    let existing = crate::use_cases::single_sign_on::provider_of(&txn, org.id).await?;
    let mut row = match existing {
        Some(found) => found.into(),
        None => identity_provider::ActiveModel {
            organisation_id: Set(org.id),
            ..Default::default()
        },
    };
    row.issuer = Set(issuer.clone());
    row.client_id = Set(client_id.clone());
    row.client_secret_sealed = Set(sealed);
    row.tenant_id = Set(tenant_id.clone());
    row.auto_admit = Set(new.auto_admit);
    row.created_at = Set(now);
    let saved = row.save(&txn).await?;
    let saved: identity_provider::Model = saved.try_into_model()?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "identity_provider.put",
            target_type: "organisation",
            target_id: Some(org.id),
            detail: serde_json::json!({
                "issuer": issuer, "client_id": client_id, "tenant_id": tenant_id,
                "auto_admit": new.auto_admit,
            }),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes the organisation's provider; its people then sign in with passwords, and
/// identities at it stop working. False when it had none.
pub async fn remove(
    db: &DatabaseConnection,
    org: &organisation::Model,
    actor_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(found) = crate::use_cases::single_sign_on::provider_of(&txn, org.id).await? else {
        return Ok(false);
    };
    identity_provider::Entity::delete_by_id(found.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "identity_provider.remove",
            target_type: "organisation",
            target_id: Some(org.id),
            detail: serde_json::json!({"issuer": found.issuer}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Every organisation's provider (without secrets), by organisation id.
pub async fn all(
    db: &impl ConnectionTrait,
) -> Result<Vec<identity_provider::Model>, sea_orm::DbErr> {
    identity_provider::Entity::find().all(db).await
}

/// The accounts that sign in with an organisation account.
pub async fn users_with_identities(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashSet<i32>, sea_orm::DbErr> {
    let owners: Vec<Option<i32>> = identity::Entity::find()
        .select_only()
        .column(identity::Column::UserId)
        .filter(identity::Column::UserId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(owners.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_guids_in_lower_case() {
        let id = "72F988BF-86F1-41AF-91AB-2D7CD011DB47";
        assert_eq!(
            checked_tenant(id).unwrap(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        for bad in [
            "",
            "contoso.onmicrosoft.com",
            "72f988bf86f141af91ab2d7cd011db47",
            "72f988bf-86f1-41af-91ab-2d7cd011db4g",
            "72f988bf-86f1-41af-91ab-2d7cd011db47-00",
        ] {
            assert!(checked_tenant(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            entra_issuer("72f988bf-86f1-41af-91ab-2d7cd011db47"),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
        );
    }

    #[test]
    fn issuers_are_https_or_this_machine() {
        for good in [
            "https://login.example.org/tenant/v2.0",
            "http://127.0.0.1:8080/t/v2.0",
            "http://localhost:9000/realms/police",
        ] {
            assert!(checked_issuer(good).is_ok(), "{good}");
        }
        for bad in [
            "http://idp.example.org/t",
            "https://idp.example.org/t?x=1",
            "https://idp.example.org/t#frag",
            "ftp://idp.example.org",
            "not a url",
        ] {
            assert!(checked_issuer(bad).is_err(), "{bad}");
        }
        let long = format!("https://idp.example.org/{}", "a".repeat(500));
        assert!(checked_issuer(&long).is_err());
    }
}
