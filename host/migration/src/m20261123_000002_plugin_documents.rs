//! Plugin documents: JSON documents per plugin and collection, with their indexed fields.
//!
//! Every document has a numeric `key` besides its text id; every declared index field of every
//! document has one row in `document_index`, keyed by that document key and a numeric field
//! key (a hash of plugin, collection and field name, computed by the host), with both values
//! NULL when the field is absent or `null`: integers and booleans (0/1) in `int_value`, text in
//! `text_value`. Small numeric keys keep the index rows short, which is what makes bulk writes
//! fast. One composite index serves filtering and ordering for all three kinds, because a field
//! only ever fills one of the two value columns. Isolation never relies on the field key: every
//! query joins the documents and filters them by plugin and collection.
//!
//! Text that is compared or ordered is compared byte-wise on both engines: SQLite's default
//! `BINARY` collation, and `COLLATE "C"` on PostgreSQL, so that ordering, keyset pagination and
//! prefix ranges behave identically whatever the PostgreSQL database's locale is.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == sea_orm::DbBackend::Postgres;
        // Byte-wise comparison of text keys on PostgreSQL (SQLite's default already is).
        let bytewise = |mut column: ColumnDef| {
            if postgres {
                column.extra("COLLATE \"C\"");
            }
            column
        };
        // The document key: SQLite's rowid (no AUTOINCREMENT bookkeeping), a bigserial on
        // PostgreSQL.
        let mut key = ColumnDef::new(Documents::Key);
        if postgres {
            key.big_integer().not_null().auto_increment().primary_key();
        } else {
            key.integer().not_null().primary_key();
        }

        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(key)
                    .col(string(Documents::Plugin))
                    .col(string(Documents::Collection))
                    .col(bytewise(string(Documents::Id)))
                    .col(bytewise(string(Documents::CommunityId)))
                    // The community's materialised path, for subtree scoping by range.
                    .col(bytewise(string(Documents::CommunityPath)))
                    .col(text(Documents::Data))
                    .col(big_integer(Documents::Version))
                    .col(big_integer(Documents::Created))
                    .col(big_integer(Documents::Updated))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("documents_id")
                    .table(Documents::Table)
                    .col(Documents::Plugin)
                    .col(Documents::Collection)
                    .col(Documents::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("documents_scope")
                    .table(Documents::Table)
                    .col(Documents::Plugin)
                    .col(Documents::Collection)
                    .col(Documents::CommunityPath)
                    .to_owned(),
            )
            .await?;

        let mut document_index = Table::create();
        document_index
            .table(DocumentIndex::Table)
            .col(big_integer(DocumentIndex::Doc))
            .col(big_integer(DocumentIndex::Field))
            .col(big_integer_null(DocumentIndex::IntValue))
            .col(bytewise(string_null(DocumentIndex::TextValue)))
            .primary_key(
                Index::create()
                    .col(DocumentIndex::Doc)
                    .col(DocumentIndex::Field),
            );
        if !postgres {
            // Small rows keyed by their primary key: one b-tree instead of two.
            document_index.extra("WITHOUT ROWID");
        }
        manager.create_table(document_index).await?;
        // Nulls sort first (SQLite's order; declared on PostgreSQL, whose default is last).
        if postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX document_index_value ON document_index \
                     (field, int_value NULLS FIRST, text_value NULLS FIRST, doc)",
                )
                .await?;
        } else {
            manager
                .create_index(
                    Index::create()
                        .name("document_index_value")
                        .table(DocumentIndex::Table)
                        .col(DocumentIndex::Field)
                        .col(DocumentIndex::IntValue)
                        .col(DocumentIndex::TextValue)
                        .col(DocumentIndex::Doc)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PluginCollections::Table)
                    .col(string(PluginCollections::Plugin))
                    .col(string(PluginCollections::Collection))
                    // The declared indexes as JSON, to notice when an upgrade adds one.
                    .col(text(PluginCollections::Indexes))
                    .primary_key(
                        Index::create()
                            .col(PluginCollections::Plugin)
                            .col(PluginCollections::Collection),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PluginCollections::Table.into_iden(),
            DocumentIndex::Table.into_iden(),
            Documents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Key,
    Plugin,
    Collection,
    Id,
    CommunityId,
    CommunityPath,
    Data,
    Version,
    Created,
    Updated,
}

#[derive(DeriveIden)]
enum DocumentIndex {
    Table,
    Doc,
    Field,
    IntValue,
    TextValue,
}

#[derive(DeriveIden)]
enum PluginCollections {
    Table,
    Plugin,
    Collection,
    Indexes,
}
