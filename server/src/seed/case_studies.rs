//! Demo case studies: a dozen across the service areas, written for the demo (every figure
//! invented, and each title says so), and demo best practice: an endorsed document whose review
//! is nearly due, and an older endorsed thread superseded by a case study. Idempotent: a title
//! already in its space is left alone.
use crate::best_practice::store::{self as endorsements, Terms};
use crate::best_practice::{Item, Status};
use crate::case_studies::{store, CaseStudyInput};
use crate::db::entities::{document, thread, user};
use crate::domain::{Marking, TagList};
use crate::forum::input::{RenderedBody, Title};
use crate::forum::threads;
use anyhow::Context;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

struct Demo {
    space: &'static str,
    author: &'static str,
    title: &'static str,
    body: &'static str,
    sensitive: bool,
    area: &'static str,
    forces: &'static [&'static str],
    suppliers: &'static [&'static str],
    start: &'static str,
    months: i32,
    value: i64,
    before: i64,
    after: i64,
    terms: &'static [&'static str],
    outcomes: &'static str,
    lessons: &'static str,
    contact: &'static str,
    /// The title of a demo document in the same space that holds the figures.
    source: Option<&'static str>,
}

const FLEET: &str = "Fleet telematics across three forces (demo)";

const DEMO: &[Demo] = &[
    Demo {
        space: "commercial-procurement",
        author: "helen.ashdown@kent.police.example",
        title: FLEET,
        body: "We fitted telematics to 1,100 vehicles after a six-month pilot and used the data to cut the pool fleet. Figures invented for the demo.",
        sensitive: false,
        area: "fleet",
        forces: &["Kent Police", "Essex Police", "Surrey Police"],
        suppliers: &["Kestrelgate Systems"],
        start: "2025-04-01",
        months: 48,
        value: 1_900_000,
        before: 6_400_000,
        after: 5_900_000,
        terms: &["benchmarking_clause", "service_credits"],
        outcomes: "Fuel down 9%, idling down 31%, 38 fewer pool cars.",
        lessons: "Do the data protection impact assessment and the union consultation before the pilot, not after.",
        contact: "Head of Fleet, Kent Police",
        source: Some("Fleet telematics business case (demo)"),
    },
    Demo {
        space: "commercial-procurement",
        author: "mark.tennant@essex.police.example",
        title: "Custody health care re-procured with a benchmarking clause (demo)",
        body: "Our custody health care contract was re-let with a benchmarking clause at month 18 and open-book accounting. Figures invented for the demo.",
        sensitive: true,
        area: "custody",
        forces: &["Essex Police", "Kent Police"],
        suppliers: &["Meridian Custody Health"],
        start: "2024-10-01",
        months: 60,
        value: 14_500_000,
        before: 3_400_000,
        after: 2_890_000,
        terms: &["benchmarking_clause", "open_book"],
        outcomes: "Charges fell 15% at the first benchmark; response times held.",
        lessons: "Agree the comparator basket before signing; the supplier will contest it otherwise.",
        contact: "Commercial lead, Essex Police",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "ruth.okafor@thamesvalley.police.example",
        title: "Joint control room telephony for two forces (demo)",
        body: "Thames Valley and Hampshire bought one telephony platform for both control rooms. Figures invented for the demo.",
        sensitive: false,
        area: "control-room",
        forces: &["Thames Valley Police", "Hampshire and Isle of Wight Constabulary"],
        suppliers: &["Northgate Voice"],
        start: "2023-07-01",
        months: 84,
        value: 8_200_000,
        before: 2_100_000,
        after: 1_640_000,
        terms: &["collaboration_agreement", "fixed_price"],
        outcomes: "One platform, one support contract, calls overflow between control rooms.",
        lessons: "Agree the section 22A collaboration agreement before the procurement starts.",
        contact: "Joint ICT programme manager",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "sanjay.mehta@westmidlands.police.example",
        title: "Regional forensics: digital examination gain-share (demo)",
        body: "A regional digital forensics contract where the supplier shares savings it proposes. Figures invented for the demo.",
        sensitive: false,
        area: "forensics",
        forces: &["West Midlands Police", "Staffordshire Police", "West Mercia Police", "Warwickshire Police"],
        suppliers: &["Cellebrite UK", "Forensic Access Ltd"],
        start: "2024-01-01",
        months: 36,
        value: 5_400_000,
        before: 2_300_000,
        after: 1_955_000,
        terms: &["gain_share", "open_book"],
        outcomes: "Backlog down from 14 weeks to 6; 15% saving.",
        lessons: "Cap the gain-share period, and audit the baseline the supplier claims savings against.",
        contact: "Regional forensics manager",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "claire.hollins@gmp.police.example",
        title: "Data centre exit to a government cloud framework (demo)",
        body: "We closed our second data centre and moved workloads to a cloud framework. Figures invented for the demo.",
        sensitive: false,
        area: "ict-infrastructure",
        forces: &["Greater Manchester Police"],
        suppliers: &["Crown Cloud Services"],
        start: "2025-01-01",
        months: 36,
        value: 4_800_000,
        before: 3_900_000,
        after: 3_300_000,
        terms: &["break_clause", "service_credits"],
        outcomes: "Second data centre closed; recovery tested twice a year.",
        lessons: "Budget for egress charges and for running both estates for six months.",
        contact: "Chief digital officer, GMP",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "tom.penrose@devonandcornwall.police.example",
        title: "Shared HR and payroll service (demo)",
        body: "Two forces share one HR and payroll service run by one of them. Figures invented for the demo.",
        sensitive: false,
        area: "back-office",
        forces: &["Devon & Cornwall Police", "Dorset Police"],
        suppliers: &[],
        start: "2022-04-01",
        months: 120,
        value: 0,
        before: 4_200_000,
        after: 3_450_000,
        terms: &["collaboration_agreement"],
        outcomes: "One payroll run, one policy set, 21 fewer posts through turnover.",
        lessons: "Harmonise allowances first; it takes longer than the system.",
        contact: "Director of people services",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "gareth.llewelyn@northwales.police.example",
        title: "Estates: sharing stations with the fire service (demo)",
        body: "Six stations now house fire and police together. Figures invented for the demo.",
        sensitive: false,
        area: "estates",
        forces: &["North Wales Police"],
        suppliers: &["North Wales Fire and Rescue Service"],
        start: "2023-09-01",
        months: 300,
        value: 0,
        before: 1_250_000,
        after: 980_000,
        terms: &["joint_venture"],
        outcomes: "Six buildings sold; shared stations kept in every town.",
        lessons: "Settle who pays for what in the lease before the first move.",
        contact: "Head of estates, North Wales Police",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "fiona.blake@avonandsomerset.police.example",
        title: "Body-worn video: moving to a consortium contract (demo)",
        body: "We joined a consortium call-off for body-worn video with cloud storage. Figures invented for the demo.",
        sensitive: false,
        area: "body-worn-video",
        forces: &["Avon and Somerset Constabulary", "Gloucestershire Constabulary", "Wiltshire Police"],
        suppliers: &["Axon Public Safety UK"],
        start: "2024-06-01",
        months: 60,
        value: 6_100_000,
        before: 1_700_000,
        after: 1_530_000,
        terms: &["fixed_price", "benchmarking_clause"],
        outcomes: "Cameras replaced on schedule; evidence sharing with the CPS in one place.",
        lessons: "Storage volumes grow faster than the business case says.",
        contact: "Digital evidence lead",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "david.marchant@hampshire.police.example",
        title: "Records management system: open-book renewal (demo)",
        body: "Our records management contract was renewed on open-book terms after a market test. Figures invented for the demo.",
        sensitive: true,
        area: "records-management",
        forces: &["Hampshire and Isle of Wight Constabulary"],
        suppliers: &["Niche Technology"],
        start: "2025-03-01",
        months: 36,
        value: 3_300_000,
        before: 1_150_000,
        after: 1_060_000,
        terms: &["open_book", "break_clause"],
        outcomes: "8% lower support charge; roadmap commitments written in.",
        lessons: "A credible market test is the strongest lever in a renewal.",
        contact: "Head of commercial, Hampshire",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "joanne.whitworth@lancashire.police.example",
        title: "Custody detention officers: in-house again (demo)",
        body: "We brought custody detention officers back in-house at the end of an outsourced contract. Figures invented for the demo.",
        sensitive: false,
        area: "custody",
        forces: &["Lancashire Constabulary"],
        suppliers: &[],
        start: "2024-04-01",
        months: 0,
        value: 0,
        before: 5_600_000,
        after: 5_880_000,
        terms: &[],
        outcomes: "Cost rose 5%; attrition halved and inspection findings improved.",
        lessons: "Not every change is a saving: count turnover and quality too.",
        contact: "Custody commander, Lancashire",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "paul.redhead@northumbria.police.example",
        title: "Driver training through a regional academy (demo)",
        body: "Three forces send response and pursuit drivers to one regional driving academy. Figures invented for the demo.",
        sensitive: false,
        area: "training",
        forces: &["Northumbria Police", "Durham Constabulary", "Cleveland Police"],
        suppliers: &[],
        start: "2023-01-01",
        months: 60,
        value: 2_250_000,
        before: 900_000,
        after: 720_000,
        terms: &["collaboration_agreement", "gain_share"],
        outcomes: "Course waiting times down from 16 weeks to 5.",
        lessons: "Share instructors' rosters weekly; one force's sickness is everyone's backlog.",
        contact: "Regional academy manager",
        source: None,
    },
    Demo {
        space: "commercial-procurement",
        author: "amira.shah@surrey.police.example",
        title: "Forensic collision investigation shared with Sussex (demo)",
        body: "One collision investigation unit serves two forces. Figures invented for the demo.",
        sensitive: false,
        area: "forensics",
        forces: &["Surrey Police", "Sussex Police"],
        suppliers: &[],
        start: "2022-10-01",
        months: 60,
        value: 0,
        before: 1_600_000,
        after: 1_280_000,
        terms: &["collaboration_agreement"],
        outcomes: "Accreditation kept; one on-call rota.",
        lessons: "Write the cost-sharing formula down, and review it every year.",
        contact: "Head of roads policing, Surrey",
        source: None,
    },
];

fn input(d: &Demo, source: Option<i32>) -> CaseStudyInput {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    CaseStudyInput {
        service_area: d.area.into(),
        forces: owned(d.forces),
        suppliers: owned(d.suppliers),
        contract_start: Some(d.start.into()),
        contract_months: (d.months > 0).then_some(d.months),
        contract_value: d.value,
        annual_cost_before: d.before,
        annual_cost_after: d.after,
        terms: owned(d.terms),
        outcomes: d.outcomes.into(),
        lessons: d.lessons.into(),
        contact: d.contact.into(),
        source_document_id: source,
    }
}

async fn user_id(db: &DatabaseConnection, email: &str) -> anyhow::Result<i32> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
        .with_context(|| format!("demo case study names unknown user {email}"))?
        .id)
}

async fn thread_titled(
    db: &DatabaseConnection,
    space_id: i32,
    title: &str,
) -> anyhow::Result<Option<thread::Model>> {
    Ok(thread::Entity::find()
        .filter(thread::Column::SpaceId.eq(space_id))
        .filter(thread::Column::Title.eq(title))
        .one(db)
        .await?)
}

/// Adds the demo case studies that are not there yet; returns how many were added.
pub async fn load(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let now = Utc::now();
    let mut added = 0;
    for (i, d) in DEMO.iter().enumerate() {
        let space = crate::spaces::find_by_slug(db, d.space)
            .await?
            .with_context(|| format!("demo case study names unknown space {}", d.space))?;
        if thread_titled(db, space.id, d.title).await?.is_some() {
            continue;
        }
        let source = match d.source {
            Some(title) => document::Entity::find()
                .filter(document::Column::SpaceId.eq(space.id))
                .filter(document::Column::Title.eq(title))
                .one(db)
                .await?
                .map(|doc| doc.id),
            None => None,
        };
        let fields = input(d, source)
            .check()
            .map_err(|e| anyhow::anyhow!("demo case study {}: {e}", d.title))?;
        let area = store::area_by_slug(db, &fields.service_area)
            .await?
            .with_context(|| format!("demo case study names unknown area {}", d.area))?;
        let author = user_id(db, d.author).await?;
        let at = now - Duration::days(40 - i as i64 * 3);
        let txn = crate::db::begin_write(db).await?;
        let (thread_id, _) = threads::start(
            &txn,
            space.id,
            author,
            threads::NewThread {
                title: Title::parse(d.title, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
                body: RenderedBody::from_markdown(d.body, 100_000)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                tags: TagList::parse(&["case-study".to_string()], 10)?,
                marking: if d.sensitive {
                    Marking::OfficialSensitive
                } else {
                    Marking::Official
                },
            },
            at,
        )
        .await?;
        store::write(&txn, thread_id, area.id, &fields, at).await?;
        txn.commit().await?;
        added += 1;
    }
    endorse_demo(db).await?;
    Ok(added)
}

/// The demo's best practice: the model benchmarking clause (review due in ten days, so its
/// owner's next digest reminds them) and the older open-book thread, superseded by the fleet
/// case study.
async fn endorse_demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let now = Utc::now();
    let admin = user_id(db, "admin@roundtable.example").await?;
    let commercial = crate::spaces::find_by_slug(db, "commercial-procurement")
        .await?
        .context("demo space commercial-procurement")?;
    if let Some(doc) = document::Entity::find()
        .filter(document::Column::SpaceId.eq(commercial.id))
        .filter(document::Column::Title.eq("Benchmarking clause: model contract terms (demo)"))
        .one(db)
        .await?
    {
        let item = Item::Document(doc.id);
        if endorsements::find(db, item).await?.is_none() {
            let terms = Terms {
                owner_id: doc.owner_id,
                review_due: (now + Duration::days(10)).date_naive(),
                status: Status::Current,
                successor: None,
            };
            let txn = crate::db::begin_write(db).await?;
            endorsements::write(&txn, item, &terms, admin, now).await?;
            crate::outbox::record(&txn, crate::outbox::Change::Document(doc.id), now).await?;
            txn.commit().await?;
        }
    }
    let fleet = thread_titled(db, commercial.id, FLEET).await?;
    let older = thread::Entity::find()
        .filter(thread::Column::Title.starts_with("Open-book contract management on our fleet"))
        .one(db)
        .await?;
    if let (Some(fleet), Some(older)) = (fleet, older) {
        let item = Item::Thread(older.id);
        let current = endorsements::find(db, item).await?;
        if current
            .as_ref()
            .is_none_or(|e| endorsements::status_of(e) != Status::Superseded)
        {
            let terms = Terms {
                owner_id: older.author_id,
                review_due: current
                    .map_or((now + Duration::days(200)).date_naive(), |e| e.review_due),
                status: Status::Superseded,
                successor: Some(Item::Thread(fleet.id)),
            };
            let txn = crate::db::begin_write(db).await?;
            endorsements::write(&txn, item, &terms, admin, now).await?;
            crate::outbox::record(&txn, crate::outbox::Change::Thread(older.id), now).await?;
            txn.commit().await?;
        }
    }
    Ok(())
}
