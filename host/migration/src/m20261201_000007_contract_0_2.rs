//! What contract 0.2.0 needs from the database: job runs that plugins request (with who asked,
//! their progress and the file they produce), the outbox of live updates pushed to browsers, and
//! the entrance and floor of apartments.

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
                    .table(n("job_runs"))
                    // Sortable by time.
                    .col(string(n("id")).primary_key())
                    .col(string(n("plugin")))
                    .col(string(n("job")))
                    .col(string(n("community_id")))
                    .col(string_null(n("requested_by")))
                    .col(text(n("args")))
                    // `queued`, `running`, `done` or `failed`.
                    .col(string(n("status")))
                    .col(text_null(n("cursor")))
                    .col(string_null(n("lease_owner")))
                    .col(big_integer(n("lease_until")))
                    .col(big_integer(n("next_attempt_at")))
                    .col(integer(n("attempts")))
                    .col(big_integer(n("chunks")))
                    .col(big_integer(n("progress_done")))
                    .col(big_integer(n("progress_total")))
                    .col(string_null(n("output_file")))
                    .col(text_null(n("last_error")))
                    .col(big_integer(n("created")))
                    .col(big_integer_null(n("finished")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_runs_due")
                    .table(n("job_runs"))
                    .col(n("status"))
                    .col(n("next_attempt_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("live_updates"))
                    // Increasing: a browser resumes after the last id it saw (Last-Event-ID).
                    .col(big_integer(n("id")).auto_increment().primary_key())
                    .col(string(n("plugin")))
                    .col(string(n("community_id")))
                    .col(string(n("channel")))
                    // The update's blocks, mode and data as JSON.
                    .col(text(n("body")))
                    .col(big_integer(n("created")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("live_updates_channel")
                    .table(n("live_updates"))
                    .col(n("plugin"))
                    .col(n("community_id"))
                    .col(n("channel"))
                    .col(n("id"))
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(n("units"))
                    .add_column(string_null(n("entrance")))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(n("units"))
                    .add_column(integer_null(n("floor")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(n("units"))
                    .drop_column(n("floor"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(n("units"))
                    .drop_column(n("entrance"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(n("live_updates")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(n("job_runs")).to_owned())
            .await
    }
}
