//! The event outbox and its deliveries, scheduled jobs with leases, files and the inbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(string(Events::Id).primary_key())
                    .col(string(Events::Kind))
                    .col(string(Events::Source))
                    .col(string(Events::CommunityId))
                    .col(string_null(Events::Actor))
                    .col(big_integer(Events::Occurred))
                    .col(text(Events::Payload))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(string(Deliveries::EventId))
                    .col(string(Deliveries::Subscriber))
                    // `pending`, `done` or `dead`.
                    .col(string(Deliveries::Status))
                    .col(integer(Deliveries::Attempts))
                    .col(big_integer(Deliveries::NextAttemptAt))
                    .col(text_null(Deliveries::LastError))
                    .col(big_integer(Deliveries::Updated))
                    .primary_key(
                        Index::create()
                            .col(Deliveries::EventId)
                            .col(Deliveries::Subscriber),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(string(Jobs::Plugin))
                    .col(string(Jobs::Job))
                    .col(string(Jobs::CommunityId))
                    // Where a started run continues from; null when no run is under way.
                    .col(text_null(Jobs::Cursor))
                    .col(boolean(Jobs::InProgress))
                    // Which host process holds the job, and until when.
                    .col(string_null(Jobs::LeaseOwner))
                    .col(big_integer(Jobs::LeaseUntil))
                    .col(big_integer(Jobs::NextRunAt))
                    .col(big_integer_null(Jobs::LastStarted))
                    .col(big_integer_null(Jobs::LastFinished))
                    .col(text_null(Jobs::LastError))
                    .col(big_integer(Jobs::Chunks))
                    .primary_key(
                        Index::create()
                            .col(Jobs::Plugin)
                            .col(Jobs::Job)
                            .col(Jobs::CommunityId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(string(Files::Id).primary_key())
                    .col(string(Files::Plugin))
                    .col(string(Files::CommunityId))
                    .col(string(Files::CommunityPath))
                    .col(string(Files::Name))
                    .col(string(Files::ContentType))
                    .col(big_integer(Files::Size))
                    .col(blob(Files::Bytes))
                    .col(big_integer(Files::Created))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(string(Notifications::Id).primary_key())
                    .col(string(Notifications::PersonId))
                    .col(string(Notifications::Source))
                    .col(text(Notifications::TitleRu))
                    .col(text(Notifications::TitleEn))
                    .col(text(Notifications::BodyRu))
                    .col(text(Notifications::BodyEn))
                    .col(string_null(Notifications::Link))
                    .col(string(Notifications::Urgency))
                    .col(big_integer(Notifications::Created))
                    .col(big_integer_null(Notifications::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_person")
                    .table(Notifications::Table)
                    .col(Notifications::PersonId)
                    .col(Notifications::Created)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notifications::Table.into_iden(),
            Files::Table.into_iden(),
            Jobs::Table.into_iden(),
            Deliveries::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    Source,
    CommunityId,
    Actor,
    Occurred,
    Payload,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    EventId,
    Subscriber,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    Updated,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Plugin,
    Job,
    CommunityId,
    Cursor,
    InProgress,
    LeaseOwner,
    LeaseUntil,
    NextRunAt,
    LastStarted,
    LastFinished,
    LastError,
    Chunks,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    Plugin,
    CommunityId,
    CommunityPath,
    Name,
    ContentType,
    Size,
    Bytes,
    Created,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    PersonId,
    Source,
    TitleRu,
    TitleEn,
    BodyRu,
    BodyEn,
    Link,
    Urgency,
    Created,
    ReadAt,
}
