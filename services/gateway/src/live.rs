//! The live channel: one WebSocket per browser tab at `/api/ws`, fed from
//! NATS so that any gateway replica can serve any user.
//!
//! Each gateway process holds plain NATS subscriptions to the facts the
//! pages show (`{prefix}.events.care.>`, `.automation.>` and
//! `.messaging.>`, the subjects the outboxes publish; a plain subscription
//! sees them as they are published) and to the typing subject
//! (`{prefix}.live.typing`, never stored), and fans them out to its
//! sockets through a broadcast channel.
//!
//! - Care facts reach a socket only about a client its user is linked to
//!   (care's own answer to "which clients may I see", asked when the socket
//!   opens and every 30 s after), and only what that link may see: an
//!   internal-only care update never reaches a family member, a
//!   family-only one never a carer.
//! - Task changes (`task`) and text messages (`sms`) reach the practice's
//!   own staff (admin, staff, readonly) of the same organisation.
//!
//! Pushes carry ids and states, never clinical or message text: the page
//! fetches the record through the API, which checks access again. A dropped
//! connection loses nothing: the page reconnects and fetches what it
//! missed (the feed, the conversation, the unread counts).

use std::collections::HashMap;
use std::time::Duration;

use attend_kit::bus::Bus;
use attend_kit::bus::consumer::Received;
use attend_kit::grpc::{Caller, Role, request};
use attend_kit::ids::{ClientId, ContactId, MessageId, NoteId, OrgId, SmsId, TaskId, TypedId, UserId};
use attend_proto::automation::v1 as automation;
use attend_proto::care::v1 as pb;
use attend_proto::messaging::v1 as messaging;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use attend_kit::Error;
use attend_kit::error::PeerAnswer;
use attend_kit::http::Problem;

/// How long a socket lives: an access token's life. The page opens a new
/// one with a fresh token.
const LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How often a socket asks care again which clients its user may see.
const RESCOPE_EVERY: Duration = Duration::from_secs(30);

/// A fact for the sockets of one organisation: about one care client, or
/// (`client: None`) for the practice's staff.
#[derive(Debug, Clone)]
pub struct Live {
    pub org: OrgId,
    pub client: Option<uuid::Uuid>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Note {
        note: uuid::Uuid,
        visibility: String,
        urgent: bool,
    },
    Urgent {
        note: uuid::Uuid,
    },
    Message {
        message: uuid::Uuid,
        sender: uuid::Uuid,
    },
    Read {
        user: uuid::Uuid,
        message: uuid::Uuid,
    },
    Typing {
        user: uuid::Uuid,
    },
    /// A task was created, completed or cancelled.
    Task {
        task: uuid::Uuid,
        contact: Option<uuid::Uuid>,
        change: &'static str,
    },
    /// A text message was sent, delivered, failed or received.
    Sms {
        message: uuid::Uuid,
        contact: uuid::Uuid,
        direction: String,
        status: String,
    },
}

/// What a socket's user is to a client (care's `access`).
fn sees(access: &str, kind: &Kind, me: uuid::Uuid) -> bool {
    let team = matches!(access, "admin" | "coordinator" | "carer");
    match kind {
        Kind::Note { visibility, .. } => match visibility.as_str() {
            "internal_only" => team,
            // The author fetches their own through the API as well.
            "family_only" => !matches!(access, "coordinator" | "carer"),
            _ => true,
        },
        Kind::Urgent { .. } | Kind::Message { .. } | Kind::Read { .. } => true,
        Kind::Typing { user } => *user != me,
        // Practice facts are never about a care client.
        Kind::Task { .. } | Kind::Sms { .. } => false,
    }
}

/// Whether a socket shows a fact: its organisation's, and either about a
/// client it may see (and what that link may see), or a practice fact for
/// practice staff.
fn shown(live: &Live, org: OrgId, role: Role, me: uuid::Uuid, scope: &HashMap<uuid::Uuid, String>) -> bool {
    if live.org != org {
        return false;
    }
    match live.client {
        Some(client) => scope.get(&client).is_some_and(|access| sees(access, &live.kind, me)),
        None => matches!(role, Role::Admin | Role::Staff | Role::Readonly),
    }
}

impl Live {
    fn json(&self) -> Value {
        let client = self.client.map(|c| ClientId::from(c).to_string());
        match &self.kind {
            Kind::Note {
                note,
                visibility,
                urgent,
            } => json!({
                "type": "care_update", "client_id": client, "note_id": NoteId::from(*note).to_string(),
                "visibility": visibility, "urgent": urgent,
            }),
            Kind::Urgent { note } => json!({
                "type": "urgent_care_update", "client_id": client, "note_id": NoteId::from(*note).to_string(),
            }),
            Kind::Message { message, sender } => json!({
                "type": "message", "client_id": client, "message_id": MessageId::from(*message).to_string(),
                "sender_id": UserId::from(*sender).to_string(),
            }),
            Kind::Read { user, message } => json!({
                "type": "read", "client_id": client, "user_id": UserId::from(*user).to_string(),
                "message_id": MessageId::from(*message).to_string(),
            }),
            Kind::Typing { user } => json!({
                "type": "typing", "client_id": client, "user_id": UserId::from(*user).to_string(),
            }),
            Kind::Task { task, contact, change } => json!({
                "type": "task", "task_id": TaskId::from(*task).to_string(),
                "contact_id": contact.map(|c| ContactId::from(c).to_string()), "change": change,
            }),
            Kind::Sms {
                message,
                contact,
                direction,
                status,
            } => json!({
                "type": "sms", "message_id": SmsId::from(*message).to_string(),
                "contact_id": ContactId::from(*contact).to_string(), "direction": direction, "status": status,
            }),
        }
    }
}

/// The process's fan-out: fed by [`Hub::run`], read by each socket.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Live>,
    bus: Bus,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

#[derive(serde::Serialize, Deserialize)]
struct TypingWire {
    org: String,
    client: String,
    user: String,
}

fn uuid_of(text: &str) -> Option<uuid::Uuid> {
    text.parse().ok()
}

/// A task fact as a live event.
fn task_event(org: OrgId, task: Option<automation::Task>, change: &'static str) -> Option<Live> {
    let task = task?;
    Some(Live {
        org,
        client: None,
        kind: Kind::Task {
            task: uuid_of(&task.id)?,
            contact: uuid_of(&task.contact_id),
            change,
        },
    })
}

/// A text message fact as a live event (only one threaded on a contact).
fn sms_event(org: OrgId, message: Option<messaging::SmsMessage>) -> Option<Live> {
    let message = message?;
    Some(Live {
        org,
        client: None,
        kind: Kind::Sms {
            message: uuid_of(&message.id)?,
            contact: uuid_of(&message.contact_id)?,
            direction: message.direction,
            status: message.status,
        },
    })
}

/// A fact as a live event, or nothing (a fact the channel doesn't push).
fn from_event(event: &Received) -> Option<Live> {
    let org = event.org;
    let (client, kind) = match event.envelope.r#type.as_str() {
        "automation.task_created" => {
            return task_event(org, event.payload::<automation::TaskCreated>().ok()?.task, "created");
        }
        "automation.task_completed" => {
            return task_event(
                org,
                event.payload::<automation::TaskCompleted>().ok()?.task,
                "completed",
            );
        }
        "automation.task_cancelled" => {
            return task_event(
                org,
                event.payload::<automation::TaskCancelled>().ok()?.task,
                "cancelled",
            );
        }
        "automation.task_changed" => {
            let changed = event.payload::<automation::TaskChanged>().ok()?;
            let change = match changed.change.as_str() {
                "claimed" => "claimed",
                "reassigned" => "reassigned",
                "snoozed" => "snoozed",
                _ => return None,
            };
            return task_event(org, changed.task, change);
        }
        "messaging.sms_sent" => return sms_event(org, event.payload::<messaging::SmsSent>().ok()?.message),
        "messaging.sms_delivered" => return sms_event(org, event.payload::<messaging::SmsDelivered>().ok()?.message),
        "messaging.sms_failed" => return sms_event(org, event.payload::<messaging::SmsFailed>().ok()?.message),
        "messaging.sms_received" => return sms_event(org, event.payload::<messaging::SmsReceived>().ok()?.message),
        "care.note_written" => {
            let p: pb::NoteWritten = event.payload().ok()?;
            (
                p.client_id.clone(),
                Kind::Note {
                    note: uuid_of(&p.note_id)?,
                    visibility: p.visibility,
                    urgent: p.urgent,
                },
            )
        }
        "care.note_urgent" => {
            let p: pb::NoteUrgent = event.payload().ok()?;
            (
                p.client_id.clone(),
                Kind::Urgent {
                    note: uuid_of(&p.note_id)?,
                },
            )
        }
        "care.message_sent" => {
            let p: pb::MessageSent = event.payload().ok()?;
            (
                p.client_id.clone(),
                Kind::Message {
                    message: uuid_of(&p.message_id)?,
                    sender: uuid_of(&p.sender_id)?,
                },
            )
        }
        "care.message_read" => {
            let p: pb::MessageRead = event.payload().ok()?;
            (
                p.client_id.clone(),
                Kind::Read {
                    user: uuid_of(&p.user_id)?,
                    message: uuid_of(&p.message_id)?,
                },
            )
        }
        _ => return None,
    };
    Some(Live {
        org,
        client: Some(uuid_of(&client)?),
        kind,
    })
}

impl Hub {
    pub fn new(bus: Bus) -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender, bus }
    }

    fn typing_subject(&self) -> String {
        format!("{}.live.typing", self.bus.prefix())
    }

    /// Feeds the sockets until `shutdown`; resubscribes if NATS drops it.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let client = self.bus.client();
            let subscribed = futures::future::try_join4(
                client.subscribe(self.bus.subject("care.>")),
                client.subscribe(self.bus.subject("automation.>")),
                client.subscribe(self.bus.subject("messaging.>")),
                client.subscribe(self.typing_subject()),
            )
            .await;
            let (care, automation, messaging, typing) = match subscribed {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "live channel: cannot subscribe yet");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    }
                }
            };
            let events = futures::stream::select(care, futures::stream::select(automation, messaging));
            let mut merged = futures::stream::select(events.map(|m| (true, m)), typing.map(|m| (false, m)));
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    next = merged.next() => match next {
                        None => break,
                        Some((true, message)) => {
                            if let Some(live) = Received::decode(&message.payload, 1).ok().as_ref().and_then(from_event) {
                                let _ = self.sender.send(live);
                            }
                        }
                        Some((false, message)) => {
                            let parsed = serde_json::from_slice::<TypingWire>(&message.payload).ok().and_then(|w| {
                                Some(Live {
                                    org: OrgId::parse_uuid(&w.org).ok()?,
                                    client: Some(uuid_of(&w.client)?),
                                    kind: Kind::Typing { user: uuid_of(&w.user)? },
                                })
                            });
                            if let Some(live) = parsed {
                                let _ = self.sender.send(live);
                            }
                        }
                    }
                }
            }
        }
    }

    async fn typing(&self, org: OrgId, client: uuid::Uuid, user: uuid::Uuid) {
        let wire = TypingWire {
            org: org.uuid().to_string(),
            client: client.to_string(),
            user: user.to_string(),
        };
        if let Ok(body) = serde_json::to_vec(&wire)
            && let Err(e) = self.bus.client().publish(self.typing_subject(), body.into()).await
        {
            tracing::debug!(error = %e, "live channel: a typing indicator was not published");
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WsQuery {
    /// Browsers can't set headers on a WebSocket: the access token may come here.
    access_token: String,
}

/// `GET /api/ws`: upgrades to the live channel once the access token
/// (`Authorization: Bearer` or `?access_token=`) is verified.
#[utoipa::path(operation_id = "live_connect", get, path = "/api/ws", tag = "live",
    params(("access_token" = Option<String>, Query, description = "The access token, for browsers that can't set headers on a WebSocket")),
    responses(
        (status = 101, description = "Switching to the live channel: JSON pushes of ids (`ready`, `care_update`, `urgent_care_update`, `message`, `read`, `typing`, `resync`); closed with 4001 when the token ends"),
        crate::openapi::Problems,
    ))]
pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Problem> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| Some(query.access_token.trim().to_owned()).filter(|t| !t.is_empty()))
        .ok_or_else(|| {
            Error::Unauthenticated("sign in: send the access token as ?access_token= or a Bearer header".to_owned())
        })?;
    let caller = state.keys.caller(&token).await?;
    let (Some(org), Some(user)) = (caller.org, caller.user) else {
        return Err(Error::Forbidden("the live channel is for signed-in people".to_owned()).into());
    };
    let scope = visible_clients(&state, &caller).await?;
    Ok(upgrade.on_upgrade(move |socket| serve(socket, state, caller, org, user.uuid(), scope)))
}

/// The clients the caller may see, with what they are to each.
async fn visible_clients(state: &AppState, caller: &Caller) -> Result<HashMap<uuid::Uuid, String>, Error> {
    if !matches!(caller.role, Role::Admin | Role::CareTeam | Role::Family | Role::Client) {
        return Ok(HashMap::new());
    }
    let listed = state
        .care
        .clone()
        .list_clients(request(pb::ListClientsRequest {}, caller))
        .await
        .into_answer("care")?;
    Ok(listed
        .clients
        .into_iter()
        .filter_map(|c| Some((uuid_of(&c.id)?, c.access)))
        .collect())
}

#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    client_id: String,
}

async fn serve(
    mut socket: WebSocket,
    state: AppState,
    caller: Caller,
    org: OrgId,
    me: uuid::Uuid,
    mut scope: HashMap<uuid::Uuid, String>,
) {
    let mut feed = state.live.sender.subscribe();
    let ready = json!({
        "type": "ready",
        "clients": scope.keys().map(|c| ClientId::from(*c).to_string()).collect::<Vec<_>>(),
    });
    if socket.send(Message::Text(ready.to_string().into())).await.is_err() {
        return;
    }
    let ends = tokio::time::sleep(LIFETIME);
    tokio::pin!(ends);
    let mut rescope = tokio::time::interval(RESCOPE_EVERY);
    rescope.tick().await;
    loop {
        tokio::select! {
            () = &mut ends => {
                let _ = socket.send(Message::Close(Some(axum::extract::ws::CloseFrame {
                    code: 4001,
                    reason: "the access token has expired: reconnect with a fresh one".into(),
                }))).await;
                return;
            }
            _ = rescope.tick() => {
                if let Ok(fresh) = visible_clients(&state, &caller).await {
                    scope = fresh;
                }
            }
            received = feed.recv() => match received {
                Ok(live) => {
                    if shown(&live, org, caller.role, me, &scope) && socket.send(Message::Text(live.json().to_string().into())).await.is_err() {
                        return;
                    }
                }
                // Too slow to keep up: tell the page to fetch what it missed.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if socket.send(Message::Text(json!({"type": "resync"}).to_string().into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let Ok(message) = serde_json::from_str::<Incoming>(&text) else { continue };
                    if message.kind == "typing"
                        && let Ok(client) = ClientId::parse_public(&message.client_id)
                        && scope.contains_key(&client.uuid())
                    {
                        state.live.typing(org, client.uuid(), me).await;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_notes_reach_only_the_team_and_family_only_notes_skip_carers() {
        let me = uuid::Uuid::nil();
        let note = |visibility: &str| Kind::Note {
            note: uuid::Uuid::nil(),
            visibility: visibility.to_owned(),
            urgent: false,
        };
        for family in ["view_only", "messaging", "full_access", "client"] {
            assert!(!sees(family, &note("internal_only"), me), "{family}");
            assert!(sees(family, &note("family_only"), me), "{family}");
            assert!(sees(family, &note("family_and_team"), me), "{family}");
        }
        assert!(sees("carer", &note("internal_only"), me));
        assert!(!sees("carer", &note("family_only"), me));
        assert!(sees("admin", &note("family_only"), me));
    }

    #[test]
    fn practice_facts_reach_only_the_practice_staff_of_their_organisation() {
        let org = OrgId::from(uuid::Uuid::now_v7());
        let me = uuid::Uuid::now_v7();
        let scope = HashMap::new();
        let task = Live {
            org,
            client: None,
            kind: Kind::Task {
                task: uuid::Uuid::now_v7(),
                contact: None,
                change: "created",
            },
        };
        for role in [Role::Admin, Role::Staff, Role::Readonly] {
            assert!(shown(&task, org, role, me, &scope), "{role:?}");
        }
        for role in [Role::CareTeam, Role::Family, Role::Client] {
            assert!(!shown(&task, org, role, me, &scope), "{role:?}");
        }
        let elsewhere = OrgId::from(uuid::Uuid::now_v7());
        assert!(!shown(&task, elsewhere, Role::Admin, me, &scope));
        // A care fact is never a practice fact, whoever asks.
        let note = Live {
            org,
            client: Some(uuid::Uuid::now_v7()),
            kind: Kind::Urgent {
                note: uuid::Uuid::now_v7(),
            },
        };
        assert!(!shown(&note, org, Role::Staff, me, &scope));
        assert_eq!(task.json()["type"], "task");
        assert!(
            task.json()["task_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("task_"))
        );
    }

    #[test]
    fn a_user_does_not_see_their_own_typing() {
        let me = uuid::Uuid::now_v7();
        assert!(!sees("carer", &Kind::Typing { user: me }, me));
        assert!(sees(
            "carer",
            &Kind::Typing {
                user: uuid::Uuid::now_v7()
            },
            me
        ));
    }
}
