//! Dated schema migrations of the dvor host database.
//!
//! A migration that has been released is never edited: a change to the schema is a new,
//! later-dated migration. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_places_and_people;
mod m20261123_000002_plugin_documents;
mod m20261123_000003_events_jobs_files;
mod m20261124_000004_identity;
mod m20261125_000005_announcements;
mod m20261126_000006_instance_secrets;
mod m20261201_000007_contract_0_2;

/// Every migration of the host, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_places_and_people::Migration),
            Box::new(m20261123_000002_plugin_documents::Migration),
            Box::new(m20261123_000003_events_jobs_files::Migration),
            Box::new(m20261124_000004_identity::Migration),
            Box::new(m20261125_000005_announcements::Migration),
            Box::new(m20261126_000006_instance_secrets::Migration),
            Box::new(m20261201_000007_contract_0_2::Migration),
        ]
    }
}
