//! The SNT's roll of voters as the `snt` plugin's register keeps it: each `snt.register_changed`
//! event (a record's whole standing, with its version `seq`) is stored here, the newest version
//! winning, so that an SNT meeting's members and non-member owners are the register's.
//!
//! Where no register runs (an instance without the `snt` plugin), the host's roles
//! (`snt-member`) and the units' owners stay the source; for the people the register knows,
//! the register wins — a member who left is no longer a member, whatever roles remain.

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The kind of event the roll follows.
pub const REGISTER_CHANGED: &str = "snt.register_changed";

/// The register's records, id `{community}:{record}`.
pub const ROLL: Collection<Entry> = Collection::new("roll");

/// One register record as the last event told it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The register's record id.
    pub record: String,
    /// Their dvor account, if the record is linked to one.
    #[serde(default)]
    pub person_id: Option<String>,
    /// Their name as the register has it.
    #[serde(default)]
    pub name: String,
    /// A member of the partnership.
    pub member: bool,
    /// An owner of a plot who is not a member.
    pub owner: bool,
    /// Their plots.
    #[serde(default)]
    pub plots: Vec<String>,
    /// The record's version in the register.
    pub seq: u64,
}

/// Keep the event's record unless a newer version is stored already (events may come twice or
/// out of order).
pub fn follow(event: &Event) -> Result<()> {
    let entry: Entry = event.payload()?;
    let id = format!("{}:{}", event.community, entry.record);
    match ROLL.get(&id)? {
        Some(stored) if stored.data.seq >= entry.seq => Ok(()),
        Some(stored) => {
            ROLL.put(&event.community, &id, &entry, Some(stored.version))?;
            Ok(())
        }
        // Stored meanwhile by a redelivery: the conflict is retried and the versions decide.
        None => {
            ROLL.insert(&event.community, Some(&id), &entry)?;
            Ok(())
        }
    }
}

/// The roll of a partnership, from its register and, for people the register does not know,
/// from the host's roles and owners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roll {
    /// Members with a dvor account (they vote online).
    pub members: Vec<String>,
    /// Members in all, with the register's members who have no account (they vote on paper).
    pub member_count: usize,
    /// Non-member owners with a dvor account.
    pub owners: Vec<String>,
    /// Non-member owners in all.
    pub owner_count: usize,
}

impl Roll {
    /// Combine the register's entries with the host's `snt-member` role holders and the
    /// owners of the partnership's units.
    pub fn combine(entries: &[Entry], role_members: &[String], unit_owners: &[String]) -> Roll {
        let known: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.person_id.as_deref())
            .collect();
        let unknown = |p: &&String| !known.contains(&p.as_str());
        let mut members: Vec<String> = entries
            .iter()
            .filter(|e| e.member)
            .filter_map(|e| e.person_id.clone())
            .collect();
        let role_only: Vec<String> = role_members.iter().filter(unknown).cloned().collect();
        members.extend(role_only.iter().cloned());
        members.sort();
        members.dedup();
        let mut owners: Vec<String> = entries
            .iter()
            .filter(|e| e.owner)
            .filter_map(|e| e.person_id.clone())
            .collect();
        let mut owners_only: Vec<String> = unit_owners
            .iter()
            .filter(unknown)
            .filter(|p| !members.contains(p))
            .cloned()
            .collect();
        owners_only.sort();
        owners_only.dedup();
        owners.extend(owners_only.iter().cloned());
        owners.sort();
        owners.dedup();
        let mut role_only = role_only;
        role_only.sort();
        role_only.dedup();
        Roll {
            member_count: entries.iter().filter(|e| e.member).count() + role_only.len(),
            owner_count: entries.iter().filter(|e| e.owner).count() + owners_only.len(),
            members,
            owners,
        }
    }

    /// The roll of `community` now.
    pub fn of(community: &str) -> Result<Roll> {
        // An instance whose config does not grant `roll` (the host logs the denial) keeps the
        // roles as the source, as before the register existed.
        let entries: Vec<Entry> = match ROLL.query().in_community(community).fetch_all() {
            Ok(docs) => docs.into_iter().map(|d| d.data).collect(),
            Err(e) if e.is(ErrorCode::Forbidden) => Vec::new(),
            Err(e) => return Err(e),
        };
        let role_members = dvor_sdk::directory::people_with_role(community, "snt-member");
        let unit_owners: Vec<String> = dvor_sdk::directory::units(community)
            .iter()
            .flat_map(|u| dvor_sdk::directory::owners(&u.id))
            .map(|o| o.person_id)
            .collect();
        Ok(Roll::combine(&entries, &role_members, &unit_owners))
    }

    /// Whether `person` is a member.
    pub fn is_member(&self, person: &str) -> bool {
        self.members.iter().any(|m| m == person)
    }

    /// Whether `person` owns a plot and is not a member.
    pub fn is_owner(&self, person: &str) -> bool {
        self.owners.iter().any(|o| o == person)
    }

    /// Everyone with an account to tell about a meeting.
    pub fn people(&self) -> Vec<String> {
        let mut people = self.members.clone();
        people.extend(self.owners.iter().cloned());
        people.sort();
        people.dedup();
        people
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(record: &str, person: Option<&str>, member: bool, owner: bool) -> Entry {
        Entry {
            record: record.into(),
            person_id: person.map(str::to_owned),
            name: record.into(),
            member,
            owner,
            plots: vec![],
            seq: 1,
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn without_a_register_the_roles_and_owners_make_the_roll() {
        let roll = Roll::combine(&[], &ids(&["m1", "m2"]), &ids(&["m1", "o1", "o1"]));
        assert_eq!(roll.members, ids(&["m1", "m2"]));
        assert_eq!(roll.member_count, 2);
        assert_eq!(roll.owners, ids(&["o1"]));
        assert_eq!(roll.owner_count, 1);
    }

    #[test]
    fn the_register_wins_for_the_people_it_knows_and_counts_members_without_accounts() {
        let entries = [
            entry("r1", Some("anna"), true, false),
            // Left the partnership, though the host still gives her the role: an owner now.
            entry("r2", Some("vera"), false, true),
            // A member on paper, with no account.
            entry("r3", None, true, false),
            // Sold the plot: neither.
            entry("r4", Some("gleb"), false, false),
        ];
        let roll = Roll::combine(
            &entries,
            &ids(&["vera", "pavel"]),
            &ids(&["anna", "vera", "gleb", "oleg"]),
        );
        assert_eq!(roll.members, ids(&["anna", "pavel"]));
        assert_eq!(roll.member_count, 3, "anna, the paper member and pavel");
        assert_eq!(roll.owners, ids(&["oleg", "vera"]));
        assert_eq!(roll.owner_count, 2);
        assert!(!roll.is_member("vera") && roll.is_owner("vera"));
        assert!(!roll.is_member("gleb") && !roll.is_owner("gleb"));
        assert_eq!(roll.people(), ids(&["anna", "oleg", "pavel", "vera"]));
    }
}
