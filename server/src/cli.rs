//! The `roundtable` command: serve, migrate, and the operator's tools.
use crate::accounts::{self, NewUser};
use crate::domain::{Email, OrgKind, Role, RoleSet, Slug};
use crate::error::ApiError;
use crate::settings::Settings;
use crate::spaces::{self, NewSpace};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "roundtable",
    version,
    about = "Roundtable: a forum for UK police leaders"
)]
struct Cli {
    /// A settings file layered over the defaults (also ROUNDTABLE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies migrations first).
    Serve {
        /// Load the demo data first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage spaces.
    #[command(subcommand)]
    Space(SpaceCommand),
    /// Rebuild the search index from the database into a new folder and swap it in; a running
    /// server keeps answering from the old index meanwhile.
    Reindex,
    /// How the search index stands against the database (documents, position, live posts).
    IndexStatus,
    /// Search as a given user would (for operators).
    Search {
        /// The query, in the same language as the search box.
        query: String,
        /// Whose permissions to search with.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        #[arg(long, default_value_t = 1)]
        page: usize,
    },
    /// Import discussions from elsewhere.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Shared documents.
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Measure search quality.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Weekly digests: preview one, send a week's now, or see the mail queue.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Read the text of one file (on standard input) for search; run by the server in a
    /// separate, limited process for each uploaded document.
    #[command(hide = true)]
    ExtractText {
        /// pdf, docx, odt, xlsx, ods, pptx, txt, md or csv
        file_type: String,
        /// Most characters to print.
        max_chars: String,
    },
    /// Load data.
    Seed {
        /// The demo organisations, people, spaces and discussions.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand)]
enum DigestCommand {
    /// Print a user's digest as it would be sent (the plain-text part).
    Preview {
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// An ISO week such as 2026-W48; default: the user's latest due week.
        #[arg(long)]
        week: Option<String>,
        /// Also write the HTML part to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Send a week's digests now (those not already sent), with a summary.
    Run {
        /// An ISO week such as 2026-W48; default: this week.
        #[arg(long)]
        week: Option<String>,
        /// Only this user.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
    },
    /// The mail queue: jobs by state, the next due and the latest errors.
    Status,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A StackExchange dump's Posts.xml: questions become threads, answers replies.
    Stackexchange {
        #[arg(long)]
        posts: PathBuf,
        /// The space to import into (its slug).
        #[arg(long)]
        space: String,
        /// Author of the imported posts; default: the first admin.
        #[arg(long, value_name = "EMAIL")]
        as_user: Option<String>,
        /// The site, for source links (default: from the dump's folder name).
        #[arg(long)]
        site: Option<String>,
    },
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// Share every file of a folder (and its sub-folders) in a space's library, with a
    /// progress bar and a summary; files that are refused are listed with the reason.
    Import {
        folder: PathBuf,
        /// The space (its slug).
        #[arg(long)]
        space: String,
        /// Who shares them; default: the first admin.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Rank a BEIR-format set through production search; prints nDCG@k and Recall@100.
    Beir {
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        queries: PathBuf,
        #[arg(long)]
        qrels: PathBuf,
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Ranking variants, for comparing against the defaults.
        #[arg(long)]
        title_weight: Option<f32>,
        #[arg(long)]
        tags_weight: Option<f32>,
        #[arg(long)]
        dismax: Option<bool>,
        #[arg(long)]
        tie_breaker: Option<f32>,
        #[arg(long)]
        all_terms_bonus: Option<f32>,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation; prints its id.
    Add {
        #[arg(long)]
        name: String,
        /// force, pcc_office, national_body, supplier or operator
        #[arg(long)]
        kind: String,
    },
    /// An organisation's email domains: people with an address at one may ask for an account.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// An organisation's own sign-in service (OpenID Connect; Entra ID for most forces).
    #[command(subcommand)]
    Idp(IdpCommand),
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Register `--org`'s provider (replacing any it had). Give `--issuer`, or for Entra ID
    /// `--tenant-id` (both for an Entra tenant reached at another address). The client secret
    /// is read from the environment variable named by `--client-secret-env`, never the
    /// command line, and stored sealed.
    Add {
        #[arg(long)]
        org: String,
        /// The issuer exactly as its discovery document gives it.
        #[arg(long)]
        issuer: Option<String>,
        /// Entra ID's directory (tenant) id: tokens must carry it as `tid`.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long)]
        client_id: String,
        /// The name of the environment variable holding the client secret.
        #[arg(long)]
        client_secret_env: String,
        /// Give an unknown person from the organisation an account at once, rather than a
        /// request for its sponsors.
        #[arg(long)]
        auto_admit: bool,
    },
    /// Remove `--org`'s provider: its people sign in with passwords again.
    Remove {
        #[arg(long)]
        org: String,
    },
    /// Print every provider, one `organisation<TAB>issuer<TAB>client id<TAB>admission` a line.
    List,
}

#[derive(Subcommand)]
enum DomainCommand {
    /// Allow people with an address at `--domain` to ask for an account at `--org`.
    Add {
        #[arg(long)]
        org: String,
        /// Such as kent.police.uk (an address's part after the @).
        #[arg(long)]
        domain: String,
    },
    /// Take `--domain` off its organisation's list.
    Remove {
        #[arg(long)]
        domain: String,
    },
    /// Print every organisation's domains, one `domain<TAB>organisation` a line.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with a password (ROUNDTABLE_PASSWORD or a prompt), or mail an invitation.
    Add {
        #[arg(long)]
        email: String,
        /// Display name; with --invite the invitee chooses their own.
        #[arg(long)]
        name: Option<String>,
        /// The organisation's exact name.
        #[arg(long)]
        org: String,
        /// chief_officer, pcc, staff, supplier or admin
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        job_title: String,
        /// Email an invitation link instead of setting a password.
        #[arg(long)]
        invite: bool,
    },
    /// Disable a user: every session ends at once.
    Disable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum SpaceCommand {
    /// Add a space; prints its id.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Comma-separated roles that may read.
        #[arg(long)]
        read_roles: String,
        /// Comma-separated roles that may post.
        #[arg(long)]
        post_roles: String,
        /// Comma-separated emails: makes a private working group of exactly these members.
        #[arg(long)]
        members: Option<String>,
        #[arg(long)]
        archived: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::ExtractText {
        file_type,
        max_chars,
    } = &cli.command
    {
        // No runtime, no settings, no logging: this process only reads one file.
        return crate::library::isolate::child_main(file_type, max_chars);
    }
    crate::private_files::restrict_new_files();
    crate::tls::use_ring();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Eval(EvalCommand::Beir {
        corpus,
        queries,
        qrels,
        k,
        title_weight,
        tags_weight,
        dismax,
        tie_breaker,
        all_terms_bonus,
    }) = &cli.command
    {
        let defaults = search_index::Ranking::default();
        let ranking = search_index::Ranking {
            title_weight: title_weight.unwrap_or(defaults.title_weight),
            tags_weight: tags_weight.unwrap_or(defaults.tags_weight),
            dismax: dismax.unwrap_or(defaults.dismax),
            tie_breaker: tie_breaker.unwrap_or(defaults.tie_breaker),
            all_terms_bonus: all_terms_bonus.unwrap_or(defaults.all_terms_bonus),
            ..defaults
        };
        let (corpus, queries, qrels, k) = (corpus.clone(), queries.clone(), qrels.clone(), *k);
        let scores = tokio::task::spawn_blocking(move || {
            crate::search::eval::run(&corpus, &queries, &qrels, k, ranking)
        })
        .await??;
        println!(
            "{{\"queries\": {}, \"ndcg@{k}\": {:.4}, \"recall@100\": {:.4}}}",
            scores.queries, scores.ndcg, scores.recall_100
        );
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    let mut log = settings.log.clone();
    if !matches!(cli.command, Command::Serve { .. }) {
        // Operator commands print their own results; only problems are logged.
        log.level = "warn".into();
    }
    crate::telemetry::init(&log);
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let db = open(&settings).await?;
            println!("migrations applied");
            drop(db);
            Ok(())
        }
        Command::Org(OrgCommand::Domain(command)) => {
            let db = open(&settings).await?;
            domain_command(&db, command).await
        }
        Command::Org(OrgCommand::Idp(command)) => {
            let db = open(&settings).await?;
            let keys =
                crate::auth::keys::Keys::from_master(&crate::auth::jwt::load_secret(&settings)?);
            idp_command(&db, &keys, command).await
        }
        Command::Org(OrgCommand::Add { name, kind }) => {
            let kind: OrgKind = kind.parse().context("--kind")?;
            let db = open(&settings).await?;
            let org = accounts::add_organisation(&db, &name, kind, chrono::Utc::now()).await?;
            println!("{}", org.id);
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            name,
            org,
            role,
            job_title,
            invite,
        }) => {
            let email = Email::parse(&email).context("--email")?;
            let role: Role = role.parse().context("--role")?;
            let db = open(&settings).await?;
            let org = accounts::find_org_by_name(&db, &org)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--org: no organisation named {org:?}"))?;
            if invite {
                let mailer = crate::mail::Mailer::from_settings(&settings)?;
                let made = accounts::invite(
                    &db,
                    &mailer,
                    settings.public_url(),
                    accounts::NewInvitation {
                        email: &email,
                        role,
                        organisation_id: org.id,
                        invited_by: None,
                    },
                    settings.auth.invitation_days,
                    chrono::Utc::now(),
                )
                .await?;
                if made.already_a_member {
                    println!(
                        "{} already has an account: they were sent a reminder to sign in, not a link",
                        made.email
                    );
                } else {
                    println!(
                        "invitation sent to {} (expires {})",
                        made.email,
                        made.expires_at.to_rfc3339()
                    );
                }
                println!("{}", made.id);
                return Ok(());
            }
            let name =
                name.ok_or_else(|| anyhow::anyhow!("--name is required unless --invite is given"))?;
            let password = password_from_env_or_prompt()?;
            let user = accounts::add_user(
                &db,
                NewUser {
                    email: &email,
                    display_name: &name,
                    role,
                    organisation_id: org.id,
                    job_title: &job_title,
                    password: Some(&password),
                },
                chrono::Utc::now(),
            )
            .await?;
            println!("{}", user.id);
            Ok(())
        }
        Command::User(UserCommand::Disable { email }) => {
            let email = Email::parse(&email).context("--email")?;
            let db = open(&settings).await?;
            let user = accounts::find_user(&db, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--email: no user with email {email}"))?;
            accounts::disable_user(&db, None, &user, chrono::Utc::now()).await?;
            println!("disabled {email}");
            println!("{}", user.id);
            Ok(())
        }
        Command::Space(SpaceCommand::Add {
            slug,
            name,
            description,
            read_roles,
            post_roles,
            members,
            archived,
        }) => {
            let new = NewSpace {
                slug: Slug::parse(&slug).context("--slug")?,
                name,
                description,
                read_roles: RoleSet::parse(&read_roles).context("--read-roles")?,
                post_roles: RoleSet::parse(&post_roles).context("--post-roles")?,
                members: members
                    .map(|m| {
                        m.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(Email::parse)
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()
                    .context("--members")?,
                archived,
            };
            let db = open(&settings).await?;
            let txn = crate::db::begin_write(&db).await?;
            let space = spaces::add(&txn, new, chrono::Utc::now()).await?;
            txn.commit().await?;
            println!("{}", space.id);
            Ok(())
        }
        Command::Eval(_) => unreachable!("handled before settings are loaded"),
        Command::Reindex => {
            let db = open(&settings).await?;
            crate::search::cli::reindex(&db, &settings).await
        }
        Command::Import(ImportCommand::Stackexchange {
            posts,
            space,
            as_user,
            site,
        }) => {
            let db = open(&settings).await?;
            import_stackexchange(&db, &posts, &space, as_user.as_deref(), site).await
        }
        Command::Library(LibraryCommand::Import {
            folder,
            space,
            as_user,
        }) => {
            let db = open(&settings).await?;
            import_library(&db, &settings, &folder, &space, as_user.as_deref()).await
        }
        Command::IndexStatus => {
            let db = open(&settings).await?;
            crate::search::cli::status(&db, &settings).await
        }
        Command::Search {
            query,
            as_user,
            page,
        } => {
            let db = open(&settings).await?;
            crate::search::cli::search(&db, &settings, &query, &as_user, page).await
        }
        Command::Digest(DigestCommand::Preview { user, week, html }) => {
            let db = open(&settings).await?;
            crate::delivery::cli::preview(&db, &settings, &user, week.as_deref(), html.as_deref())
                .await
        }
        Command::Digest(DigestCommand::Run { week, user }) => {
            let db = open(&settings).await?;
            crate::delivery::cli::run(&db, &settings, week.as_deref(), user.as_deref()).await
        }
        Command::Digest(DigestCommand::Status) => {
            let db = open(&settings).await?;
            crate::delivery::cli::status(&db).await
        }
        Command::ExtractText { .. } => bail!("extract-text runs before settings are read"),
        Command::Seed { demo } => {
            if !demo {
                bail!("say what to seed: roundtable seed --demo");
            }
            let db = open(&settings).await?;
            crate::seed::demo(&db).await?;
            let added = crate::seed::documents::load(&db, &settings).await?;
            println!("demo library: {added} documents added");
            let added = crate::seed::case_studies::load(&db).await?;
            println!("demo case studies: {added} added");
            Ok(())
        }
    }
}

async fn open(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = crate::db::connect(settings).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}

fn password_from_env_or_prompt() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("ROUNDTABLE_PASSWORD") {
        return Ok(p);
    }
    let first = rpassword::prompt_password("Password: ")
        .context("no ROUNDTABLE_PASSWORD set and no terminal to ask on")?;
    let second = rpassword::prompt_password("Again: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    if demo {
        let db = open(&settings).await?;
        crate::seed::demo(&db).await?;
        let added = crate::seed::documents::load(&db, &settings).await?;
        println!("demo library: {added} documents added");
        let added = crate::seed::case_studies::load(&db).await?;
        println!("demo case studies: {added} added");
    }
    let app = crate::startup::Application::build(settings).await?;
    println!("Roundtable listening on http://{}", app.addr());
    std::io::stdout().flush().ok();
    app.run_until_stopped()
        .await
        .context("server stopped with an error")
}

async fn import_library(
    db: &DatabaseConnection,
    settings: &Settings,
    folder: &std::path::Path,
    space: &str,
    as_user: Option<&str>,
) -> anyhow::Result<()> {
    use crate::import::library;
    let account = importer(db, as_user, "--as").await?;
    if !folder.is_dir() {
        bail!("{} is not a folder", folder.display());
    }
    let files = library::files_in(folder)?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} files ({eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let summary = library::import(db, settings, &account, space, &files, |_| bar.inc(1)).await?;
    bar.finish_and_clear();
    println!(
        "imported {} of {} files ({:.1} MB) into {space}; their text is read for search by the \
         running server",
        summary.imported,
        files.len(),
        summary.bytes as f64 / 1024.0 / 1024.0
    );
    for (path, why) in &summary.refused {
        println!("refused {}: {why}", path.display());
    }
    if summary.imported == 0 && !summary.refused.is_empty() {
        bail!("no file was imported");
    }
    Ok(())
}

/// The account an import acts as: `email`, or the first admin.
async fn importer(
    db: &DatabaseConnection,
    email: Option<&str>,
    flag: &str,
) -> anyhow::Result<crate::db::entities::user::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    match email {
        Some(email) => {
            let email = Email::parse(email).with_context(|| flag.to_string())?;
            accounts::find_user(db, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{flag}: no user with email {email}"))
        }
        None => crate::db::entities::user::Entity::find()
            .filter(crate::db::entities::user::Column::Role.eq(Role::Admin.as_str()))
            .order_by_asc(crate::db::entities::user::Column::Id)
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no admin to import as: give {flag} EMAIL")),
    }
}

async fn import_stackexchange(
    db: &DatabaseConnection,
    posts: &std::path::Path,
    space: &str,
    as_user: Option<&str>,
    site: Option<String>,
) -> anyhow::Result<()> {
    use crate::import::stackexchange;
    let target = spaces::find_by_slug(db, space)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--space: no space with slug {space:?}"))?;
    let author = importer(db, as_user, "--as-user").await?;
    let rows = stackexchange::read_rows(posts).context("--posts")?;
    let site = site
        .or_else(|| stackexchange::site_from_folder(posts))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--site: cannot tell the site from {}; give --site",
                posts.display()
            )
        })?;
    let questions = rows.iter().filter(|r| r.post_type == "1").count() as u64;
    let bar = indicatif::ProgressBar::new(questions);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} questions ({eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let summary =
        stackexchange::import(db, rows, &site, target.id, author.id, || bar.inc(1)).await?;
    bar.finish_and_clear();
    println!(
        "imported {} threads and {} replies from {site} into {space}; {} already there, {} skipped as invalid",
        summary.threads, summary.replies, summary.skipped_existing, summary.skipped_invalid
    );
    println!("{}", summary.threads);
    Ok(())
}

async fn named_org(
    db: &sea_orm::DatabaseConnection,
    name: &str,
) -> anyhow::Result<crate::db::entities::organisation::Model> {
    accounts::find_org_by_name(db, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--org: no organisation named {name:?}"))
}

/// A use case's refusal as the CLI says it: the option at fault and why.
fn option_error(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Validation {
            field: Some(field),
            message,
        } => {
            let option = match field.as_str() {
                "client_secret" => "client-secret-env".to_string(),
                other => other.replace('_', "-"),
            };
            anyhow::anyhow!("--{option}: {message}")
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn idp_command(
    db: &sea_orm::DatabaseConnection,
    keys: &crate::auth::keys::Keys,
    command: IdpCommand,
) -> anyhow::Result<()> {
    use crate::use_cases::identity_providers::{self as idp, NewProvider};
    let now = chrono::Utc::now();
    match command {
        IdpCommand::Add {
            org,
            issuer,
            tenant_id,
            client_id,
            client_secret_env,
            auto_admit,
        } => {
            let found = named_org(db, &org).await?;
            let client_secret = std::env::var(&client_secret_env).map_err(|_| {
                anyhow::anyhow!(
                    "--client-secret-env: the environment variable {client_secret_env:?} is not set"
                )
            })?;
            let new = NewProvider {
                issuer,
                tenant_id,
                client_id,
                client_secret,
                auto_admit,
            };
            let saved = idp::put(db, keys, &found, new, None, now)
                .await
                .map_err(option_error)?;
            println!("{}", saved.issuer);
        }
        IdpCommand::Remove { org } => {
            let found = named_org(db, &org).await?;
            if !idp::remove(db, &found, None, now)
                .await
                .map_err(option_error)?
            {
                anyhow::bail!("--org: {org:?} has no sign-in service registered");
            }
            println!("removed");
        }
        IdpCommand::List => {
            let names = crate::use_cases::admin::org_names(db).await?;
            for p in idp::all(db).await? {
                let name = names.get(&p.organisation_id).cloned().unwrap_or_default();
                let admission = if p.auto_admit {
                    "automatic"
                } else {
                    "sponsored"
                };
                println!("{name}\t{}\t{}\t{admission}", p.issuer, p.client_id);
            }
        }
    }
    Ok(())
}

async fn domain_command(
    db: &sea_orm::DatabaseConnection,
    command: DomainCommand,
) -> anyhow::Result<()> {
    match command {
        DomainCommand::Add { org, domain } => {
            let found = accounts::find_org_by_name(db, &org)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--org: no organisation named {org:?}"))?;
            let added = accounts::add_domain(db, &found, &domain, chrono::Utc::now())
                .await
                .context("--domain")?;
            println!("{}", added.id);
        }
        DomainCommand::Remove { domain } => {
            if !accounts::remove_domain(db, &domain)
                .await
                .context("--domain")?
            {
                anyhow::bail!("--domain: {domain:?} is not on any organisation's list");
            }
            println!("removed");
        }
        DomainCommand::List => {
            let names: std::collections::HashMap<i32, String> =
                crate::use_cases::admin::org_names(db).await?;
            let mut rows: Vec<(String, String)> = accounts::domains_by_organisation(db)
                .await?
                .into_iter()
                .flat_map(|(org, domains)| {
                    let name = names.get(&org).cloned().unwrap_or_default();
                    domains.into_iter().map(move |d| (d, name.clone()))
                })
                .collect();
            rows.sort();
            for (domain, org) in rows {
                println!("{domain}\t{org}");
            }
        }
    }
    Ok(())
}
