//! The community tree, units, people, their roles and ownerships.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Communities::Table)
                    .col(string(Communities::Id).primary_key())
                    .col(string_null(Communities::ParentId))
                    .col(string(Communities::Name))
                    .col(string(Communities::Kind))
                    .col(string_null(Communities::Address))
                    // Materialised path of ids, `/root/child/`, for subtree scoping.
                    .col(string(Communities::Path))
                    .col(big_integer(Communities::Created))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("communities_path")
                    .table(Communities::Table)
                    .col(Communities::Path)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(string(Units::Id).primary_key())
                    .col(string(Units::CommunityId))
                    .col(string(Units::Number))
                    .col(string(Units::Kind))
                    .col(big_integer(Units::AreaCentiM2))
                    .col(string_null(Units::CadastralNumber))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("units_community")
                    .table(Units::Table)
                    .col(Units::CommunityId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .col(string(People::Id).primary_key())
                    .col(string(People::DisplayName))
                    .col(string_null(People::Phone))
                    .col(string(People::Locale))
                    .col(big_integer(People::Created))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(pk_auto(RoleGrants::Id).big_integer())
                    .col(string(RoleGrants::PersonId))
                    .col(string(RoleGrants::Role))
                    .col(string_null(RoleGrants::CommunityId))
                    .col(string_null(RoleGrants::OrganizationId))
                    .col(big_integer(RoleGrants::Created))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("role_grants_person")
                    .table(RoleGrants::Table)
                    .col(RoleGrants::PersonId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ownerships::Table)
                    .col(string(Ownerships::PersonId))
                    .col(string(Ownerships::UnitId))
                    .col(integer(Ownerships::ShareNumerator))
                    .col(integer(Ownerships::ShareDenominator))
                    .col(boolean(Ownerships::Verified))
                    .primary_key(
                        Index::create()
                            .col(Ownerships::PersonId)
                            .col(Ownerships::UnitId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ownerships_unit")
                    .table(Ownerships::Table)
                    .col(Ownerships::UnitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Ownerships::Table.into_iden(),
            RoleGrants::Table.into_iden(),
            People::Table.into_iden(),
            Units::Table.into_iden(),
            Communities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Communities {
    Table,
    Id,
    ParentId,
    Name,
    Kind,
    Address,
    Path,
    Created,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    CommunityId,
    Number,
    Kind,
    AreaCentiM2,
    CadastralNumber,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    DisplayName,
    Phone,
    Locale,
    Created,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    Id,
    PersonId,
    Role,
    CommunityId,
    OrganizationId,
    Created,
}

#[derive(DeriveIden)]
enum Ownerships {
    Table,
    PersonId,
    UnitId,
    ShareNumerator,
    ShareDenominator,
    Verified,
}
