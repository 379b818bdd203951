//! Secrets of the instance as a whole, kept in the database so that every host behind a load
//! balancer uses the same ones: the key that signs the links to stored files.

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
                    .table(n("instance_secrets"))
                    // What the secret is for, e.g. `file_links`.
                    .col(string(n("name")).primary_key())
                    // Hex; made by the first host that needs it.
                    .col(string(n("value")))
                    .col(big_integer(n("created")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(n("instance_secrets")).to_owned())
            .await
    }
}
