//! What goes into one user's weekly digest. `gather` reads the week from the database, with
//! the spaces the user may read decided by the permission module at build time; `assemble`
//! applies the rules, and is pure so the rules can be tested directly.
//!
//! Rules:
//! - Only spaces the user reads as a member of the audience (an admin's audited reads outside
//!   it are not mailed), and of those the followed ones; muted threads never appear.
//! - A thread appears when someone other than the user posted in it during the week: nothing
//!   the user wrote alone. With followed tags, it must carry one of them.
//! - Newly endorsed best practice (endorsed during the week, followed spaces) comes first, then
//!   replies to the user's own threads and posts (any readable space), then each followed
//!   space's most active threads by [`activity_score`]. A thread is listed once.
//! - Best practice the user owns whose review falls due within [`REVIEW_NOTICE_DAYS`] of the
//!   digest (or is overdue) is listed first, in readable spaces only; an OFFICIAL-SENSITIVE
//!   item's title only to an accredited domain.
//! - OFFICIAL-SENSITIVE threads are only counted, per space, with one link to the space; the
//!   user's replies there are counted too. Recipients in an accredited domain
//!   (`mail.sensitive_title_domains`) see their titles, never bodies, excerpts or authors.
use super::week::IsoWeek;
use crate::db::entities::{post, thread, thread_watch, user};
use crate::domain::Marking;
use crate::forum::tags::tags_of;
use crate::permissions::{self, Subject};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How far ahead a best-practice review is mentioned to its owner.
pub const REVIEW_NOTICE_DAYS: i64 = 14;

/// An endorsed item the recipient owns whose review falls due.
#[derive(Debug, Clone)]
pub struct ReviewDue {
    /// Its page (`/threads/…`, `/documents/…`).
    pub path: String,
    pub title: String,
    pub space_id: i32,
    pub sensitive: bool,
    pub review_due: chrono::NaiveDate,
}

/// A review as the digest shows it.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub path: String,
    /// Empty when the title may not be mailed (OFFICIAL-SENSITIVE).
    pub title: String,
    pub space_name: String,
    pub due: String,
    pub overdue: bool,
    pub sensitive: bool,
}

/// Threads listed per space; the rest are counted ("and 4 more").
pub const THREADS_PER_SPACE: usize = 5;
const EXCERPT_CHARS: usize = 180;

#[derive(Debug, Clone)]
pub struct Recipient {
    pub id: i32,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug, Clone)]
pub struct SpaceInfo {
    pub id: i32,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct ThreadInfo {
    pub id: i32,
    pub space_id: i32,
    pub title: String,
    pub author_id: i32,
    pub sensitive: bool,
    pub created_at: DateTime<Utc>,
    pub best_practice: bool,
    pub best_practice_at: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
}

/// A post written during the week.
#[derive(Debug, Clone)]
pub struct Activity {
    pub post_id: i32,
    pub thread_id: i32,
    pub parent_id: Option<i32>,
    pub author_id: i32,
    pub author_name: String,
    pub organisation_id: i32,
    pub created_at: DateTime<Utc>,
    pub text: String,
}

/// Everything `assemble` needs, read by `gather`.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub recipient: Recipient,
    pub week: IsoWeek,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Readable spaces, in name order.
    pub readable: Vec<SpaceInfo>,
    /// Ids of the followed ones among them.
    pub followed: HashSet<i32>,
    pub follow_tags: Option<Vec<String>>,
    /// What everyone wrote that week, before this reader's permissions.
    pub shared: std::sync::Arc<SharedWeek>,
    pub muted: HashSet<i32>,
    pub sensitive_titles: bool,
    /// Best practice the recipient owns that falls due, in any space.
    pub reviews: Vec<ReviewDue>,
    /// Requests for accounts waiting for the recipient to answer (a sponsor's).
    pub requests_waiting: usize,
}

#[derive(Debug, Clone)]
pub struct ThreadItem {
    pub thread_id: i32,
    pub title: String,
    pub space_name: String,
    pub sensitive: bool,
    pub is_new: bool,
    pub best_practice: bool,
    /// Posts by others this week.
    pub posts: usize,
    pub organisations: usize,
    /// Who wrote last and the start of what they wrote; empty for sensitive threads.
    pub last_author: String,
    pub excerpt: String,
    pub score: f64,
}

#[derive(Debug, Clone)]
pub struct SpaceSection {
    pub slug: String,
    pub name: String,
    pub threads: Vec<ThreadItem>,
    pub more: usize,
    pub new_threads: usize,
    /// OFFICIAL-SENSITIVE threads active this week (counted, not listed).
    pub sensitive: usize,
}

#[derive(Debug, Clone)]
pub struct Digest {
    pub recipient: Recipient,
    pub week: IsoWeek,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub reviews: Vec<ReviewItem>,
    pub endorsed: Vec<ThreadItem>,
    pub replies: Vec<ThreadItem>,
    /// Replies to the user in OFFICIAL-SENSITIVE threads whose titles are not shown.
    pub sensitive_replies: usize,
    pub spaces: Vec<SpaceSection>,
    /// Requests for accounts waiting for the recipient, counted (never named in mail).
    pub requests_waiting: usize,
    /// The highest marking of what the message shows.
    pub marking: Marking,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.requests_waiting == 0
            && self.reviews.is_empty()
            && self.endorsed.is_empty()
            && self.replies.is_empty()
            && self.sensitive_replies == 0
            && self
                .spaces
                .iter()
                .all(|s| s.threads.is_empty() && s.sensitive == 0)
    }

    pub fn new_threads(&self) -> usize {
        self.spaces.iter().map(|s| s.new_threads).sum()
    }
}

/// How active a thread was this week: 2 per post by others, 3 per distinct organisation
/// taking part, 1 for a new thread, plus up to 4 for recency (4 if the last post came at the
/// end of the week, falling linearly to 0 at its start). Ties go to the newer thread id.
pub fn activity_score(posts: usize, organisations: usize, is_new: bool, recency: f64) -> f64 {
    2.0 * posts as f64 + 3.0 * organisations as f64 + f64::from(u8::from(is_new)) + 4.0 * recency
}

pub fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{cut}…")
}

pub fn assemble(inputs: &Inputs) -> Digest {
    let me = inputs.recipient.id;
    let week = (inputs.to - inputs.from).num_seconds().max(1) as f64;
    let space_names: HashMap<i32, &SpaceInfo> = inputs.readable.iter().map(|s| (s.id, s)).collect();
    // Posts by others, per thread, oldest first.
    let mut by_thread: BTreeMap<i32, Vec<&Activity>> = BTreeMap::new();
    for a in &inputs.shared.activity {
        if a.author_id != me && a.created_at >= inputs.from && a.created_at < inputs.to {
            by_thread.entry(a.thread_id).or_default().push(a);
        }
    }
    for posts in by_thread.values_mut() {
        posts.sort_by_key(|a| (a.created_at, a.post_id));
    }
    let item = |t: &ThreadInfo| -> ThreadItem {
        let posts = by_thread.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
        let organisations = posts
            .iter()
            .map(|a| a.organisation_id)
            .collect::<HashSet<_>>()
            .len();
        let is_new = t.created_at >= inputs.from && t.created_at < inputs.to;
        let recency = posts
            .last()
            .map(|a| ((a.created_at - inputs.from).num_seconds() as f64 / week).clamp(0.0, 1.0))
            .unwrap_or(0.0);
        let last = posts.last().filter(|_| !t.sensitive);
        ThreadItem {
            thread_id: t.id,
            title: t.title.clone(),
            space_name: space_names
                .get(&t.space_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            sensitive: t.sensitive,
            is_new,
            best_practice: t.best_practice,
            posts: posts.len(),
            organisations,
            last_author: last.map(|a| a.author_name.clone()).unwrap_or_default(),
            excerpt: last.map(|a| excerpt(&a.text)).unwrap_or_default(),
            score: activity_score(posts.len(), organisations, is_new, recency),
        }
    };
    let visible =
        |t: &ThreadInfo| space_names.contains_key(&t.space_id) && !inputs.muted.contains(&t.id);
    let shown = |t: &ThreadInfo| !t.sensitive || inputs.sensitive_titles;
    let mut listed: HashSet<i32> = HashSet::new();
    let mut sensitive_per_space: HashMap<i32, HashSet<i32>> = HashMap::new();
    let by_score = |items: &mut Vec<ThreadItem>| {
        items.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.thread_id.cmp(&a.thread_id))
        })
    };

    let mut endorsed: Vec<ThreadItem> = Vec::new();
    for t in inputs.shared.threads.values() {
        let endorsed_now = t.best_practice
            && t.best_practice_at
                .is_some_and(|at| at >= inputs.from && at < inputs.to);
        if endorsed_now && visible(t) && inputs.followed.contains(&t.space_id) {
            if shown(t) {
                endorsed.push(item(t));
                listed.insert(t.id);
            } else {
                sensitive_per_space
                    .entry(t.space_id)
                    .or_default()
                    .insert(t.id);
            }
        }
    }
    by_score(&mut endorsed);

    let mut replies: Vec<ThreadItem> = Vec::new();
    let mut sensitive_replies = 0;
    for (thread_id, posts) in &by_thread {
        let Some(t) = inputs.shared.threads.get(thread_id).filter(|t| visible(t)) else {
            continue;
        };
        let to_me = posts
            .iter()
            .filter(|a| {
                t.author_id == me
                    || a.parent_id
                        .and_then(|p| inputs.shared.parent_authors.get(&p))
                        .is_some_and(|author| *author == me)
            })
            .count();
        if to_me == 0 || listed.contains(thread_id) {
            continue;
        }
        if shown(t) {
            replies.push(item(t));
            listed.insert(t.id);
        } else {
            sensitive_replies += to_me;
            listed.insert(t.id);
        }
    }
    by_score(&mut replies);

    let tag_ok = |t: &ThreadInfo| match &inputs.follow_tags {
        None => true,
        Some(tags) => t
            .tags
            .iter()
            .any(|tag| tags.iter().any(|f| f.eq_ignore_ascii_case(tag))),
    };
    let mut per_space: HashMap<i32, Vec<ThreadItem>> = HashMap::new();
    for thread_id in by_thread.keys() {
        let Some(t) = inputs.shared.threads.get(thread_id) else {
            continue;
        };
        if !visible(t)
            || !inputs.followed.contains(&t.space_id)
            || listed.contains(&t.id)
            || !tag_ok(t)
        {
            continue;
        }
        if shown(t) {
            per_space.entry(t.space_id).or_default().push(item(t));
        } else {
            sensitive_per_space
                .entry(t.space_id)
                .or_default()
                .insert(t.id);
        }
    }
    let spaces: Vec<SpaceSection> = inputs
        .readable
        .iter()
        .filter(|s| inputs.followed.contains(&s.id))
        .map(|s| {
            let mut items = per_space.remove(&s.id).unwrap_or_default();
            by_score(&mut items);
            let new_threads = items.iter().filter(|i| i.is_new).count();
            let more = items.len().saturating_sub(THREADS_PER_SPACE);
            items.truncate(THREADS_PER_SPACE);
            SpaceSection {
                slug: s.slug.clone(),
                name: s.name.clone(),
                threads: items,
                more,
                new_threads,
                sensitive: sensitive_per_space.get(&s.id).map_or(0, HashSet::len),
            }
        })
        .filter(|s| !s.threads.is_empty() || s.sensitive > 0)
        .collect();
    let reviews: Vec<ReviewItem> = inputs
        .reviews
        .iter()
        .filter_map(|r| {
            let space = space_names.get(&r.space_id)?;
            Some(ReviewItem {
                path: r.path.clone(),
                title: if r.sensitive && !inputs.sensitive_titles {
                    String::new()
                } else {
                    r.title.clone()
                },
                space_name: space.name.clone(),
                due: r.review_due.format("%-d %B %Y").to_string(),
                overdue: r.review_due < inputs.to.date_naive(),
                sensitive: r.sensitive,
            })
        })
        .collect();
    let shows_sensitive = endorsed
        .iter()
        .chain(&replies)
        .chain(spaces.iter().flat_map(|s| &s.threads))
        .any(|i| i.sensitive)
        || reviews.iter().any(|r| r.sensitive && !r.title.is_empty());
    Digest {
        recipient: inputs.recipient.clone(),
        week: inputs.week,
        from: inputs.from,
        to: inputs.to,
        reviews,
        endorsed,
        replies,
        sensitive_replies,
        spaces,
        requests_waiting: inputs.requests_waiting,
        marking: if shows_sensitive {
            Marking::OfficialSensitive
        } else {
            Marking::Official
        },
    }
}

/// The week's digest window ends at the moment it is due and covers the seven days before.
pub fn window(due: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (due - Duration::days(7), due)
}

/// Everything written in one week window, the same for every reader: threads active or
/// endorsed, their posts, and who wrote the posts replied to. `assemble` keeps only what the
/// reader's spaces allow.
#[derive(Debug, Default)]
pub struct SharedWeek {
    pub threads: HashMap<i32, ThreadInfo>,
    pub activity: Vec<Activity>,
    pub parent_authors: HashMap<i32, i32>,
}

impl SharedWeek {
    pub async fn load(
        db: &impl ConnectionTrait,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Self, sea_orm::DbErr> {
        let candidates = thread::Entity::find()
            .filter(
                Condition::any()
                    .add(thread::Column::LastActivityAt.gte(from))
                    .add(thread::Column::BestPracticeAt.gte(from)),
            )
            .filter(thread::Column::CreatedAt.lt(to))
            .all(db)
            .await?;
        let ids: Vec<i32> = candidates.iter().map(|t| t.id).collect();
        if ids.is_empty() {
            return Ok(SharedWeek::default());
        }
        let mut tags = tags_of(db, &ids).await?;
        // Superseded best practice is not featured as best practice.
        let superseded: HashSet<i32> = crate::best_practice::store::of_threads(db, &ids)
            .await?
            .into_iter()
            .filter(|(_, e)| {
                crate::best_practice::store::status_of(e)
                    == crate::best_practice::Status::Superseded
            })
            .map(|(id, _)| id)
            .collect();
        let threads = candidates
            .into_iter()
            .map(|t| {
                (
                    t.id,
                    ThreadInfo {
                        id: t.id,
                        space_id: t.space_id,
                        sensitive: t.marking == Marking::OfficialSensitive.as_str(),
                        title: t.title,
                        author_id: t.author_id,
                        created_at: t.created_at,
                        best_practice: t.best_practice && !superseded.contains(&t.id),
                        best_practice_at: t.best_practice_at,
                        tags: tags.remove(&t.id).unwrap_or_default(),
                    },
                )
            })
            .collect();
        let mut posts: Vec<post::Model> = Vec::new();
        for chunk in ids.chunks(500) {
            posts.extend(
                post::Entity::find()
                    .filter(post::Column::ThreadId.is_in(chunk.to_vec()))
                    .filter(post::Column::CreatedAt.gte(from))
                    .filter(post::Column::CreatedAt.lt(to))
                    .filter(post::Column::DeletedAt.is_null())
                    .all(db)
                    .await?,
            );
        }
        let mut parent_ids: Vec<i32> = posts.iter().filter_map(|p| p.parent_id).collect();
        parent_ids.sort_unstable();
        parent_ids.dedup();
        let mut parent_authors = HashMap::new();
        for chunk in parent_ids.chunks(500) {
            let rows: Vec<(i32, i32)> = post::Entity::find()
                .select_only()
                .column(post::Column::Id)
                .column(post::Column::AuthorId)
                .filter(post::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            parent_authors.extend(rows);
        }
        let mut author_ids: Vec<i32> = posts.iter().map(|p| p.author_id).collect();
        author_ids.sort_unstable();
        author_ids.dedup();
        let authors = crate::accounts::users_by_id(db, &author_ids).await?;
        let activity = posts
            .into_iter()
            .filter_map(|p| {
                let author = authors.get(&p.author_id)?;
                Some(Activity {
                    post_id: p.id,
                    thread_id: p.thread_id,
                    parent_id: p.parent_id,
                    author_id: p.author_id,
                    author_name: author.display_name.clone(),
                    organisation_id: author.organisation_id,
                    created_at: p.created_at,
                    text: p
                        .body_text
                        .unwrap_or_else(|| crate::markdown::plain_text(&p.body_markdown)),
                })
            })
            .collect();
        Ok(SharedWeek {
            threads,
            activity,
            parent_authors,
        })
    }
}

/// What a round of sending reads once for all its readers: the spaces, and each shared week
/// by window. It lives for one round (a second or so), so a change of marking or audience is
/// never more than one round behind.
#[derive(Default)]
pub struct WeekCache {
    spaces: tokio::sync::OnceCell<Vec<crate::db::entities::space::Model>>,
    weeks: tokio::sync::Mutex<HashMap<Window, std::sync::Arc<SharedWeek>>>,
}

/// A week window: from, to.
type Window = (DateTime<Utc>, DateTime<Utc>);

impl WeekCache {
    pub async fn week(
        &self,
        db: &impl ConnectionTrait,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<std::sync::Arc<SharedWeek>, sea_orm::DbErr> {
        let mut weeks = self.weeks.lock().await;
        if let Some(found) = weeks.get(&(from, to)) {
            return Ok(found.clone());
        }
        let loaded = std::sync::Arc::new(SharedWeek::load(db, from, to).await?);
        weeks.insert((from, to), loaded.clone());
        Ok(loaded)
    }

    pub async fn spaces(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<crate::db::entities::space::Model>, sea_orm::DbErr> {
        self.spaces
            .get_or_try_init(|| crate::spaces::all(db))
            .await
            .cloned()
    }
}

/// What is known of one reader: their account, preferences, member lists and mutes.
pub struct Reader<'a> {
    pub account: &'a user::Model,
    pub prefs: &'a super::Preferences,
    pub member_of: &'a [i32],
    pub muted: HashSet<i32>,
}

/// The member lists and mutes of these users, in two queries.
pub async fn memberships_and_mutes(
    db: &impl ConnectionTrait,
    user_ids: &[i32],
) -> Result<(HashMap<i32, Vec<i32>>, HashMap<i32, HashSet<i32>>), sea_orm::DbErr> {
    use crate::db::entities::space_member;
    let mut members: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut mutes: HashMap<i32, HashSet<i32>> = HashMap::new();
    for chunk in user_ids.chunks(500) {
        for m in space_member::Entity::find()
            .filter(space_member::Column::UserId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            members.entry(m.user_id).or_default().push(m.space_id);
        }
        for w in thread_watch::Entity::find()
            .filter(thread_watch::Column::UserId.is_in(chunk.to_vec()))
            .filter(thread_watch::Column::State.eq("mute"))
            .all(db)
            .await?
        {
            mutes.entry(w.user_id).or_default().insert(w.thread_id);
        }
    }
    Ok((members, mutes))
}

/// Puts together what `assemble` needs for a reader's digest of `week`, ending at `to`: the
/// spaces they may read now (the permission module) and the shared week.
pub async fn gather(
    db: &impl ConnectionTrait,
    reader: Reader<'_>,
    week: IsoWeek,
    to: DateTime<Utc>,
    sensitive_title_domains: &[String],
    cache: &WeekCache,
) -> Result<Inputs, super::BuildError> {
    let account = reader.account;
    let (from, to) = window(to);
    let subject = Subject::of_account(account)?;
    let readable: Vec<SpaceInfo> =
        permissions::readable_among(&subject, cache.spaces(db).await?, reader.member_of)?
            .into_iter()
            .filter(|r| !r.as_admin)
            .map(|r| SpaceInfo {
                id: r.space.id,
                slug: r.space.slug,
                name: r.space.name,
            })
            .collect();
    let followed: HashSet<i32> = match &reader.prefs.follow_spaces {
        None => readable.iter().map(|s| s.id).collect(),
        Some(ids) => readable
            .iter()
            .map(|s| s.id)
            .filter(|id| ids.contains(id))
            .collect(),
    };
    let shared = if readable.is_empty() {
        std::sync::Arc::new(SharedWeek::default())
    } else {
        cache.week(db, from, to).await?
    };
    let due_by = (to + Duration::days(REVIEW_NOTICE_DAYS)).date_naive();
    let reviews = crate::best_practice::store::due_items(db, account.id, due_by)
        .await?
        .into_iter()
        .map(|d| ReviewDue {
            path: d.item.path(),
            title: d.title,
            space_id: d.space_id,
            sensitive: d.marking != Marking::Official.as_str(),
            review_due: d.review_due,
        })
        .collect();
    let requests_waiting = crate::use_cases::registrations::count_waiting_for(
        db,
        subject.role,
        account.organisation_id,
    )
    .await?;
    Ok(Inputs {
        reviews,
        requests_waiting,
        recipient: Recipient {
            id: account.id,
            email: account.email.clone(),
            display_name: account.display_name.clone(),
        },
        week,
        from,
        to,
        readable,
        followed,
        follow_tags: reader.prefs.follow_tags.clone(),
        shared,
        muted: reader.muted,
        sensitive_titles: crate::permissions::may_see_sensitive_titles_by_email(
            &account.email,
            sensitive_title_domains,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: i32 = 1;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, day, hour, 0, 0).unwrap()
    }

    fn space(id: i32, name: &str) -> SpaceInfo {
        SpaceInfo {
            id,
            slug: name.to_lowercase(),
            name: name.to_string(),
        }
    }

    fn thread(id: i32, space_id: i32, author_id: i32, sensitive: bool) -> ThreadInfo {
        ThreadInfo {
            id,
            space_id,
            title: format!("Thread {id}"),
            author_id,
            sensitive,
            created_at: at(1, 9),
            best_practice: false,
            best_practice_at: None,
            tags: vec![],
        }
    }

    fn post(
        post_id: i32,
        thread_id: i32,
        author_id: i32,
        org: i32,
        when: DateTime<Utc>,
    ) -> Activity {
        Activity {
            post_id,
            thread_id,
            parent_id: None,
            author_id,
            author_name: format!("Person {author_id}"),
            organisation_id: org,
            created_at: when,
            text: format!("text of post {post_id}"),
        }
    }

    fn inputs(threads: Vec<ThreadInfo>, activity: Vec<Activity>) -> Inputs {
        Inputs {
            recipient: Recipient {
                id: ME,
                email: "me@kent.example".into(),
                display_name: "Me".into(),
            },
            week: "2026-W48".parse().unwrap(),
            from: at(16, 7),
            to: at(23, 7),
            readable: vec![space(10, "IT"), space(20, "Resilience")],
            followed: [10, 20].into_iter().collect(),
            follow_tags: None,
            shared: std::sync::Arc::new(SharedWeek {
                threads: threads.into_iter().map(|t| (t.id, t)).collect(),
                activity,
                parent_authors: HashMap::new(),
            }),
            muted: HashSet::new(),
            sensitive_titles: false,
            reviews: Vec::new(),
            requests_waiting: 0,
        }
    }

    fn listed(d: &Digest) -> Vec<i32> {
        d.spaces
            .iter()
            .flat_map(|s| s.threads.iter().map(|t| t.thread_id))
            .collect()
    }

    #[test]
    fn owners_are_reminded_of_reviews_in_spaces_they_read_with_sensitive_titles_withheld() {
        let review = |path: &str, space_id: i32, sensitive: bool, day: u32| ReviewDue {
            path: path.into(),
            title: format!("Title of {path}"),
            space_id,
            sensitive,
            review_due: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        };
        let mut i = inputs(Vec::new(), Vec::new());
        i.reviews = vec![
            review("/threads/1", 10, false, 20),
            review("/documents/2", 20, true, 30),
            review("/threads/3", 99, false, 25),
        ];
        let d = assemble(&i);
        assert!(!d.is_empty(), "a reminder alone is worth a digest");
        let shown: Vec<(&str, &str, bool)> = d
            .reviews
            .iter()
            .map(|r| (r.path.as_str(), r.title.as_str(), r.overdue))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("/threads/1", "Title of /threads/1", true),
                ("/documents/2", "", false)
            ],
            "space 99 is not readable; the sensitive title stays on the platform"
        );
        assert_eq!(d.marking, Marking::Official);
        i.sensitive_titles = true;
        let d = assemble(&i);
        assert_eq!(d.reviews[1].title, "Title of /documents/2");
        assert_eq!(d.marking, Marking::OfficialSensitive);
    }

    #[test]
    fn threads_rank_by_posts_organisations_and_recency() {
        let d = assemble(&inputs(
            vec![
                thread(1, 10, 2, false),
                thread(2, 10, 2, false),
                thread(3, 10, 2, false),
            ],
            vec![
                post(1, 1, 2, 100, at(17, 9)),
                post(2, 2, 2, 100, at(17, 9)),
                post(3, 2, 3, 200, at(17, 10)),
                post(4, 3, 2, 100, at(22, 9)),
            ],
        ));
        assert_eq!(listed(&d), vec![2, 3, 1], "two organisations beat recency");
        assert_eq!(d.spaces[0].threads[0].organisations, 2);
        assert!(d.spaces[0].threads[1].score > d.spaces[0].threads[2].score);
    }

    #[test]
    fn what_the_reader_wrote_alone_is_left_out_and_old_posts_do_not_count() {
        let d = assemble(&inputs(
            vec![thread(1, 10, ME, false), thread(2, 10, 2, false)],
            vec![
                post(1, 1, ME, 100, at(17, 9)),
                post(2, 2, 2, 100, at(10, 9)),
            ],
        ));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn replies_to_the_reader_come_before_spaces_and_once() {
        let mut i = inputs(
            vec![thread(1, 10, 2, false), thread(2, 20, ME, false)],
            vec![
                post(1, 1, 3, 100, at(17, 9)),
                Activity {
                    parent_id: Some(50),
                    ..post(2, 1, 4, 300, at(18, 9))
                },
                post(3, 2, 5, 400, at(19, 9)),
            ],
        );
        std::sync::Arc::get_mut(&mut i.shared)
            .unwrap()
            .parent_authors
            .insert(50, ME);
        let d = assemble(&i);
        let replied: Vec<i32> = d.replies.iter().map(|r| r.thread_id).collect();
        assert_eq!(replied.len(), 2);
        assert!(replied.contains(&1) && replied.contains(&2));
        assert!(listed(&d).is_empty(), "a thread is listed once");
    }

    #[test]
    fn sensitive_threads_are_counted_not_shown_unless_the_domain_is_accredited() {
        let mut i = inputs(
            vec![thread(1, 10, 2, true), thread(2, 10, ME, true)],
            vec![post(1, 1, 2, 100, at(17, 9)), post(2, 2, 3, 100, at(18, 9))],
        );
        let d = assemble(&i);
        assert_eq!(d.spaces[0].sensitive, 1);
        assert_eq!(d.sensitive_replies, 1);
        assert!(d.spaces[0].threads.is_empty() && d.replies.is_empty());
        assert_eq!(d.marking, Marking::Official);
        i.sensitive_titles = true;
        let d = assemble(&i);
        assert_eq!(listed(&d), vec![1]);
        let shown = &d.spaces[0].threads[0];
        assert!(shown.excerpt.is_empty() && shown.last_author.is_empty());
        assert_eq!(d.marking, Marking::OfficialSensitive);
    }

    #[test]
    fn endorsements_come_first_and_follow_muted_and_tag_choices() {
        let mut endorsed = thread(1, 20, 2, false);
        endorsed.best_practice = true;
        endorsed.best_practice_at = Some(at(20, 12));
        let mut tagged = thread(2, 10, 2, false);
        tagged.tags = vec!["Cloud".into()];
        let mut i = inputs(
            vec![
                endorsed,
                tagged,
                thread(3, 10, 2, false),
                thread(4, 10, 2, false),
            ],
            vec![
                post(1, 2, 2, 100, at(17, 9)),
                post(2, 3, 2, 100, at(17, 9)),
                post(3, 4, 2, 100, at(17, 9)),
            ],
        );
        i.follow_tags = Some(vec!["cloud".into()]);
        i.muted.insert(4);
        let d = assemble(&i);
        assert_eq!(
            d.endorsed.iter().map(|t| t.thread_id).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(listed(&d), vec![2], "untagged and muted threads left out");
        i.followed.remove(&20);
        assert!(
            assemble(&i).endorsed.is_empty(),
            "endorsements only from followed spaces"
        );
    }

    #[test]
    fn threads_in_spaces_the_reader_cannot_read_never_appear() {
        let mut endorsed = thread(2, 30, 2, false);
        endorsed.best_practice = true;
        endorsed.best_practice_at = Some(at(20, 12));
        let mut i = inputs(
            vec![thread(1, 30, ME, false), endorsed, thread(3, 30, 2, true)],
            vec![
                Activity {
                    parent_id: Some(50),
                    ..post(1, 1, 2, 100, at(17, 9))
                },
                post(2, 2, 2, 100, at(17, 9)),
                post(3, 3, 2, 100, at(17, 9)),
            ],
        );
        i.followed.insert(30);
        std::sync::Arc::get_mut(&mut i.shared)
            .unwrap()
            .parent_authors
            .insert(50, ME);
        let d = assemble(&i);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn spaces_list_five_threads_and_count_the_rest() {
        let threads: Vec<ThreadInfo> = (1..=8).map(|n| thread(n, 10, 2, false)).collect();
        let activity: Vec<Activity> = (1..=8).map(|n| post(n, n, 2, 100, at(17, 9))).collect();
        let d = assemble(&inputs(threads, activity));
        assert_eq!(d.spaces[0].threads.len(), THREADS_PER_SPACE);
        assert_eq!(d.spaces[0].more, 3);
    }
}
