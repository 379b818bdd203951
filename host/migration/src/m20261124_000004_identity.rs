//! Identity: people's names and channels, one-time codes, sessions and API tokens, OpenID
//! Connect logins, organizations, joining (invitations, requests, the owners' register), the
//! audit log and the outbound notification queue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(name: &str) -> Alias {
    Alias::new(name)
}

fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(n(table));
    for column in columns {
        index.col(n(column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string(n("given_name")).default("").to_owned(),
            string(n("family_name")).default("").to_owned(),
            string_null(n("email")),
            boolean(n("email_enabled")).default(false).to_owned(),
            boolean(n("sms_enabled")).default(false).to_owned(),
            string_null(n("current_community")),
            // The last day (instance time, `YYYY-MM-DD`) the person used the app.
            string_null(n("active_day")),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(n("people"))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                index("people_phone", "people", &["phone"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("otp_challenges"))
                    .col(string(n("id")).primary_key())
                    .col(string(n("phone")))
                    .col(string(n("ip")))
                    .col(string(n("code_hash")))
                    .col(big_integer(n("created")))
                    .col(big_integer(n("expires")))
                    .col(integer(n("attempts")))
                    .col(big_integer_null(n("consumed")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("otp_phone", "otp_challenges", &["phone", "created"]))
            .await?;
        manager
            .create_index(index("otp_ip", "otp_challenges", &["ip", "created"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("auth_lockouts"))
                    // `phone:+79…` or `ip:…`.
                    .col(string(n("key")).primary_key())
                    .col(big_integer(n("until")))
                    .col(string(n("reason")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("credentials"))
                    .col(string(n("id")).primary_key())
                    .col(string(n("token_hash")).unique_key())
                    .col(string(n("person_id")))
                    // `session` or `api`.
                    .col(string(n("kind")))
                    .col(string_null(n("name")))
                    // Space-separated scopes of an API token.
                    .col(text_null(n("scopes")))
                    .col(string_null(n("user_agent")))
                    .col(big_integer(n("created")))
                    .col(big_integer_null(n("expires")))
                    .col(big_integer(n("last_used")))
                    .col(big_integer_null(n("revoked")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("credentials_person", "credentials", &["person_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("oidc_logins"))
                    .col(string(n("state")).primary_key())
                    .col(string(n("provider")))
                    .col(string(n("nonce")))
                    .col(string(n("verifier")))
                    .col(string_null(n("return_to")))
                    .col(big_integer(n("created")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("oidc_links"))
                    .col(string(n("provider")))
                    .col(string(n("subject")))
                    .col(string(n("person_id")))
                    .col(big_integer(n("created")))
                    .primary_key(Index::create().col(n("provider")).col(n("subject")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("organizations"))
                    .col(string(n("id")).primary_key())
                    .col(string(n("name")))
                    // `management-company`, `hoa`, `supplier`, `business`, `government`, `snt-board`.
                    .col(string(n("kind")))
                    .col(big_integer(n("created")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("organization_areas"))
                    .col(string(n("organization_id")))
                    .col(string(n("community_id")))
                    .primary_key(
                        Index::create()
                            .col(n("organization_id"))
                            .col(n("community_id")),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("invitations"))
                    .col(string(n("id")).primary_key())
                    .col(string(n("community_id")))
                    .col(string(n("created_by")))
                    .col(big_integer(n("created")))
                    .col(big_integer_null(n("expires")))
                    .col(big_integer_null(n("revoked")))
                    .col(integer(n("uses")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("join_requests"))
                    .col(string(n("id")).primary_key())
                    .col(string(n("person_id")))
                    .col(string(n("community_id")))
                    .col(string_null(n("unit_number")))
                    .col(boolean(n("claims_ownership")))
                    .col(string_null(n("invitation_id")))
                    .col(text_null(n("note")))
                    // `pending`, `approved` or `rejected`.
                    .col(string(n("status")))
                    .col(big_integer(n("created")))
                    .col(string_null(n("decided_by")))
                    .col(big_integer_null(n("decided")))
                    .col(text_null(n("reason")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "join_requests_community",
                "join_requests",
                &["community_id", "status", "created"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("owner_register"))
                    .col(pk_auto(n("id")).big_integer())
                    .col(string(n("community_id")))
                    .col(string(n("unit_id")))
                    .col(string(n("full_name")))
                    .col(string(n("phone")))
                    .col(integer(n("share_numerator")))
                    .col(integer(n("share_denominator")))
                    .col(big_integer(n("imported")))
                    .col(string(n("imported_by")))
                    .col(string_null(n("claimed_by")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "owner_register_unit_phone",
                    "owner_register",
                    &["unit_id", "phone"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("owner_register_phone", "owner_register", &["phone"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("audit_log"))
                    .col(pk_auto(n("id")).big_integer())
                    .col(big_integer(n("at")))
                    .col(string_null(n("actor_id")))
                    .col(string(n("action")))
                    .col(string_null(n("person_id")))
                    .col(string_null(n("community_id")))
                    .col(text(n("details")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("audit_person", "audit_log", &["person_id", "id"]))
            .await?;
        manager
            .create_index(index(
                "audit_community",
                "audit_log",
                &["community_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(n("outbound_messages"))
                    .col(string(n("id")).primary_key())
                    .col(string_null(n("notification_id")))
                    .col(string_null(n("person_id")))
                    // `email` or `sms`.
                    .col(string(n("channel")))
                    .col(string(n("address")))
                    .col(text(n("subject")))
                    .col(text(n("body")))
                    // `pending`, `sent` or `failed`.
                    .col(string(n("status")))
                    .col(integer(n("attempts")))
                    .col(big_integer(n("next_attempt")))
                    .col(text_null(n("last_error")))
                    .col(big_integer(n("created")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbound_due",
                "outbound_messages",
                &["status", "next_attempt"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbound_messages",
            "audit_log",
            "owner_register",
            "join_requests",
            "invitations",
            "organization_areas",
            "organizations",
            "oidc_links",
            "oidc_logins",
            "credentials",
            "auth_lockouts",
            "otp_challenges",
        ] {
            manager
                .drop_table(Table::drop().table(n(table)).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("people_phone")
                    .table(n("people"))
                    .to_owned(),
            )
            .await?;
        for column in [
            "active_day",
            "current_community",
            "sms_enabled",
            "email_enabled",
            "email",
            "family_name",
            "given_name",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(n("people"))
                        .drop_column(n(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
