//! The chats digest (the `digest` job, every five minutes): to each person who chose one
//! (e-mail or SMS) and has not looked at their chats for `digest_after_hours`, one
//! notification of what they have not read, at most once per that many hours. E-mail goes as a
//! normal notification, SMS as an urgent one: the host sends each by the channels the person
//! allowed.
//!
//! The job's first run also seeds the demo, when the settings ask for it.

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;

use crate::chat::{self, Membership};
use crate::model::{DigestChoice, PEOPLE, Settings};
use crate::rooms::Room;

/// People looked at per chunk.
const CHUNK: u32 = 100;

/// One chunk of the job: the next people who chose a digest.
pub fn run(job: &Job) -> Result<JobStep> {
    let settings = Settings::load()?;
    if job.cursor.is_none() {
        crate::demo::seed_once(&settings)?;
    }
    let now = ctx::now();
    let quiet = i64::from(settings.digest_after_hours) * 3_600_000;
    let page = PEOPLE
        .query()
        .filter("digest", Compare::Ne, DigestChoice::Off.code())
        .limit(CHUNK)
        .cursor(job.cursor.as_deref())
        .fetch()?;
    let mut houses: BTreeMap<String, (Vec<Room>, Vec<String>)> = BTreeMap::new();
    for mut doc in page.docs {
        let p = &doc.data;
        if now - p.last_seen < quiet || now - p.last_digest < quiet {
            continue;
        }
        let house = p.home.clone();
        if !chat::is_house(&house) {
            continue;
        }
        let (rooms, residents) = houses.entry(house.clone()).or_insert_with(|| {
            (
                chat::rooms_of_house(&house, &settings.rooms),
                directory::people_with_role(&house, "resident"),
            )
        });
        let membership = Membership::of_person(&p.person, &house, residents);
        let mut lines = Vec::new();
        let mut total = 0;
        for room in membership.rooms(rooms) {
            // What they have not read, and not been told of already.
            let since = chat::last_read(&room.id, &p.person)?.max(p.last_digest);
            let n = chat::count_after(&room.id, &p.person, since)?;
            if n > 0 {
                total += n;
                lines.push(format!("{} — {n}", room.title));
            }
        }
        if total == 0 {
            continue;
        }
        let urgency = match p.digest {
            DigestChoice::Sms => Urgency::High,
            _ => Urgency::Normal,
        };
        chat::notify_one(
            &p.person,
            &chat::digest_message(&house, &lines, total).urgency(urgency),
        )?;
        doc.data.last_digest = now;
        PEOPLE.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    }
    Ok(JobStep::continue_from(page.next_cursor))
}
