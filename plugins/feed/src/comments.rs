//! Comments on posts: threads (a comment and the answers to it), mentions of neighbours
//! (`@Анна Петрова`, or `@Анна` when only one Анна is around), and who is told — the post's
//! author, the author of the comment answered, and whoever is mentioned. Comments pass the same
//! gate and moderation as posts.

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::access::Here;
use crate::gate::{self, Activity, Verdict};
use crate::model::{
    COMMENTS, CommentDoc, Moderation, ModerationState, POSTS, Settings, TargetKind,
};
use crate::moderation;
use crate::words::normalize;

/// A comment as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewComment {
    /// The text.
    pub text: String,
    /// The comment it answers.
    pub parent: Option<String>,
}

/// The people `text` mentions among `candidates` (`(id, name)`): `@` and a full name, or `@`
/// and a first name that only one candidate has. Letter case, ё and look-alike letters do not
/// matter.
pub fn mentioned(text: &str, candidates: &[(String, String)]) -> Vec<String> {
    if !text.contains('@') {
        return Vec::new();
    }
    // What follows each `@`, normalized.
    let tails: Vec<String> = text
        .split('@')
        .skip(1)
        .map(|t| normalize(&t.chars().take(80).collect::<String>()))
        .collect();
    let starts = |tail: &str, name: &str| tail == name || tail.starts_with(&format!("{name} "));
    let mut out: Vec<String> = Vec::new();
    for (id, name) in candidates {
        let full = normalize(name);
        let first = full.split(' ').next().unwrap_or_default().to_owned();
        let first_is_unique = candidates
            .iter()
            .filter(|(_, n)| normalize(n).split(' ').next() == Some(first.as_str()))
            .count()
            == 1;
        let hit = tails.iter().any(|tail| {
            (!full.is_empty() && starts(tail, &full))
                || (first_is_unique && !first.is_empty() && starts(tail, &first))
        });
        if hit && !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Who could be mentioned under post `post` at `place`: its author, the commenters, and the
/// place's residents.
fn candidates(post: &str, author: (&str, &str), place: &str) -> Result<Vec<(String, String)>> {
    let mut out = vec![(author.0.to_owned(), author.1.to_owned())];
    for c in thread_docs(post)? {
        if !out.iter().any(|(id, _)| *id == c.data.author) {
            out.push((c.data.author, c.data.author_name));
        }
    }
    for id in directory::people_with_role(place, "resident") {
        if out.iter().any(|(known, _)| *known == id) {
            continue;
        }
        if let Some(person) = directory::person(&id) {
            out.push((id, person.display_name));
        }
    }
    Ok(out)
}

fn thread_docs(post: &str) -> Result<Vec<Doc<CommentDoc>>> {
    COMMENTS
        .query()
        .filter("post", Compare::Eq, post)
        .filter("moderation", Compare::Eq, Moderation::Published.code())
        .order_by("at", Direction::Asc)
        .limit(1000)
        .fetch_all()
}

/// The caller comments on post `post_id`.
pub fn add(post_id: &str, input: &NewComment) -> Result<Doc<CommentDoc>> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let post = crate::feed::visible(&here, post_id)?;
    if !crate::feed::is_here(&post) {
        return Err(Error::conflict(tr(
            "Эта запись — для места выше: отвечайте на его странице",
            "this post is for a place above: answer on its page",
        )));
    }
    if post.data.mod_state.moderation != Moderation::Published {
        return Err(Error::conflict(post.data.mod_state.moderation.label()));
    }
    let text = crate::text::required("text", &input.text, settings.limits.comment_chars)?;
    let parent = match input
        .parent
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => {
            let parent = COMMENTS
                .get(p)?
                .filter(|c| c.data.post == post.id)
                .ok_or_else(|| {
                    Error::invalid(
                        "parent",
                        tr(
                            "Такого комментария здесь нет",
                            "there is no such comment here",
                        ),
                    )
                })?;
            // Threads are one level deep: an answer to an answer joins its thread.
            Some(parent.data.parent.clone().unwrap_or(parent.id))
        }
    };
    let now = ctx::now();
    moderation::check_rate(Activity::Comment, here.id(), now, &settings)?;
    let list = moderation::watched_words(&settings)?;
    let verdict = gate::gate(Activity::Comment, &text, u32::MAX, &list, &settings.gate);
    let mentions = if text.contains('@') {
        mentioned(
            &text,
            &candidates(
                &post.id,
                (&post.data.author, &post.data.author_name),
                &post.data.place,
            )?,
        )
        .into_iter()
        .filter(|m| m != here.id())
        .collect()
    } else {
        Vec::new()
    };
    let mut comment = CommentDoc {
        post: post.id.clone(),
        parent,
        text,
        author: here.id().to_owned(),
        author_name: here.caller.display_name.clone(),
        at: now,
        mentions,
        mod_state: ModerationState::default(),
    };
    crate::people::of_caller(&here.caller)?;
    match verdict {
        Verdict::Block { words } => Err(moderation::blocked(&words)),
        Verdict::Hold { reasons } => {
            comment.mod_state.moderation = Moderation::Held;
            comment.mod_state.held_for = reasons;
            let doc = COMMENTS.insert(&post.community, None, &comment)?;
            moderation::tell_moderators_of_held(&post.community, TargetKind::Comment)?;
            Ok(doc)
        }
        Verdict::Publish => {
            let doc = COMMENTS.insert(&post.community, None, &comment)?;
            announce(&doc)?;
            Ok(doc)
        }
    }
}

/// A comment is out: tell the post's author, the author of the comment it answers, and the
/// people it mentions (each once, never its own author).
pub fn announce(doc: &Doc<CommentDoc>) -> Result<()> {
    let Some(post) = POSTS.get_inherited(&doc.data.post)? else {
        return Ok(());
    };
    let c = &doc.data;
    let what = post.data.heading();
    let link = format!("posts/{}", post.id);
    let said = crate::text::shorten(&c.text, 140);
    let mut told = vec![c.author.clone()];
    let mut tell = |people: Vec<String>, ru: String, en: String| -> Result<()> {
        let fresh: Vec<String> = people.into_iter().filter(|p| !told.contains(p)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        told.extend(fresh.iter().cloned());
        notifications::notify(
            &fresh,
            &Message::new(
                Localized::new(ru, en),
                Localized::new(said.clone(), said.clone()),
            )
            .link(link.clone()),
        )
    };
    tell(
        vec![post.data.author.clone()],
        format!("{} ответил(а) на вашу запись «{what}»", c.author_name),
        format!("{} answered your post “{what}”", c.author_name),
    )?;
    if let Some(parent) = c
        .parent
        .as_deref()
        .and_then(|p| COMMENTS.get(p).ok().flatten())
    {
        tell(
            vec![parent.data.author],
            format!("{} ответил(а) на ваш комментарий", c.author_name),
            format!("{} answered your comment", c.author_name),
        )?;
    }
    tell(
        c.mentions.clone(),
        format!("{} упомянул(а) вас: «{what}»", c.author_name),
        format!("{} mentioned you: “{what}”", c.author_name),
    )
}

/// A comment and the answers to it, oldest first.
pub type Thread = (Doc<CommentDoc>, Vec<Doc<CommentDoc>>);

/// A post's comments as threads, oldest first.
pub fn threads(post: &str) -> Result<Vec<Thread>> {
    let all = thread_docs(post)?;
    let mut out: Vec<Thread> = Vec::new();
    let mut answers = Vec::new();
    for c in all {
        match &c.data.parent {
            None => out.push((c, Vec::new())),
            Some(_) => answers.push(c),
        }
    }
    for answer in answers {
        let parent = answer.data.parent.clone().unwrap_or_default();
        match out.iter_mut().find(|(root, _)| root.id == parent) {
            Some((_, list)) => list.push(answer),
            // Its thread's first comment was taken down: it stands on its own.
            None => out.push((answer, Vec::new())),
        }
    }
    out.sort_by_key(|(root, _)| root.data.at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<(String, String)> {
        vec![
            ("p1".into(), "Анна Петрова".into()),
            ("p2".into(), "Борис Ёлкин".into()),
            ("p3".into(), "Анна Сидорова".into()),
        ]
    }

    #[test]
    fn mentions_find_full_names_and_unique_first_names() {
        assert_eq!(mentioned("@Анна Петрова, спасибо!", &people()), ["p1"]);
        // Two Анна: a first name alone is not enough.
        assert!(mentioned("@Анна спасибо", &people()).is_empty());
        // ё and е are one letter, and case does not matter.
        assert_eq!(mentioned("спросите @борис елкин", &people()), ["p2"]);
        assert_eq!(mentioned("@Борис, ты?", &people()), ["p2"]);
        assert!(mentioned("Анна Петрова без собаки", &people()).is_empty());
        assert!(mentioned("@Борисов", &people()).is_empty());
        assert_eq!(
            mentioned("@Анна Сидорова и @Борис", &people()),
            ["p2", "p3"]
        );
    }
}
