//! A person's record in their house: since when they are a member (the time in the house a
//! report weighs by), their approved posts (a new member's first posts are held), their reports
//! moderators upheld or rejected, and their chats digest choice.
//!
//! A person's home is the house (or place) of their units inside the call's community; staff
//! and moderators without a unit there are kept at the call's community. The record is made the
//! first time the plugin meets them — when the host says they joined, or when they first act —
//! so "time in the house" is counted from then.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::{DigestChoice, PEOPLE, PersonDoc};
use crate::reports::Standing;

/// The id of `person`'s record at `home`.
pub fn record_id(home: &str, person: &str) -> String {
    format!("{home}|{person}")
}

/// `person`'s home inside the call's community: the community of their first unit here, or
/// the call's community.
pub fn home_of(person: &str) -> String {
    let mut homes: Vec<String> = directory::units_of(person)
        .into_iter()
        .map(|u| u.community)
        .collect();
    homes.sort();
    homes.into_iter().next().unwrap_or_else(ctx::community)
}

/// `person`'s record at `home`, made now (as a new member) if there is none.
pub fn record(home: &str, person: &str, name: &str) -> Result<Doc<PersonDoc>> {
    let id = record_id(home, person);
    if let Some(doc) = PEOPLE.get(&id)? {
        return Ok(doc);
    }
    let fresh = PersonDoc {
        person: person.to_owned(),
        home: home.to_owned(),
        name: name.to_owned(),
        member_since: ctx::now(),
        approved_posts: 0,
        accurate_reports: 0,
        rejected_reports: 0,
        digest: DigestChoice::Off,
        last_seen: 0,
        last_digest: 0,
    };
    match PEOPLE.insert(home, Some(&id), &fresh) {
        Ok(doc) => Ok(doc),
        // Made meanwhile by another call of the same person.
        Err(e) if e.is(ErrorCode::Conflict) => PEOPLE
            .get(&id)?
            .ok_or_else(|| Error::internal("a person's record vanished")),
        Err(e) => Err(e),
    }
}

/// The caller's record at their home here.
pub fn of_caller(caller: &ctx::Caller) -> Result<Doc<PersonDoc>> {
    record(
        &home_of(&caller.person_id),
        &caller.person_id,
        &caller.display_name,
    )
}

/// Change `person`'s record at their home here with `change`, written back at once.
pub fn update(person: &str, name: &str, change: impl FnOnce(&mut PersonDoc)) -> Result<()> {
    let mut doc = record(&home_of(person), person, name)?;
    change(&mut doc.data);
    PEOPLE.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    Ok(())
}

/// What `person`'s report weighs by: their record, and whether they own a unit here with a
/// verified ownership.
pub fn standing(person: &str, record: &PersonDoc) -> Result<Standing> {
    let offset = ctx::utc_offset_minutes()?;
    let since = Date::from_timestamp(record.member_since, offset)
        .ok_or_else(|| Error::internal("a member's date is out of the calendar"))?;
    let verified_owner = directory::units_of(person).iter().any(|unit| {
        directory::owners(&unit.id)
            .iter()
            .any(|o| o.person_id == person && o.verified)
    });
    Ok(Standing {
        member_since: since,
        verified_owner,
        accurate_reports: record.accurate_reports,
        rejected_reports: record.rejected_reports,
    })
}
