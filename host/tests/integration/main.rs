//! The host's integration tests, in one binary: each module starts real servers (the dvor
//! instance on `127.0.0.1:0`, PostgreSQL, an OpenID Connect provider, SMTP, Open311 clients)
//! and drives them as their users would. One binary links the host once instead of once per
//! file, which keeps a clean build's disk and link time small.

mod common;

mod admin_pages;
mod announcements;
mod api_contract;
mod authz;
mod balanced;
mod capabilities;
mod cli;
mod contracts;
mod coop;
mod events_and_jobs;
mod feed;
mod forms;
mod gamification;
mod housing;
mod http;
mod identity;
mod joining;
mod kit;
mod loading;
mod meetings;
mod meetings_pages;
mod notifications;
mod oidc;
mod operations;
mod people_control;
mod privacy;
mod promos;
mod runtime_limits;
mod scoping;
mod ui;
mod ui_coop;
mod ui_experience;
mod ui_feed;
mod ui_live;
mod ui_promos;
mod ui_snt;
mod ui_staff;
