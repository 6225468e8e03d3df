//! Email templates: each a subject, a text body and an HTML body, written
//! in minijinja (Jinja2's syntax) under `templates/email/` and compiled
//! into the binary.
//!
//! | id | values | sent by |
//! | --- | --- | --- |
//! | `password_reset` | `name`, `organisation`, `link`, `expiry` | identity, when someone asks to reset their password |
//! | `invitation` | `name`, `organisation`, `role`, `link`, `expiry` | identity, when an admin invites a user |
//!
//! Rules:
//! - A value a template uses and the request lacks is refused before
//!   anything is rendered, naming it (`values.link`); and minijinja renders
//!   with strict undefined behaviour, so nothing can print an empty hole.
//! - The HTML body (`*.html.j2`, sharing `layout.html.j2`) is HTML-escaped
//!   automatically: a name like `<b>Sam</b>` arrives as text. The subject
//!   and the text body are not escaped (they are not HTML).
//! - The subject is one line; the text body ends with one line break.
//!
//! Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use attend_kit::{Error, FieldError};
use minijinja::{Environment, UndefinedBehavior};

/// Each template: its id and its three parts' sources.
struct Source {
    id: &'static str,
    subject: &'static str,
    text: &'static str,
    html: &'static str,
}

const LAYOUT: (&str, &str) = ("layout.html.j2", include_str!("../../templates/email/layout.html.j2"));

const TEMPLATES: &[Source] = &[
    Source {
        id: "password_reset",
        subject: include_str!("../../templates/email/password_reset.subject.j2"),
        text: include_str!("../../templates/email/password_reset.txt.j2"),
        html: include_str!("../../templates/email/password_reset.html.j2"),
    },
    Source {
        id: "invitation",
        subject: include_str!("../../templates/email/invitation.subject.j2"),
        text: include_str!("../../templates/email/invitation.txt.j2"),
        html: include_str!("../../templates/email/invitation.html.j2"),
    },
];

/// The template ids, for errors and documentation.
pub(crate) fn ids() -> Vec<&'static str> {
    TEMPLATES.iter().map(|t| t.id).collect()
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The compiled templates, and the values each needs.
struct Compiled {
    env: Environment<'static>,
    needs: BTreeMap<&'static str, BTreeSet<String>>,
}

fn part(id: &str, kind: &str) -> String {
    format!("{id}.{kind}.j2")
}

/// Compiles every template once. The sources are part of the binary and
/// a unit test renders each, so a template that doesn't compile never
/// ships; if one did, rendering reports it.
fn compiled() -> Result<&'static Compiled, Error> {
    static COMPILED: OnceLock<Result<Compiled, String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let mut env = Environment::new();
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            // The default escapes `*.html.j2` (and .htm, .xml) as HTML only.
            env.add_template(LAYOUT.0, LAYOUT.1).map_err(|e| e.to_string())?;
            for t in TEMPLATES {
                for (kind, source) in [("subject", t.subject), ("txt", t.text), ("html", t.html)] {
                    env.add_template_owned(part(t.id, kind), source)
                        .map_err(|e| format!("{}: {e}", part(t.id, kind)))?;
                }
            }
            let mut needs = BTreeMap::new();
            for t in TEMPLATES {
                let mut names = BTreeSet::new();
                for kind in ["subject", "txt", "html"] {
                    let template = env.get_template(&part(t.id, kind)).map_err(|e| e.to_string())?;
                    names.extend(template.undeclared_variables(false));
                }
                // The HTML part extends the layout, whose names count too.
                let layout = env.get_template(LAYOUT.0).map_err(|e| e.to_string())?;
                names.extend(layout.undeclared_variables(false));
                needs.insert(t.id, names);
            }
            Ok(Compiled { env, needs })
        })
        .as_ref()
        .map_err(|e| Error::Internal(anyhow::anyhow!("the email templates don't compile: {e}")))
}

/// The values `id` needs, or `None` for an unknown template.
#[cfg(test)]
pub(crate) fn needs(id: &str) -> Result<Option<&'static BTreeSet<String>>, Error> {
    Ok(compiled()?.needs.get(id))
}

/// Renders template `id` with `values`. An unknown template, or a value it
/// needs and `values` lacks, is refused naming the field (`template`,
/// `values.<name>`).
pub(crate) fn render(id: &str, values: &BTreeMap<String, String>) -> Result<Rendered, Error> {
    let compiled = compiled()?;
    let Some(needs) = compiled.needs.get(id) else {
        return Err(Error::invalid(
            "template",
            format!("{id:?} is not an email template; one of {}", ids().join(", ")),
        ));
    };
    let missing: Vec<FieldError> = needs
        .iter()
        .filter(|name| !values.contains_key(name.as_str()))
        .map(|name| FieldError::new(format!("values.{name}"), format!("is required by the {id} template")))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    let render = |kind: &str| -> Result<String, Error> {
        let name = part(id, kind);
        compiled
            .env
            .get_template(&name)
            .and_then(|t| t.render(values))
            .map_err(|e| Error::invalid("template", format!("{name} can't be rendered: {e}")))
    };
    let subject = render("subject")?.trim().to_owned();
    let mut text = render("txt")?.trim_end().to_owned();
    text.push('\n');
    let html = render("html")?;
    Ok(Rendered { subject, text, html })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn reset_values() -> BTreeMap<String, String> {
        values(&[
            ("name", "Sam Lee"),
            ("organisation", "Harbour Physio"),
            ("link", "https://app.example/reset-password?token=reset_abc&x=1"),
            ("expiry", "an hour"),
        ])
    }

    #[test]
    fn every_template_compiles_and_says_what_it_needs() {
        assert_eq!(ids(), ["password_reset", "invitation"]);
        let names = |id| needs(id).unwrap().unwrap().iter().cloned().collect::<Vec<_>>();
        assert_eq!(names("password_reset"), ["expiry", "link", "name", "organisation"]);
        assert_eq!(names("invitation"), ["expiry", "link", "name", "organisation", "role"]);
        assert!(needs("nope").unwrap().is_none());
    }

    #[test]
    fn a_password_reset_renders_a_subject_a_text_body_and_an_html_body() {
        let r = render("password_reset", &reset_values()).unwrap();
        assert_eq!(r.subject, "Reset your attend password");
        assert!(r.text.starts_with("Hello Sam Lee,\n\n"), "{}", r.text);
        assert!(
            r.text
                .contains("\n\nhttps://app.example/reset-password?token=reset_abc&x=1\n\n"),
            "the text link is as given: {}",
            r.text
        );
        assert!(r.text.contains("within an hour"), "{}", r.text);
        assert!(r.text.ends_with("stays as it is.\n"), "{}", r.text);
        assert!(
            r.html
                .contains(r#"href="https:&#x2f;&#x2f;app.example&#x2f;reset-password?token=reset_abc&amp;x=1""#),
            "the HTML link is escaped: {}",
            r.html
        );
        assert!(
            r.html.contains("Harbour Physio uses attend"),
            "the layout's footer: {}",
            r.html
        );
    }

    #[test]
    fn html_is_escaped_but_text_is_not() {
        let mut v = values(&[
            ("name", "<b>Sam</b> & \"co\""),
            ("organisation", "A&B Clinic"),
            ("role", "staff"),
            ("link", "https://app.example/accept-invitation?token=inv_x"),
            ("expiry", "7 days"),
        ]);
        let r = render("invitation", &v).unwrap();
        assert_eq!(r.subject, "You're invited to A&B Clinic");
        assert!(r.text.contains("Hello <b>Sam</b> & \"co\","), "{}", r.text);
        assert!(
            r.html
                .contains("Hello &lt;b&gt;Sam&lt;&#x2f;b&gt; &amp; &quot;co&quot;,"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>Sam"), "{}", r.html);
        v.insert("organisation".to_owned(), "Harbour\nPhysio".to_owned());
        assert_eq!(
            render("invitation", &v).unwrap().subject,
            "You're invited to Harbour\nPhysio",
            "the caller keeps values one line; emails::parse refuses a subject that isn't"
        );
    }

    #[test]
    fn every_missing_value_is_named() {
        let mut v = reset_values();
        v.remove("link");
        v.remove("expiry");
        let Err(Error::Invalid(fields)) = render("password_reset", &v) else {
            panic!("refused");
        };
        let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["values.expiry", "values.link"]);
        assert!(fields[0].reason.contains("password_reset"), "{}", fields[0].reason);
    }

    #[test]
    fn an_unknown_template_is_refused_listing_the_known_ones() {
        let Err(Error::Invalid(fields)) = render("welcome", &reset_values()) else {
            panic!("refused");
        };
        assert_eq!(fields[0].field, "template");
        assert!(
            fields[0].reason.contains("password_reset, invitation"),
            "{}",
            fields[0].reason
        );
    }

    #[test]
    fn extra_values_are_ignored() {
        let mut v = reset_values();
        v.insert("unused".to_owned(), "x".to_owned());
        assert!(render("password_reset", &v).is_ok());
    }
}
