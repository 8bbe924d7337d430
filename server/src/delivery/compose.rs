//! Turns a claimed job into the message to send, checking at build time what the recipient
//! may read now (not what they could read when the job was queued).
use super::jobs::Outcome;
use crate::db::entities::{mail_job, user};
use crate::digest::content::{self, Digest, Reader};
use crate::digest::render::{self, Links};
use crate::digest::unsubscribe::{List, UnsubscribeKey};
use crate::digest::BuildError;
use crate::digest::{preferences, IsoWeek, Preferences};
use crate::mail::Outgoing;
use crate::settings::Settings;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::collections::{HashMap, HashSet};

/// What composing a job gave: a message to send, or a reason to send nothing.
pub enum Composed {
    Message(Box<Outgoing>),
    Nothing(Outcome),
}

/// Everything a composer needs besides the database.
pub struct Composer<'a> {
    pub settings: &'a Settings,
    pub unsubscribe: &'a UnsubscribeKey,
    /// The weeks read in this round, shared by its digests.
    pub weeks: &'a content::WeekCache,
}

pub fn digest_message_id(user_id: i32, week: &IsoWeek, host: &str) -> String {
    format!("digest.{user_id}.{week}@{host}")
}

impl Composer<'_> {
    fn links(&self, list: List, user_id: i32) -> Links {
        let public_url = self.settings.public_url().to_string();
        Links {
            unsubscribe_url: format!(
                "{public_url}/api/v1/unsubscribe/{}/{}",
                list.as_str(),
                self.unsubscribe.token(list, user_id)
            ),
            public_url,
        }
    }

    /// Headers every Roundtable list message carries (RFC 2369, RFC 8058).
    fn list_headers(&self, list: List, links: &Links) -> Vec<(&'static str, String)> {
        let name = list.as_str();
        vec![
            (
                "List-Id",
                format!("Roundtable {name} <{name}.{}>", self.settings.public_host()),
            ),
            ("List-Unsubscribe", format!("<{}>", links.unsubscribe())),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
        ]
    }

    /// Builds a user's digest for `week`: the content as of now, for the week ending at the
    /// user's scheduled moment in it.
    pub async fn digest(
        &self,
        db: &impl ConnectionTrait,
        account: &user::Model,
        week: IsoWeek,
    ) -> Result<Digest, BuildError> {
        let readers = Readers::load(db, &[account.id]).await?;
        let reader = readers
            .reader(account.id)
            .ok_or(BuildError::NoAccount(account.id))?;
        self.digest_for(db, reader, week).await
    }

    async fn digest_for(
        &self,
        db: &impl ConnectionTrait,
        reader: Reader<'_>,
        week: IsoWeek,
    ) -> Result<Digest, BuildError> {
        let prefs = reader.prefs;
        let due = week.moment(prefs.weekday, prefs.hour, prefs.time_zone);
        let inputs = content::gather(
            db,
            reader,
            week,
            due,
            &self.settings.mail.sensitive_title_domains,
            self.weeks,
        )
        .await?;
        Ok(content::assemble(&inputs))
    }

    pub fn digest_message(&self, d: &Digest) -> Result<Outgoing, askama::Error> {
        let links = self.links(List::Weekly, d.recipient.id);
        let rendered = render::render(d, &links)?;
        Ok(Outgoing {
            to: d.recipient.email.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
            message_id: Some(digest_message_id(
                d.recipient.id,
                &d.week,
                self.settings.public_host(),
            )),
            headers: self.list_headers(List::Weekly, &links),
        })
    }

    /// The message a digest job owes, or why none is owed any more. `readers` holds the
    /// round's recipients, read once for the round.
    pub async fn digest_job(
        &self,
        db: &impl ConnectionTrait,
        job: &mail_job::Model,
        readers: &Readers,
    ) -> Result<Composed, BuildError> {
        let Some(week) = job.week.as_deref().and_then(|w| w.parse::<IsoWeek>().ok()) else {
            return Ok(Composed::Nothing(Outcome::Permanent {
                error: format!("job {} has no valid week", job.job_key),
            }));
        };
        let Some(reader) = readers.reader(job.user_id) else {
            return Ok(skip("the account no longer exists"));
        };
        if reader.account.disabled {
            return Ok(skip("the account is disabled"));
        }
        if !reader.prefs.digest_enabled {
            return Ok(skip("weekly digests are turned off"));
        }
        let digest = self.digest_for(db, reader, week).await?;
        if digest.is_empty() && !self.settings.digest.send_empty {
            return Ok(skip("nothing new for this reader this week"));
        }
        let message = self.digest_message(&digest)?;
        Ok(Composed::Message(Box::new(message)))
    }

    /// The message for a batch of notification jobs of one recipient.
    pub async fn notification_jobs(
        &self,
        db: &impl ConnectionTrait,
        batch: &[mail_job::Model],
    ) -> Result<Composed, BuildError> {
        let Some(first) = batch.first() else {
            return Ok(skip("nothing to send"));
        };
        let Some(account) = user::Entity::find_by_id(first.user_id).one(db).await? else {
            return Ok(skip("the account no longer exists"));
        };
        if account.disabled {
            return Ok(skip("the account is disabled"));
        }
        let post_ids: Vec<i32> = batch.iter().filter_map(|j| j.post_id).collect();
        let notice = crate::notifications::build(
            db,
            &account,
            &post_ids,
            &self.settings.mail.sensitive_title_domains,
        )
        .await?;
        let Some(notice) = notice else {
            return Ok(skip("the replies can no longer be read by this reader"));
        };
        let links = self.links(List::Notifications, account.id);
        let rendered = crate::notifications::render(&notice, &links)?;
        Ok(Composed::Message(Box::new(Outgoing {
            to: account.email.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
            message_id: Some(format!(
                "notify.{}.{}@{}",
                account.id,
                first.id,
                self.settings.public_host()
            )),
            headers: self.list_headers(List::Notifications, &links),
        })))
    }
}

/// The recipients of a round of digests, read in a few queries for all of them.
pub struct Readers {
    accounts: HashMap<i32, user::Model>,
    prefs: HashMap<i32, Preferences>,
    members: HashMap<i32, Vec<i32>>,
    mutes: HashMap<i32, HashSet<i32>>,
}

impl Readers {
    pub async fn load(db: &impl ConnectionTrait, user_ids: &[i32]) -> Result<Self, sea_orm::DbErr> {
        let accounts = crate::accounts::users_by_id(db, user_ids).await?;
        let prefs = preferences::load_many(db, user_ids).await?;
        let (members, mutes) = content::memberships_and_mutes(db, user_ids).await?;
        Ok(Readers {
            accounts,
            prefs,
            members,
            mutes,
        })
    }

    fn reader(&self, user_id: i32) -> Option<Reader<'_>> {
        Some(Reader {
            account: self.accounts.get(&user_id)?,
            prefs: self.prefs.get(&user_id)?,
            member_of: self.members.get(&user_id).map(Vec::as_slice).unwrap_or(&[]),
            muted: self.mutes.get(&user_id).cloned().unwrap_or_default(),
        })
    }
}

fn skip(reason: &str) -> Composed {
    Composed::Nothing(Outcome::Skipped {
        reason: reason.to_string(),
    })
}
