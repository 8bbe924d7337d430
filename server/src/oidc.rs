//! An organisation's OpenID Connect provider, as Roundtable talks to it: discovery (kept for
//! ten minutes, fetched again when a token is signed with a key it does not list), the
//! authorisation address with PKCE (S256), `state` and `nonce`, the code exchange, and the ID
//! token's checks: issuer, audience, expiry with a small allowance for clocks, nonce, and a
//! signature by one of the provider's published asymmetric keys. Redirects are never followed.
use chrono::{Duration, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    reqwest, AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenFields,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The claims Entra ID adds that Roundtable reads: the directory (`tid`), the person's
/// lasting id in it (`oid`), and, for a guest from elsewhere, their home provider (`idp`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DirectoryClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// Entra ID's optional `acct`: 0 for a member of the directory, 1 for a guest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct: Option<serde_json::Value>,
}
impl AdditionalClaims for DirectoryClaims {}

impl DirectoryClaims {
    /// A guest of the directory: `acct` says so, or the home provider (`idp`) is another.
    pub fn is_guest_of(&self, issuer: &str) -> bool {
        let acct_guest = self
            .acct
            .as_ref()
            .is_some_and(|a| a.as_i64() == Some(1) || a.as_str() == Some("1"));
        acct_guest || self.idp.as_deref().is_some_and(|idp| idp != issuer)
    }
}

type Fields = IdTokenFields<
    DirectoryClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type DirectoryIdToken = IdToken<
    DirectoryClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type ProviderClient = Client<
    DirectoryClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The only signatures accepted: a provider's public keys. A shared-secret (HMAC) signature
/// could be made by anyone holding the client secret, and `none` by anyone at all.
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

const DISCOVERY_KEPT: std::time::Duration = std::time::Duration::from_secs(600);

/// One organisation's provider, as stored (the secret unsealed).
pub struct ProviderConfig<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or its answer could not be read.
    #[error("the organisation's sign-in service could not be reached: {0}")]
    Unreachable(String),
    /// The provider refused to exchange the code (used, expired, or the PKCE verifier wrong).
    /// The provider's own words, for the audit log.
    #[error("the organisation's sign-in service refused the sign-in: {0}")]
    Refused(String),
    /// The ID token failed a check.
    #[error("the sign-in could not be verified: {0}")]
    Rejected(String),
}

/// What to send the browser to, and what must be kept to finish.
pub struct Begun {
    pub url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified ID token's claims that Roundtable uses.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub directory: DirectoryClaims,
    pub email: Option<String>,
    /// The provider's `email_verified`, when it says.
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

pub struct Oidc {
    http: reqwest::Client,
    discovered: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
    clock_skew: Duration,
}

impl Oidc {
    pub fn new(clock_skew_seconds: u32) -> anyhow::Result<Self> {
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(15))
            .build()?;
        Ok(Oidc {
            http,
            discovered: Mutex::new(HashMap::new()),
            clock_skew: Duration::seconds(clock_skew_seconds.into()),
        })
    }

    /// The provider's discovery document and keys; `fresh` fetches them again.
    async fn metadata(&self, issuer: &str, fresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        if !fresh {
            let kept = self.discovered.lock().expect("not poisoned");
            if let Some((at, metadata)) = kept.get(issuer) {
                if at.elapsed() < DISCOVERY_KEPT {
                    return Ok(metadata.clone());
                }
            }
        }
        let issuer_url = IssuerUrl::new(issuer.to_string())
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &self.http)
            .await
            .map_err(|e| OidcError::Unreachable(error_chain(&e)))?;
        self.discovered
            .lock()
            .expect("not poisoned")
            .insert(issuer.to_string(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        metadata: CoreProviderMetadata,
        provider: &ProviderConfig<'_>,
        redirect: &str,
    ) -> Result<ProviderClient, OidcError> {
        let redirect = RedirectUrl::new(redirect.to_string())
            .map_err(|e| OidcError::Rejected(e.to_string()))?;
        Ok(ProviderClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.to_string()),
            Some(ClientSecret::new(provider.client_secret.to_string())),
        )
        .set_redirect_uri(redirect))
    }

    /// The address that sends the person to their provider, with fresh state, nonce and PKCE
    /// verifier. `login_hint` is the address they typed, so they need not type it again.
    pub async fn begin(
        &self,
        provider: &ProviderConfig<'_>,
        redirect: &str,
        login_hint: Option<&str>,
        sign_in_again: bool,
    ) -> Result<Begun, OidcError> {
        let client = Self::client(
            self.metadata(provider.issuer, false).await?,
            provider,
            redirect,
        )?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        if sign_in_again {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Ok(Begun {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token. A token signed
    /// with a key the kept discovery does not list makes one fresh fetch of the keys: the
    /// provider may have rotated them.
    pub async fn finish(
        &self,
        provider: &ProviderConfig<'_>,
        redirect: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Verified, OidcError> {
        let client = Self::client(
            self.metadata(provider.issuer, false).await?,
            provider,
            redirect,
        )?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    OidcError::Refused(answer.error().to_string())
                }
                other => OidcError::Unreachable(error_chain(&other)),
            })?;
        use openidconnect::TokenResponse;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Rejected("the answer held no ID token".into()))?;
        match self.verify(&client, id_token, nonce) {
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            )) => {
                let metadata = self.metadata(provider.issuer, true).await?;
                let client = Self::client(metadata, provider, redirect)?;
                self.verify(&client, id_token, nonce)
            }
            other => other,
        }
        .map_err(|e| OidcError::Rejected(error_chain(&e)))
    }

    fn verify(
        &self,
        client: &ProviderClient,
        id_token: &DirectoryIdToken,
        nonce: &str,
    ) -> Result<Verified, openidconnect::ClaimsVerificationError> {
        let skew = self.clock_skew;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(ASYMMETRIC)
            .set_time_fn(move || Utc::now() - skew);
        let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_string()))?;
        Ok(Verified {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            directory: claims.additional_claims().clone(),
            email: claims
                .email()
                .map(|e| e.to_string())
                .or_else(|| claims.preferred_username().map(|u| u.to_string())),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
        })
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
