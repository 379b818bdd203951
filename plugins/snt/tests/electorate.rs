//! The meetings plugin's SNT meetings take their voters from this register: the members the
//! board admitted (with or without an account), the non-member owners on the questions they
//! vote on, and a member who left only as an owner — through `snt.register_changed`, which meetings keeps.

mod common;

use common::{admitted, chairman, payee};
use dvor_testkit::{Setup, TestHost, Wasm, this_plugin};
use serde_json::{Value, json};

/// The SNT with both plugins; the meetings component is built next to this one.
fn snt_with_meetings() -> TestHost {
    let meetings = Wasm::of_crate(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../meetings"),
        "meetings",
    );
    Setup::new()
        .plugin_with(
            this_plugin!(),
            json!({ "settings": { "admission": "board", "payee": payee() } }),
        )
        .plugin(meetings)
        .place("town", "Город", "settlement", None)
        .place("snt", "СНТ «Рябинка»", "snt", Some("town"))
        .unit("snt", "1", "plot", "600")
        .unit("snt", "2", "plot", "600")
        .unit("snt", "3", "plot", "600")
        .now("2026-05-20T10:00:00+03:00")
        .start()
}

/// An absentee SNT meeting voting 19.05–02.06.2026, noticed on 01.05.2026.
fn meeting() -> Value {
    json!({
        "form": "absentee", "number": "3", "initiator": "Правление СНТ «Рябинка»",
        "place": "Сторожка СНТ", "storage_place": "Сторожка СНТ",
        "notice_date": "2026-05-01", "voting_from": 1_779_138_000_000_i64, "voting_to": 1_780_347_600_000_i64,
        "chair": "Ольга Председатель", "secretary": "Анна Петрова",
        "questions": [
            { "title": "Утвердить отчёт правления", "kind": "snt_ordinary", "proposal": "Утвердить" },
            { "title": "Утвердить размер взносов", "kind": "snt_payments", "proposal": "Утвердить" },
        ],
    })
}

#[test]
fn an_snt_meeting_votes_by_the_register() {
    let mut host = snt_with_meetings();
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").create();
    let boris = host.person("Борис Соседов").create();
    // An owner of plot 3 who is not a member; and someone with no plot at all.
    let vera = host.person("Вера Собственникова").owns("snt/3").create();
    let gleb = host.person("Глеб Прохожий").create();
    admitted(&mut host, &olga, &anna, "Петрова Анна Сергеевна", "1", "1");
    let boris_record = admitted(&mut host, &olga, &boris, "Соседов Борис Петрович", "2", "2");
    // Boris leaves on the day, before the vote.
    let left = host
        .at("snt")
        .plugin("snt")
        .by(&boris)
        .submit(&boris_record, "leave", &[]);
    assert!(left.notice().is_some(), "{left:?}");
    assert!(host.deliver_events() > 0);

    let created = host
        .at("snt")
        .plugin("meetings")
        .by(&olga)
        .post("meetings", meeting());
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.json["id"].as_str().unwrap().to_owned();
    // The notice reaches the register's people.
    assert!(
        host.inbox(&anna).iter().any(|n| n["title"]
            .as_str()
            .is_some_and(|t| t.contains("собрание") || t.contains("Собрание"))),
        "{:?}",
        host.inbox(&anna)
    );

    let ballot = |answers: Value| json!({ "answers": answers });
    let cast = host.at("snt").plugin("meetings").by(&anna).post(
        &format!("meetings/{id}/ballot"),
        ballot(json!(["for", "for"])),
    );
    assert_eq!(
        cast.status, 201,
        "a member admitted by the register votes: {cast:?}"
    );
    assert_eq!(cast.json["data"]["member"], true);
    // Boris left but still owns plot 2: he votes as a non-member owner, not as a member.
    let former = host.at("snt").plugin("meetings").by(&boris).post(
        &format!("meetings/{id}/ballot"),
        ballot(json!([null, "for"])),
    );
    assert_eq!(former.status, 201, "{former:?}");
    assert_eq!(former.json["data"]["member"], false, "{former:?}");
    // The non-member owner votes on the payments question only.
    let owner = host.at("snt").plugin("meetings").by(&vera).post(
        &format!("meetings/{id}/ballot"),
        ballot(json!([null, "against"])),
    );
    assert_eq!(owner.status, 201, "{owner:?}");
    assert_eq!(owner.json["data"]["member"], false);
    let outsider = host.at("snt").plugin("meetings").by(&gleb).post(
        &format!("meetings/{id}/ballot"),
        ballot(json!(["for", "for"])),
    );
    assert_eq!(outsider.status, 403, "{outsider:?}");

    // At closing the electorate is the register's: one member, the owners without membership.
    host.set_clock("2026-06-03T10:00:00+03:00");
    let closed = host
        .at("snt")
        .plugin("meetings")
        .by(&olga)
        .post(&format!("meetings/{id}/close"), json!({}));
    assert_eq!(closed.status, 200, "{closed:?}");
    let shown = host
        .at("snt")
        .plugin("meetings")
        .by(&olga)
        .get(&format!("meetings/{id}"));
    let electorate = &shown.json["data"]["electorate"];
    assert_eq!(
        electorate["total"],
        json!({ "num": 1, "den": 1 }),
        "{shown:?}"
    );
    assert_eq!(
        electorate["non_member_total"],
        json!({ "num": 2, "den": 1 }),
        "Boris and Vera"
    );
    // The payments question counts the owners' votes too: 2 for (Anna, Boris), 1 against.
    let payments = &shown.json["data"]["result"]["questions"][1];
    assert_eq!(
        payments["for_"],
        json!({ "num": 2, "den": 1 }),
        "{payments}"
    );
    assert_eq!(payments["adopted"], true);
}
