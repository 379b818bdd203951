//! Announcements: what a place's managers tell everyone there (the water is off on Tuesday, the
//! general meeting is on Saturday), shown on the place's home page and on its places inside.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("announcements"))
                    // Sortable by time.
                    .col(string(n("id")).primary_key())
                    .col(string(n("community_id")))
                    .col(string(n("title")))
                    .col(text(n("text")))
                    .col(string(n("author_id")))
                    .col(big_integer(n("created")))
                    // Shown until then (ms since the epoch); none: until taken down.
                    .col(big_integer_null(n("until")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("announcements_community")
                    .table(n("announcements"))
                    .col(n("community_id"))
                    .col(n("created"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(n("announcements")).to_owned())
            .await
    }
}
