//! The demo library: a few documents of every accepted type, written for the demo (every
//! figure invented, and each title says so), shared by demo people in the demo spaces through
//! the same upload steps as the API. Idempotent: a title already in its space is left alone.
use crate::accounts;
use crate::db::entities::document;
use crate::domain::Email;
use crate::import::library::{acting_as, operator_uploads, share, Refusal};
use crate::library::samples;
use crate::library::Library;
use crate::settings::Settings;
use crate::use_cases::documents::UploadDetails;
use anyhow::Context;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

struct DemoDocument {
    space: &'static str,
    owner: &'static str,
    filename: &'static str,
    title: &'static str,
    summary: &'static str,
    marking: &'static str,
    bytes: fn() -> Vec<u8>,
}

const DEMO: &[DemoDocument] = &[
    DemoDocument {
        space: "commercial-procurement",
        owner: "helen.ashdown@kent.police.example",
        filename: "Fleet telematics business case.pdf",
        title: "Fleet telematics business case (demo)",
        summary: "The case for telematics across 1,100 vehicles: fuel, idling and pool-car figures before and after a six-month pilot. Figures invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            samples::pdf(
                "Fleet telematics business case (DEMO: every figure is invented)\n\
                 Scope: 1,100 marked and unmarked vehicles, three workshops.\n\
                 Pilot: 120 vehicles for six months, with driver feedback on idling.\n\
                 Fuel: down 9% on the pilot fleet; idling down 31%.\n\
                 Pool cars: utilisation up from 41% to 63%, allowing 38 fewer vehicles.\n\
                 Annual cost before: 6.4 million; after: 5.9 million; saving 7.8%.\n\
                 Contract: three years plus one, with a benchmarking clause at month 18.\n\
                 Risks: data protection impact assessment for driver data; union consultation.",
            )
        },
    },
    DemoDocument {
        space: "commercial-procurement",
        owner: "mark.tennant@essex.police.example",
        filename: "Benchmarking clause - model terms.docx",
        title: "Benchmarking clause: model contract terms (demo)",
        summary: "Model wording for a benchmarking clause, with open-book accounting and a gain-share on savings found. Written for the demo; not legal advice.",
        marking: "OFFICIAL-SENSITIVE",
        bytes: || {
            samples::docx(
                "Benchmarking clause: model contract terms (DEMO)\n\
                 1. At the end of month 18, and every 24 months after, the Authority may appoint an independent benchmarker.\n\
                 2. The benchmarker compares the Charges with those of at least three comparable services in the public sector.\n\
                 3. Where the Charges are more than 5% above the upper quartile, the Supplier reduces them to it within 60 days.\n\
                 4. Open-book accounting: the Supplier keeps and shares its costs, overheads and margin for the Services.\n\
                 5. Gain-share: savings the Supplier proposes and the Authority accepts are shared 50:50 for two years.",
            )
        },
    },
    DemoDocument {
        space: "resilience",
        owner: "ruth.okafor@thamesvalley.police.example",
        filename: "Control room go-live lessons.odt",
        title: "Lessons learned: control room go-live (demo)",
        summary: "What went well and what we would change after moving the force control room to a new command and control system. Invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            samples::odt(
                "Lessons learned: control room go-live (DEMO)\n\
                 Run the old and new systems side by side for two weeks, not one.\n\
                 Put super-users on every shift for the first month.\n\
                 Rehearse the fallback to paper at least twice, at night.\n\
                 Agree the mutual aid call-handling arrangement with neighbours before go-live.\n\
                 Call answering within 10 seconds dipped to 84% in week one and recovered to 93% by week four.",
            )
        },
    },
    DemoDocument {
        space: "best-practice",
        owner: "sanjay.mehta@westmidlands.police.example",
        filename: "Custody estate running costs.xlsx",
        title: "Custody estate running costs 2025-26 (demo figures)",
        summary: "Running costs per custody suite, cells and throughput, used to compare a hub model with the current estate. Every figure invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            samples::xlsx(&[
                &["Suite", "Cells", "Detainees a year", "Annual running cost", "Cost per detainee"],
                &["North hub (demo)", "40", "9800", "3100000", "316"],
                &["Central (demo)", "24", "5200", "2250000", "433"],
                &["Riverside (demo)", "18", "3100", "1900000", "613"],
                &["Total", "82", "18100", "7250000", "401"],
            ])
        },
    },
    DemoDocument {
        space: "best-practice",
        owner: "claire.hollins@gmp.police.example",
        filename: "Forensics collaboration savings.ods",
        title: "Forensics collaboration savings (demo figures)",
        summary: "Savings from a regional forensics collaboration across four forces, by service line. Invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            samples::ods(&[
                &["Service line", "Cost before", "Cost after", "Saving"],
                &["Fingerprints (demo)", "1800000", "1520000", "15.6%"],
                &["Digital forensics (demo)", "2600000", "2310000", "11.2%"],
                &["DNA submissions (demo)", "1200000", "1090000", "9.2%"],
            ])
        },
    },
    DemoDocument {
        space: "it-digital",
        owner: "tom.penrose@devonandcornwall.police.example",
        filename: "Cloud contact centre board briefing.pptx",
        title: "Cloud contact centre: board briefing (demo)",
        summary: "Slides for the force management board on moving 101 and online contact to a cloud contact centre. Invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            samples::pptx(&[
                "Cloud contact centre: board briefing (DEMO)",
                "Why: the on-premises telephony reaches end of support in 2027",
                "What: 101, online chat and callbacks in one cloud contact centre",
                "Cost: 1.2 million over five years against 1.6 million to replace like for like",
                "Risks: resilience of the connection to the control room; data residency in the UK",
            ])
        },
    },
    DemoDocument {
        space: "resilience",
        owner: "helen.ashdown@kent.police.example",
        filename: "Mutual aid request checklist.txt",
        title: "Mutual aid request checklist (demo)",
        summary: "What to have ready before asking the National Police Coordination Centre for mutual aid. Written for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            b"Mutual aid request checklist (DEMO)\n\
              1. The operation's name, dates and briefing location.\n\
              2. Numbers by role: PSU, POLSA, public order commanders, search advisers.\n\
              3. Accommodation, feeding and travel arrangements for visiting officers.\n\
              4. The cost recovery agreement under the national charging guidance.\n\
              5. A single point of contact on every shift.\n"
                .to_vec()
        },
    },
    DemoDocument {
        space: "it-digital",
        owner: "ruth.okafor@thamesvalley.police.example",
        filename: "Cyber incident playbook.md",
        title: "Cyber incident playbook (demo)",
        summary: "The first hour of a ransomware incident: who calls whom, what to isolate, what to keep. Written for the demo.",
        marking: "OFFICIAL-SENSITIVE",
        bytes: || {
            b"# Cyber incident playbook (DEMO)\n\n\
              ## The first hour\n\n\
              - Isolate affected hosts from the network; do not switch them off.\n\
              - Call the regional cyber crime unit and the NPCC cyber lead.\n\
              - Start the decision log; keep every ransom note and screenshot.\n\
              - Move the control room to its fallback if command and control is touched.\n\n\
              ## Afterwards\n\n\
              - Report to the ICO within 72 hours where personal data is affected.\n"
                .to_vec()
        },
    },
    DemoDocument {
        space: "commercial-procurement",
        owner: "mark.tennant@essex.police.example",
        filename: "ICT contract register extract.csv",
        title: "ICT contract register extract (demo)",
        summary: "Contracts due for renewal in the next two years, with values and whether a benchmarking clause applies. Invented for the demo.",
        marking: "OFFICIAL",
        bytes: || {
            b"contract,supplier,annual value,ends,benchmarking clause\n\
              Records management (demo),Kestrelgate Ltd,420000,2027-03-31,yes\n\
              Mobile devices (demo),Northwind Mobile,780000,2027-09-30,no\n\
              Data centre hosting (demo),Harbour Cloud,1150000,2028-01-31,yes\n"
                .to_vec()
        },
    },
];

/// Shares the demo documents that are not there yet; returns how many were added.
pub async fn load(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<usize> {
    let library = Library::from_settings(settings)?;
    let uploads = operator_uploads(db, &library, settings);
    let mut added = 0;
    for d in DEMO {
        let space = crate::spaces::find_by_slug(db, d.space)
            .await?
            .with_context(|| format!("demo document names unknown space {}", d.space))?;
        let exists = document::Entity::find()
            .filter(document::Column::SpaceId.eq(space.id))
            .filter(document::Column::Title.eq(d.title))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let owner = accounts::find_user(db, &Email::parse(d.owner)?)
            .await?
            .with_context(|| format!("demo document names unknown owner {}", d.owner))?;
        let viewer = acting_as(&owner)?;
        let details = UploadDetails {
            title: Some(d.title.to_string()),
            summary: Some(d.summary.to_string()),
            marking: Some(d.marking.to_string()),
        };
        let bytes = (d.bytes)();
        match share(&uploads, &viewer, d.space, d.filename, &bytes[..], details).await {
            Ok(_) => added += 1,
            Err(Refusal::File(why)) => anyhow::bail!("demo document {}: {why}", d.filename),
            Err(Refusal::Stop(e)) => return Err(e.context(format!("demo document {}", d.filename))),
        }
    }
    Ok(added)
}
