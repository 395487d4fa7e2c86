//! The LeadsRover API simulation, mounted at `/leadsrover` (the documented
//! base URL has no path): the reference's `{data}` / `{error:{code,message,
//! doc_url}}` envelopes and `{total,limit,offset,hasMore}` pagination, key
//! scopes, products and scans, scored leads with feedback, the AI quota, the
//! DM draft lifecycle, the conversations inbox, the 409 rules and the rate
//! limits. Example data only: example.com addresses, placeholder usernames.
//!
//! Time-driven behaviour runs lazily, on the next request after it is due:
//! - an approved draft queued through the API is "sent by the browser
//!   extension" [`SEND_DELAY`] later: posted (or failed, for one lead), and
//!   its lead marked contacted; leads with a scripted answer then open a
//!   conversation [`ANSWER_DELAY`] after that;
//! - a queued reply goes out [`SEND_DELAY`] later; a conversation with a
//!   scripted answer receives it [`ANSWER_DELAY`] after that;
//! - a scan runs for [`SCAN_DURATION`] and then finds its product a new lead.
//!
//! Seeded approved drafts have no browser behind them: they stay approved.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::kit::{self, BadQuery, Failure, OffsetPaging, Param, Simulation, Vendor};

pub const SIMULATION: Simulation = Simulation {
    vendor: "leadsrover",
    base_path: "",
    env: |base| {
        vec![
            ("LEADSROVER_BASE_URL".into(), base.to_string()),
            ("LEADSROVER_API_KEY".into(), FULL_KEY.into()),
        ]
    },
    router,
};

/// A key with the read and write scopes.
pub const FULL_KEY: &str = "lr_sk_sandbox_full_access";
/// A key with the read scope only (the default scope).
pub const READ_KEY: &str = "lr_sk_sandbox_read_only";
/// A key of another account whose AI generation quota is used up.
pub const QUOTA_SPENT_KEY: &str = "lr_sk_sandbox_quota_spent";

pub const READS_PER_MINUTE: usize = 1000;
pub const WRITES_PER_MINUTE: usize = 60;
/// How long the simulated browser extension takes to send a queued DM or reply.
pub const SEND_DELAY: Duration = Duration::from_millis(1500);
/// How long a lead with a scripted answer takes to answer our message.
pub const ANSWER_DELAY: Duration = Duration::from_millis(1500);
pub const SCAN_DURATION: Duration = Duration::from_secs(3);

const DOC_URL: &str = "https://leadsrover.io/docs/api#errors";
const MINUTE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct Product {
    id: u64,
    name: &'static str,
    url: &'static str,
    pain: &'static str,
    solution: &'static str,
    target_users: &'static str,
}

#[derive(Clone)]
struct Lead {
    id: u64,
    product_id: u64,
    subreddit: &'static str,
    title: String,
    author: String,
    quality: u64,
    intent: &'static str,
    upvotes: u64,
    comments: u64,
    posted_at: String,
    discovered_at: String,
    status: &'static str,
    contacted_at: Option<String>,
    keyword: &'static str,
    feedback: Option<String>,
    dislike_reason: Option<String>,
    note: Option<String>,
    content: String,
    deleted: bool,
    /// `false`: the author doesn't accept DMs (a draft is 409).
    accepts_dms: bool,
    /// The extension's send of a draft to this lead fails with this error.
    send_error: Option<&'static str>,
    /// What the author answers once our DM is posted.
    answer: Option<&'static str>,
}

#[derive(Clone)]
struct Draft {
    id: u64,
    product_id: u64,
    lead_id: u64,
    status: &'static str,
    content: String,
    subject: Option<String>,
    recipient: String,
    created_at: String,
    reviewed_at: Option<String>,
    posted_at: Option<String>,
    error: Option<String>,
}

#[derive(Clone)]
struct Message {
    id: u64,
    body: String,
    from_us: bool,
    sent_at: String,
    source: Option<&'static str>,
}

#[derive(Clone)]
struct Conversation {
    id: u64,
    recipient: String,
    recipient_reddit_id: String,
    lead_id: Option<u64>,
    product_name: &'static str,
    messages: Vec<Message>,
    converted_at: Option<String>,
    archived_at: Option<String>,
    snoozed_until: Option<String>,
    sendable: bool,
    queued_reply: Option<String>,
    /// Answers still to come, one after each of our messages.
    script: VecDeque<&'static str>,
}

enum Event {
    SendDraft(u64),
    SendReply(u64),
    Answer(u64),
    OpenConversation(u64),
    ScanDone(u64),
}

struct World {
    user_name: &'static str,
    email: &'static str,
    ai_used: u64,
    ai_limit: u64,
    products: Vec<Product>,
    leads: Vec<Lead>,
    drafts: Vec<Draft>,
    conversations: Vec<Conversation>,
    /// Leads a scan of each product will find, in order.
    scan_finds: HashMap<u64, VecDeque<Lead>>,
    scans: HashMap<u64, Instant>,
    events: Vec<(Instant, Event)>,
    next_id: u64,
}

#[derive(Default)]
struct Window {
    reads: VecDeque<Instant>,
    writes: VecDeque<Instant>,
}

struct Sim {
    worlds: HashMap<&'static str, World>,
    windows: HashMap<&'static str, Window>,
}

type Db = kit::Store<LeadsRover, Sim>;

fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| json!(s))
}

impl Product {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "url": self.url, "pain": self.pain,
            "solution": self.solution, "targetUsers": self.target_users, "isActive": true,
            "createdAt": "2026-09-01T08:00:00.000Z", "updatedAt": "2026-11-02T14:30:00.000Z"
        })
    }
}

impl Lead {
    fn json(&self, with_content: bool) -> Value {
        let mut v = json!({
            "id": self.id, "productId": self.product_id, "subreddit": self.subreddit,
            "redditPostId": format!("t3_ex{}", self.id), "title": self.title,
            "authorUsername": self.author,
            "postUrl": format!("https://reddit.example.com/r/{}/comments/ex{}/", self.subreddit, self.id),
            "qualityScore": self.quality, "intent": self.intent, "upvotes": self.upvotes,
            "commentCount": self.comments, "postedAt": self.posted_at,
            "discoveredAt": self.discovered_at, "status": self.status,
            "contactedAt": opt(&self.contacted_at), "language": "en",
            "matchedKeyword": self.keyword, "feedback": opt(&self.feedback),
            "dislikeReason": opt(&self.dislike_reason)
        });
        if with_content && let Value::Object(map) = &mut v {
            map.insert("content".into(), json!(self.content));
        }
        v
    }
}

impl Draft {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "productId": self.product_id, "leadId": self.lead_id,
            "status": self.status, "draftType": "dm", "generatedContent": self.content,
            "editedContent": null, "dmSubject": opt(&self.subject), "dmRecipient": self.recipient,
            "generatedAt": self.created_at, "reviewedAt": opt(&self.reviewed_at),
            "postedAt": opt(&self.posted_at), "createdAt": self.created_at,
            "errorMessage": opt(&self.error)
        })
    }
}

impl Message {
    fn json(&self) -> Value {
        json!({"id": self.id, "body": self.body, "mediaUrl": null, "isFromUs": self.from_us,
               "sentAt": self.sent_at, "source": self.source})
    }
}

/// The reference's rule for `snoozedUntil`: an RFC 3339 timestamp (a date,
/// a time and an offset) later than now. The server checks the same rule
/// before it sends; the simulation holds its own copy, as the vendor does.
fn is_future(t: &Option<String>) -> bool {
    t.as_deref().is_some_and(|t| {
        chrono::DateTime::parse_from_rfc3339(t).is_ok_and(|t| t > chrono::Utc::now())
    })
}

impl Conversation {
    /// A sendable thread with `messages`, in no folder, nothing queued.
    fn open(
        id: u64,
        recipient: String,
        recipient_reddit_id: String,
        lead_id: Option<u64>,
        product_name: &'static str,
        messages: Vec<Message>,
    ) -> Self {
        Self {
            id,
            recipient,
            recipient_reddit_id,
            lead_id,
            product_name,
            messages,
            converted_at: None,
            archived_at: None,
            snoozed_until: None,
            sendable: true,
            queued_reply: None,
            script: VecDeque::new(),
        }
    }

    /// A message sent now, by us or by them.
    fn arrive(&mut self, body: String, from_us: bool, source: Option<&'static str>) {
        self.messages.push(Message {
            id: self.messages.len() as u64 + 1,
            body,
            from_us,
            sent_at: now_iso(),
            source,
        });
    }

    fn last(&self) -> Option<&Message> {
        self.messages.last()
    }

    fn last_from_them(&self) -> bool {
        self.last().is_some_and(|m| !m.from_us)
    }

    /// The inbox state: (key, label, explanation).
    fn state(&self) -> (&'static str, &'static str, String) {
        if self.archived_at.is_some() {
            (
                "archived",
                "Archived",
                "You archived this conversation.".into(),
            )
        } else if self.converted_at.is_some() {
            ("converted", "Converted", "Marked as won.".into())
        } else if is_future(&self.snoozed_until) {
            (
                "snoozed",
                "Snoozed",
                format!(
                    "Snoozed until {}.",
                    self.snoozed_until.clone().unwrap_or_default()
                ),
            )
        } else if self.queued_reply.is_some() {
            (
                "reply_queued",
                "Reply queued",
                "Your reply goes out on the extension's next poll.".into(),
            )
        } else if self.last_from_them() {
            (
                "needs_you",
                "Needs you",
                "They replied and are waiting on an answer.".into(),
            )
        } else {
            (
                "waiting",
                "Waiting on them",
                "You sent the last message.".into(),
            )
        }
    }

    fn in_filter(&self, filter: &str) -> bool {
        let (key, _, _) = self.state();
        match filter {
            "needs_reply" => key == "needs_you",
            "awaiting_reply" => matches!(key, "waiting" | "reply_queued"),
            "converted" => self.converted_at.is_some() && self.archived_at.is_none(),
            "archived" => self.archived_at.is_some(),
            _ => true,
        }
    }

    fn json(&self) -> Value {
        let (key, label, explanation) = self.state();
        let last = self.last();
        json!({
            "id": self.id, "recipientUsername": self.recipient,
            "recipientRedditId": self.recipient_reddit_id, "leadId": self.lead_id,
            "productName": self.product_name, "replyStateKey": key,
            "replyStateLabel": label, "replyStateExplanation": explanation,
            "lastMessage": last.map(|m| json!({"body": m.body, "isFromUs": m.from_us, "sentAt": m.sent_at})),
            "lastMessageAt": last.map(|m| m.sent_at.clone()),
            "convertedAt": opt(&self.converted_at), "archivedAt": opt(&self.archived_at),
            "snoozedUntil": opt(&self.snoozed_until), "sendable": self.sendable,
            "queuedReply": self.queued_reply.as_ref().map(|m| json!({"message": m, "status": "pending"}))
        })
    }
}

impl World {
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn lead(&mut self, id: u64) -> Result<&mut Lead> {
        self.leads
            .iter_mut()
            .find(|l| l.id == id && !l.deleted)
            .ok_or_else(|| not_found("Lead not found"))
    }

    fn conversation(&mut self, id: u64) -> Result<&mut Conversation> {
        self.conversations
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| not_found("Conversation not found"))
    }

    fn product(&self, id: u64) -> Result<&Product> {
        self.products
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| not_found("Product not found"))
    }

    fn schedule(&mut self, after: Duration, event: Event) {
        self.events.push((Instant::now() + after, event));
    }

    /// Runs every event that is due, oldest first.
    fn advance(&mut self, now: Instant) {
        loop {
            let Some(i) = self
                .events
                .iter()
                .enumerate()
                .filter(|(_, (due, _))| *due <= now)
                .min_by_key(|(_, (due, _))| *due)
                .map(|(i, _)| i)
            else {
                return;
            };
            let (_, event) = self.events.remove(i);
            self.run(event);
        }
    }

    fn run(&mut self, event: Event) {
        match event {
            Event::SendDraft(id) => self.send_draft(id),
            Event::SendReply(id) => {
                let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) else {
                    return;
                };
                let Some(body) = c.queued_reply.take() else {
                    return;
                };
                c.arrive(body, true, Some("api"));
                if !c.script.is_empty() {
                    self.schedule(ANSWER_DELAY, Event::Answer(id));
                }
            }
            Event::Answer(id) => {
                let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) else {
                    return;
                };
                if let Some(body) = c.script.pop_front() {
                    c.arrive(body.into(), false, None);
                }
            }
            Event::OpenConversation(lead_id) => self.open_conversation(lead_id),
            Event::ScanDone(product) => {
                self.scans.remove(&product);
                if let Some(mut lead) = self
                    .scan_finds
                    .get_mut(&product)
                    .and_then(VecDeque::pop_front)
                {
                    lead.discovered_at = now_iso();
                    self.leads.push(lead);
                }
            }
        }
    }

    fn send_draft(&mut self, id: u64) {
        let Some(draft) = self
            .drafts
            .iter_mut()
            .find(|d| d.id == id && d.status == "approved")
        else {
            return;
        };
        let lead_id = draft.lead_id;
        let Some(lead) = self.leads.iter_mut().find(|l| l.id == lead_id) else {
            return;
        };
        let now = now_iso();
        draft.reviewed_at = Some(draft.created_at.clone());
        if let Some(error) = lead.send_error {
            draft.status = "failed";
            draft.error = Some(error.into());
            return;
        }
        draft.status = "posted";
        draft.posted_at = Some(now.clone());
        lead.status = "contacted";
        lead.contacted_at = Some(now);
        if lead.answer.is_some() {
            self.schedule(ANSWER_DELAY, Event::OpenConversation(lead_id));
        }
    }

    /// The lead answered our posted DM: the thread enters the inbox.
    fn open_conversation(&mut self, lead_id: u64) {
        let Some(lead) = self.leads.iter().find(|l| l.id == lead_id).cloned() else {
            return;
        };
        let Some(answer) = lead.answer else { return };
        let Some(draft) = self
            .drafts
            .iter()
            .find(|d| d.lead_id == lead_id && d.status == "posted")
            .cloned()
        else {
            return;
        };
        let product_name = self
            .products
            .iter()
            .find(|p| p.id == lead.product_id)
            .map_or("", |p| p.name);
        let id = self.new_id();
        self.conversations.push(Conversation::open(
            id,
            lead.author.clone(),
            format!("t2_ex{lead_id}"),
            Some(lead_id),
            product_name,
            vec![
                Message {
                    id: 1,
                    body: draft.content,
                    from_us: true,
                    sent_at: draft.posted_at.unwrap_or_default(),
                    source: Some("draft"),
                },
                Message {
                    id: 2,
                    body: answer.into(),
                    from_us: false,
                    sent_at: now_iso(),
                    source: None,
                },
            ],
        ));
    }
}

// ---------------------------------------------------------------------------
// Example data
// ---------------------------------------------------------------------------

fn products() -> Vec<Product> {
    vec![
        Product {
            id: 42,
            name: "Acme CRM",
            url: "https://acme.example.com",
            pain: "Manual lead tracking is slow",
            solution: "AI-powered CRM for small teams",
            target_users: "Solo founders and small sales teams",
        },
        Product {
            id: 43,
            name: "Example Notes",
            url: "https://notes.example.com",
            pain: "Meeting notes and action items get lost",
            solution: "Shared meeting notes with tracked action items",
            target_users: "Remote teams",
        },
    ]
}

struct LeadSeed {
    id: u64,
    product: u64,
    sub: &'static str,
    title: &'static str,
    quality: u64,
    intent: &'static str,
    day: u32,
    keyword: &'static str,
    content: &'static str,
}

fn lead(s: LeadSeed) -> Lead {
    Lead {
        id: s.id,
        product_id: s.product,
        subreddit: s.sub,
        title: s.title.into(),
        author: format!("example_user_{}", s.id - 1200),
        quality: s.quality,
        intent: s.intent,
        upvotes: s.quality / 7,
        comments: s.quality / 10,
        posted_at: format!("2026-11-{:02}T14:30:00.000Z", s.day),
        discovered_at: format!("2026-11-{:02}T15:00:00.000Z", s.day),
        status: "new",
        contacted_at: None,
        keyword: s.keyword,
        feedback: None,
        dislike_reason: None,
        note: None,
        content: s.content.into(),
        deleted: false,
        accepts_dms: true,
        send_error: None,
        answer: None,
    }
}

fn leads() -> Vec<Lead> {
    let mut leads = vec![
        Lead {
            answer: Some("Thanks for reaching out! What does the team plan cost for three people?"),
            ..lead(LeadSeed {
                id: 1201,
                product: 42,
                sub: "smallbusiness",
                title: "Need a CRM that doesn't cost a fortune",
                quality: 85,
                intent: "Looking for an affordable CRM for a 3-person team",
                day: 18,
                keyword: "affordable crm",
                content: "We're three people tracking leads in a shared spreadsheet and keep losing follow-ups. Anything simple and cheap?",
            })
        },
        lead(LeadSeed {
            id: 1202,
            product: 42,
            sub: "startups",
            title: "How do you keep track of follow-ups?",
            quality: 72,
            intent: "Struggles with follow-up tracking",
            day: 19,
            keyword: "follow-ups",
            content: "Every week a warm lead slips through because nobody remembered to follow up. How do you handle it?",
        }),
        Lead {
            accepts_dms: false,
            ..lead(LeadSeed {
                id: 1203,
                product: 42,
                sub: "sales",
                title: "Looking for a simple pipeline tool",
                quality: 64,
                intent: "Wants a simple sales pipeline",
                day: 16,
                keyword: "pipeline tool",
                content: "Just need columns and reminders. Please reply in the thread, my DMs are closed.",
            })
        },
        lead(LeadSeed {
            id: 1204,
            product: 42,
            sub: "Entrepreneur",
            title: "We build custom CRMs for agencies, DM me",
            quality: 41,
            intent: "Agency offering CRM development services",
            day: 20,
            keyword: "crm",
            content: "Our agency builds CRMs. Send me a message for a quote.",
        }),
        Lead {
            feedback: Some("like".into()),
            ..lead(LeadSeed {
                id: 1205,
                product: 42,
                sub: "smallbusiness",
                title: "Spreadsheet or CRM for a small bakery?",
                quality: 58,
                intent: "Deciding between a spreadsheet and a CRM",
                day: 14,
                keyword: "crm",
                content: "We take catering orders and lose track of repeat customers.",
            })
        },
        Lead {
            status: "contacted",
            contacted_at: Some("2026-11-10T12:05:00.000Z".into()),
            ..lead(LeadSeed {
                id: 1206,
                product: 42,
                sub: "startups",
                title: "What CRM did you switch to?",
                quality: 77,
                intent: "Evaluating a CRM switch",
                day: 9,
                keyword: "switch crm",
                content: "Our current CRM is too expensive for a team of five. What did you move to?",
            })
        },
        lead(LeadSeed {
            id: 1207,
            product: 42,
            sub: "sales",
            title: "Any CRM with a decent free tier?",
            quality: 81,
            intent: "Looking for a CRM with a free tier",
            day: 21,
            keyword: "free crm",
            content: "Bootstrapped, two founders. Free tier or cheap starter plan needed.",
        }),
        lead(LeadSeed {
            id: 1208,
            product: 43,
            sub: "remotework",
            title: "Our meeting notes are a mess",
            quality: 90,
            intent: "Needs shared meeting notes with action items",
            day: 20,
            keyword: "meeting notes",
            content: "Four time zones, nobody knows who owns which action item after a call.",
        }),
        Lead {
            send_error: Some("The recipient's account does not accept messages from new contacts."),
            ..lead(LeadSeed {
                id: 1209,
                product: 43,
                sub: "productivity",
                title: "Best tool for shared action items?",
                quality: 66,
                intent: "Looking for action item tracking",
                day: 17,
                keyword: "action items",
                content: "Looking for something lighter than a project manager.",
            })
        },
        Lead {
            feedback: Some("dislike".into()),
            dislike_reason: Some("no_active_need".into()),
            note: Some("Just sharing an opinion".into()),
            ..lead(LeadSeed {
                id: 1210,
                product: 43,
                sub: "remotework",
                title: "Async standups are overrated",
                quality: 35,
                intent: "Opinion post about standups",
                day: 15,
                keyword: "standups",
                content: "Hot take: async standups are just status theatre.",
            })
        },
        Lead {
            status: "contacted",
            contacted_at: Some("2026-11-11T09:00:00.000Z".into()),
            ..lead(LeadSeed {
                id: 1211,
                product: 43,
                sub: "remotework",
                title: "How do you run meetings across time zones?",
                quality: 74,
                intent: "Needs async meeting workflow",
                day: 8,
                keyword: "meetings",
                content: "Half the team is asleep during our weekly meeting. How do you share outcomes?",
            })
        },
        Lead {
            status: "contacted",
            contacted_at: Some("2026-11-12T10:00:00.000Z".into()),
            ..lead(LeadSeed {
                id: 1212,
                product: 42,
                sub: "smallbusiness",
                title: "CRM that works with our email?",
                quality: 69,
                intent: "Wants CRM with email integration",
                day: 7,
                keyword: "crm email",
                content: "We live in our inboxes. Does any CRM log emails automatically?",
            })
        },
    ];
    leads.sort_by_key(|l| l.id);
    leads
}

fn drafts() -> Vec<Draft> {
    vec![
        Draft {
            id: 567,
            product_id: 42,
            lead_id: 1206,
            status: "posted",
            content: "Hey, saw your post about switching CRMs. Acme CRM is built for small teams; happy to share details.".into(),
            subject: Some("About your CRM search".into()),
            recipient: "example_user_6".into(),
            created_at: "2026-11-10T10:00:00.000Z".into(),
            reviewed_at: Some("2026-11-10T12:00:00.000Z".into()),
            posted_at: Some("2026-11-10T12:05:00.000Z".into()),
            error: None,
        },
        // Queued while the user's browser is offline: it stays approved.
        Draft {
            id: 568,
            product_id: 42,
            lead_id: 1207,
            status: "approved",
            content: "Hi! Acme CRM has a free starter plan for two seats; want the link?".into(),
            subject: None,
            recipient: "example_user_7".into(),
            created_at: "2026-11-21T16:00:00.000Z".into(),
            reviewed_at: None,
            posted_at: None,
            error: None,
        },
    ]
}

fn msg(id: u64, from_us: bool, day: u32, body: &str) -> Message {
    Message {
        id,
        body: body.into(),
        from_us,
        sent_at: format!("2026-11-{day:02}T09:30:00.000Z"),
        source: from_us.then_some("manual"),
    }
}

struct ConversationSeed {
    id: u64,
    user: u64,
    lead: Option<u64>,
    product: &'static str,
    ours: &'static str,
    theirs: Option<&'static str>,
    day: u32,
}

fn conversation(s: ConversationSeed) -> Conversation {
    let mut messages = vec![msg(1, true, s.day - 1, s.ours)];
    if let Some(theirs) = s.theirs {
        messages.push(msg(2, false, s.day, theirs));
    }
    Conversation::open(
        s.id,
        format!("example_user_{}", s.user),
        format!("t2_exu{}", s.user),
        s.lead,
        s.product,
        messages,
    )
}

fn conversations() -> Vec<Conversation> {
    vec![
        Conversation {
            script: VecDeque::from([
                "Great, that works for us. We just signed up for the team plan!",
            ]),
            ..conversation(ConversationSeed {
                id: 88,
                user: 6,
                lead: Some(1206),
                product: "Acme CRM",
                ours: "Hey, saw your post about switching CRMs. Acme CRM is built for small teams; happy to share details.",
                theirs: Some("How much is the team plan?"),
                day: 13,
            })
        },
        conversation(ConversationSeed {
            id: 89,
            user: 21,
            lead: None,
            product: "Acme CRM",
            ours: "Hi! Saw you were comparing CRMs, can I help?",
            theirs: Some("Not interested anymore, we went with a spreadsheet."),
            day: 14,
        }),
        conversation(ConversationSeed {
            id: 90,
            user: 11,
            lead: Some(1211),
            product: "Example Notes",
            ours: "Hi, Example Notes shares meeting outcomes across time zones. Want a look?",
            theirs: Some("Busy until next month, can you ping me then?"),
            day: 15,
        }),
        conversation(ConversationSeed {
            id: 91,
            user: 22,
            lead: None,
            product: "Acme CRM",
            ours: "Hope the trial is going well!",
            theirs: Some("We signed up for the team plan yesterday, thanks!"),
            day: 16,
        }),
        conversation(ConversationSeed {
            id: 92,
            user: 12,
            lead: Some(1212),
            product: "Acme CRM",
            ours: "Hi, Acme CRM might fit your team. Happy to answer questions.",
            theirs: Some("Does it integrate with email?"),
            day: 17,
        }),
        Conversation {
            sendable: false,
            ..conversation(ConversationSeed {
                id: 93,
                user: 23,
                lead: None,
                product: "Example Notes",
                ours: "Hi! Happy to show you Example Notes.",
                theirs: Some("Can you send me a demo link?"),
                day: 18,
            })
        },
        conversation(ConversationSeed {
            id: 94,
            user: 24,
            lead: None,
            product: "Acme CRM",
            ours: "Following up on my last message: any questions?",
            theirs: None,
            day: 19,
        }),
        Conversation {
            converted_at: Some("2026-11-12T10:00:00.000Z".into()),
            ..conversation(ConversationSeed {
                id: 95,
                user: 25,
                lead: None,
                product: "Acme CRM",
                ours: "Welcome aboard!",
                theirs: Some("Thanks, the team loves it."),
                day: 11,
            })
        },
        Conversation {
            archived_at: Some("2026-11-09T10:00:00.000Z".into()),
            ..conversation(ConversationSeed {
                id: 96,
                user: 26,
                lead: None,
                product: "Example Notes",
                ours: "Hi, any interest in Example Notes?",
                theirs: Some("No thanks."),
                day: 8,
            })
        },
    ]
}

fn scan_finds() -> HashMap<u64, VecDeque<Lead>> {
    HashMap::from([
        (
            42,
            VecDeque::from([lead(LeadSeed {
                id: 1301,
                product: 42,
                sub: "smallbusiness",
                title: "Which CRM for a two-person agency?",
                quality: 79,
                intent: "Choosing a first CRM",
                day: 22,
                keyword: "first crm",
                content: "We just hired our first salesperson and need a CRM.",
            })]),
        ),
        (
            43,
            VecDeque::from([lead(LeadSeed {
                id: 1302,
                product: 43,
                sub: "remotework",
                title: "Tool for meeting action items?",
                quality: 83,
                intent: "Needs action item tracking",
                day: 22,
                keyword: "action items",
                content: "Our meetings end with nobody owning the next steps.",
            })]),
        ),
    ])
}

fn world(user_name: &'static str, email: &'static str, ai_used: u64, ai_limit: u64) -> World {
    World {
        user_name,
        email,
        ai_used,
        ai_limit,
        products: products(),
        leads: leads(),
        drafts: drafts(),
        conversations: conversations(),
        scan_finds: scan_finds(),
        scans: HashMap::new(),
        events: Vec::new(),
        next_id: 2000,
    }
}

fn seed() -> Sim {
    Sim {
        worlds: HashMap::from([
            ("main", world("Example User", "user@example.com", 14, 1000)),
            ("trial", world("Example Trial", "trial@example.com", 50, 50)),
        ]),
        windows: HashMap::new(),
    }
}

// ---------------------------------------------------------------------------
// Envelopes, auth, rate limits
// ---------------------------------------------------------------------------

/// The reference's error envelope: `{"error": {"code", "message", "doc_url"}}`.
struct LeadsRover;

impl Vendor for LeadsRover {
    fn envelope(f: &ApiError) -> Value {
        json!({"error": {"code": f.code, "message": f.message, "doc_url": DOC_URL}})
    }

    fn internal() -> ApiError {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Server error",
        )
    }

    fn bad_body() -> ApiError {
        bad_request("Invalid parameters: a JSON object body is required")
    }

    fn bad_query(q: &BadQuery) -> ApiError {
        bad_request(format!("Invalid parameter: {}", q.name))
    }
}

type ApiError = Failure<LeadsRover>;
type Result<T> = kit::Result<T, LeadsRover>;
type Body = kit::Body<LeadsRover>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    Failure::new(status, code, message)
}

fn bad_request(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn not_found(message: &str) -> ApiError {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", message)
}

fn conflict(message: impl Into<String>) -> ApiError {
    error(StatusCode::CONFLICT, "CONFLICT", message)
}

fn data(value: Value) -> Response {
    axum::Json(json!({ "data": value })).into_response()
}

fn with_status(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(json!({ "data": value }))).into_response()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// Authenticates the key, counts the request against its rate limit, runs
/// due events, then `f` on the key's account.
fn serve(
    db: &Db,
    headers: &HeaderMap,
    access: Access,
    f: impl FnOnce(&mut World) -> Result<Response>,
) -> Response {
    let run = || -> Result<Response> {
        let (key, account, can_write) = match kit::bearer(headers) {
            Some(FULL_KEY) => (FULL_KEY, "main", true),
            Some(READ_KEY) => (READ_KEY, "main", false),
            Some(QUOTA_SPENT_KEY) => (QUOTA_SPENT_KEY, "trial", true),
            _ => {
                return Err(error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "Missing or invalid API key",
                ));
            }
        };
        if access == Access::Write && !can_write {
            return Err(error(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "This API key lacks the write scope",
            ));
        }
        let mut sim = db.lock()?;
        let now = Instant::now();
        let window = sim.windows.entry(key).or_default();
        let (log, limit) = match access {
            Access::Read => (&mut window.reads, READS_PER_MINUTE),
            Access::Write => (&mut window.writes, WRITES_PER_MINUTE),
        };
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            log.pop_front();
        }
        if log.len() >= limit {
            let oldest = log.front().copied().unwrap_or(now);
            let wait = MINUTE.saturating_sub(now.duration_since(oldest));
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many requests",
            )
            .retry_after(wait.as_secs_f64().ceil() as u64));
        }
        log.push_back(now);
        let world = sim
            .worlds
            .get_mut(account)
            .ok_or_else(LeadsRover::internal)?;
        world.advance(now);
        f(world)
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

type Params = kit::Query;

fn id(raw: &str) -> Result<u64> {
    raw.parse().map_err(|_| not_found("Resource not found"))
}

fn number(q: &Params, name: &'static str, min: u64, max: u64) -> Result<Option<u64>> {
    kit::number(q, name, min, max).map_err(|bad| LeadsRover::bad_query(&bad))
}

fn one_of<'a>(q: &'a Params, name: &str, allowed: &[&str]) -> Result<Option<&'a str>> {
    match q.get(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.as_str())),
        Some(_) => Err(bad_request(format!(
            "Invalid parameter: {name} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

/// Limit/offset pagination: 50 by default, at most 100.
const PAGING: OffsetPaging = OffsetPaging::new(Param::limit(50, 100));

fn page(items: Vec<Value>, q: &Params) -> Result<Response> {
    let page = PAGING.page(items, q)?;
    Ok(axum::Json(json!({
        "data": page.items,
        "pagination": {"total": page.total, "limit": page.limit, "offset": page.offset, "hasMore": page.has_more}
    }))
    .into_response())
}

/// The path id and the JSON body of a write, which may only hold `allowed` fields.
fn id_and_body(raw: &str, b: Body, allowed: &[&str]) -> Result<(u64, Map<String, Value>)> {
    let id = id(raw)?;
    let b = b.object()?;
    match kit::unknown_field(&b, allowed) {
        Some(k) => Err(bad_request(format!(
            "Invalid parameters: unknown field {k}"
        ))),
        None => Ok((id, b)),
    }
}

fn string_field(b: &Map<String, Value>, name: &str, max: usize) -> Result<Option<String>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(bad_request(format!(
            "Invalid parameters: {name} must be a string of at most {max} characters"
        ))),
    }
}

fn bool_field(b: &Map<String, Value>, name: &str) -> Result<Option<bool>> {
    match b.get(name) {
        None => Ok(None),
        Some(Value::Bool(v)) => Ok(Some(*v)),
        Some(_) => Err(bad_request(format!(
            "Invalid parameters: {name} must be a boolean"
        ))),
    }
}

/// The lead list filters (`product` fixed for the product route).
fn filtered_leads(w: &World, q: &Params, product: Option<u64>) -> Result<Vec<Value>> {
    let product = match product {
        Some(p) => Some(p),
        None => number(q, "productId", 1, u64::MAX)?,
    };
    let status = one_of(q, "status", &["new", "contacted", "all"])?.unwrap_or("new");
    let min_quality = number(q, "minQuality", 0, 100)?.unwrap_or(0);
    let since = match q.get("since") {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| bad_request("Invalid parameter: since must be ISO 8601"))?,
        ),
    };
    let with_content = one_of(q, "include", &["content"])?.is_some();
    let sort = one_of(q, "sort", &["discoveredAt", "qualityScore"])?.unwrap_or("discoveredAt");
    let order = one_of(q, "order", &["desc", "asc"])?.unwrap_or("desc");
    let mut leads: Vec<&Lead> = w
        .leads
        .iter()
        .filter(|l| !l.deleted)
        .filter(|l| product.is_none_or(|p| l.product_id == p))
        .filter(|l| match status {
            "new" => l.status == "new" && l.feedback.as_deref() != Some("dislike"),
            "contacted" => l.status == "contacted",
            _ => true,
        })
        .filter(|l| l.quality >= min_quality)
        .filter(|l| {
            since.is_none_or(|s| {
                chrono::DateTime::parse_from_rfc3339(&l.discovered_at).is_ok_and(|d| d > s)
            })
        })
        .collect();
    leads.sort_by(|a, b| {
        let by = if sort == "qualityScore" {
            a.quality.cmp(&b.quality)
        } else {
            a.discovered_at.cmp(&b.discovered_at)
        }
        .then(a.id.cmp(&b.id));
        if order == "asc" { by } else { by.reverse() }
    });
    Ok(leads.into_iter().map(|l| l.json(with_content)).collect())
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

async fn me(State(db): State<Db>, headers: HeaderMap) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        Ok(data(json!({
            "user": {"id": "usr_example", "name": w.user_name, "email": w.email,
                     "timezone": "America/New_York", "createdAt": "2026-01-15T10:30:00.000Z"},
            "plan": {"type": "pro", "status": "active", "currentPeriodEnd": "2026-12-15T10:30:00.000Z",
                     "limits": {"maxProducts": 5, "scansPerMonth": -1, "aiCommentsPerMonth": w.ai_limit}}
        })))
    })
}

async fn list_products(State(db): State<Db>, headers: HeaderMap) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        Ok(data(w.products.iter().map(Product::json).collect()))
    })
}

async fn get_product(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        Ok(data(w.product(id(&raw)?)?.json()))
    })
}

async fn scan(State(db): State<Db>, headers: HeaderMap, Path(raw): Path<String>) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let pid = w.product(id(&raw)?)?.id;
        if w.scans.contains_key(&pid) {
            return Err(conflict("A scan is already running for this product"));
        }
        w.scans.insert(pid, Instant::now() + SCAN_DURATION);
        w.schedule(SCAN_DURATION, Event::ScanDone(pid));
        Ok(with_status(
            StatusCode::ACCEPTED,
            json!({"productId": pid, "status": "scanning", "message": "Scan enqueued successfully"}),
        ))
    })
}

async fn list_leads(State(db): State<Db>, headers: HeaderMap, Query(q): Query<Params>) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        page(filtered_leads(w, &q, None)?, &q)
    })
}

async fn product_leads(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        if q.contains_key("productId") {
            return Err(bad_request("Invalid parameter: productId"));
        }
        let pid = w.product(id(&raw)?)?.id;
        page(filtered_leads(w, &q, Some(pid))?, &q)
    })
}

async fn get_lead(State(db): State<Db>, headers: HeaderMap, Path(raw): Path<String>) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        Ok(data(w.lead(id(&raw)?)?.json(true)))
    })
}

async fn update_lead(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Body,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let (lid, b) = id_and_body(&raw, b, &["status", "contactMethod"])?;
        let status = match kit::str_field(&b, "status") {
            Some("new") => "new",
            Some("contacted") => "contacted",
            _ => {
                return Err(bad_request(
                    "Invalid parameters: status must be new or contacted",
                ));
            }
        };
        if !matches!(b.get("contactMethod"), None | Some(Value::Null))
            && !matches!(kit::str_field(&b, "contactMethod"), Some("dm" | "comment"))
        {
            return Err(bad_request(
                "Invalid parameters: contactMethod must be dm or comment",
            ));
        }
        let lead = w.lead(lid)?;
        lead.status = status;
        lead.contacted_at = (status == "contacted").then(now_iso);
        if status == "contacted" {
            // Unsent drafts go stale.
            for d in w
                .drafts
                .iter_mut()
                .filter(|d| d.lead_id == lid && matches!(d.status, "pending" | "approved"))
            {
                d.status = "rejected";
                d.error = Some("Rejected as stale: the lead was marked contacted.".into());
            }
        }
        Ok(data(json!({"id": lid, "status": status})))
    })
}

async fn delete_lead(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let lid = id(&raw)?;
        w.lead(lid)?.deleted = true;
        Ok(data(json!({"id": lid, "deleted": true})))
    })
}

const REASONS: &[&str] = &[
    "wrong_audience",
    "seller_side",
    "no_active_need",
    "wrong_category",
    "other",
];

async fn set_feedback(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Body,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let (lid, b) = id_and_body(&raw, b, &["feedback", "reason", "note"])?;
        let feedback = match kit::str_field(&b, "feedback") {
            Some(f @ ("like" | "dislike")) => f.to_string(),
            _ => {
                return Err(bad_request(
                    "Invalid parameters: feedback must be like or dislike",
                ));
            }
        };
        let reason = string_field(&b, "reason", 64)?;
        let note = string_field(&b, "note", 240)?;
        if feedback == "dislike" {
            match reason.as_deref() {
                Some(r) if REASONS.contains(&r) => {}
                _ => {
                    return Err(bad_request(format!(
                        "Invalid parameters: a dislike needs a reason ({})",
                        REASONS.join(", ")
                    )));
                }
            }
        }
        let lead = w.lead(lid)?;
        let dislike = feedback == "dislike";
        lead.feedback = Some(feedback.clone());
        lead.dislike_reason = if dislike { reason } else { None };
        lead.note = if dislike { note } else { None };
        Ok(data(json!({
            "leadId": lid, "feedback": feedback,
            "dislikeReason": opt(&lead.dislike_reason), "note": opt(&lead.note)
        })))
    })
}

async fn clear_feedback(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let lid = id(&raw)?;
        let lead = w.lead(lid)?;
        lead.feedback = None;
        lead.dislike_reason = None;
        lead.note = None;
        Ok(data(json!({"leadId": lid, "feedback": null})))
    })
}

async fn generate_dm(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let lid = id(&raw)?;
        let lead = w.lead(lid)?.clone();
        if w.ai_used >= w.ai_limit {
            return Err(error(
                StatusCode::FORBIDDEN,
                "LIMIT_REACHED",
                "AI generation quota exhausted",
            ));
        }
        w.ai_used += 1;
        let solution = w.product(lead.product_id).map_or("", |p| p.solution);
        let dm = format!(
            "Hey {}, saw your post \"{}\". We make {}: it might save you time. Happy to share more if useful.",
            lead.author,
            lead.title,
            solution.to_lowercase()
        );
        Ok(data(json!({
            "leadId": lid, "dm": dm, "quota": {"used": w.ai_used, "limit": w.ai_limit}
        })))
    })
}

async fn create_draft(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Body,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let (lid, b) = id_and_body(&raw, b, &["content", "dmSubject"])?;
        let content = match string_field(&b, "content", 10_000)? {
            Some(c) if !c.trim().is_empty() => c,
            _ => {
                return Err(bad_request(
                    "Invalid parameters: content is required (at most 10,000 characters)",
                ));
            }
        };
        let subject = string_field(&b, "dmSubject", 200)?;
        let lead = w.lead(lid)?.clone();
        if w.drafts.iter().any(|d| d.lead_id == lid) {
            return Err(conflict("A draft already exists for this lead"));
        }
        if lead.status == "contacted" {
            return Err(conflict("This lead was already contacted"));
        }
        if !lead.accepts_dms {
            return Err(conflict("The author cannot receive DMs"));
        }
        let draft = Draft {
            id: w.new_id(),
            product_id: lead.product_id,
            lead_id: lid,
            status: "approved",
            content,
            subject,
            recipient: lead.author.clone(),
            created_at: now_iso(),
            reviewed_at: None,
            posted_at: None,
            error: None,
        };
        let out = draft.json();
        w.schedule(SEND_DELAY, Event::SendDraft(draft.id));
        w.drafts.push(draft);
        Ok(with_status(StatusCode::CREATED, out))
    })
}

async fn list_drafts(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        let status = one_of(
            &q,
            "status",
            &["pending", "approved", "rejected", "posted", "failed"],
        )?;
        let product = number(&q, "productId", 1, u64::MAX)?;
        let lead = number(&q, "leadId", 1, u64::MAX)?;
        let items = w
            .drafts
            .iter()
            .filter(|d| status.is_none_or(|s| d.status == s))
            .filter(|d| product.is_none_or(|p| d.product_id == p))
            .filter(|d| lead.is_none_or(|l| d.lead_id == l))
            .map(Draft::json)
            .collect();
        page(items, &q)
    })
}

async fn list_conversations(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        let filter = one_of(
            &q,
            "filter",
            &[
                "needs_reply",
                "awaiting_reply",
                "converted",
                "archived",
                "all",
            ],
        )?
        .unwrap_or("needs_reply");
        let mut items: Vec<&Conversation> = w
            .conversations
            .iter()
            .filter(|c| c.in_filter(filter))
            .collect();
        items.sort_by(|a, b| {
            let at = |c: &Conversation| c.last().map(|m| m.sent_at.clone());
            at(b).cmp(&at(a)).then(a.id.cmp(&b.id))
        });
        page(items.into_iter().map(Conversation::json).collect(), &q)
    })
}

async fn get_conversation(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    serve(&db, &headers, Access::Read, |w| {
        let c = w.conversation(id(&raw)?)?.clone();
        let lead = c
            .lead_id
            .and_then(|l| w.leads.iter().find(|x| x.id == l && !x.deleted))
            .map_or(Value::Null, |l| l.json(true));
        Ok(data(json!({
            "conversation": c.json(),
            "lead": lead,
            "messages": c.messages.iter().map(Message::json).collect::<Vec<_>>()
        })))
    })
}

async fn reply(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Body,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let (cid, b) = id_and_body(&raw, b, &["message"])?;
        let message = match kit::str_field(&b, "message") {
            Some(m) if !m.trim().is_empty() => m.to_string(),
            _ => return Err(bad_request("Invalid parameters: message is required")),
        };
        let c = w.conversation(cid)?;
        if !c.sendable {
            return Err(conflict("The chat room is not ready"));
        }
        if c.queued_reply.is_some() {
            return Err(conflict("A reply is already queued for this conversation"));
        }
        c.queued_reply = Some(message);
        w.schedule(SEND_DELAY, Event::SendReply(cid));
        Ok(with_status(
            StatusCode::ACCEPTED,
            json!({"conversationId": cid, "queued": true}),
        ))
    })
}

async fn update_conversation(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Body,
) -> Response {
    serve(&db, &headers, Access::Write, |w| {
        let fields = ["archived", "converted", "snoozedUntil", "cancelQueuedReply"];
        let (cid, b) = id_and_body(&raw, b, &fields)?;
        if b.is_empty() {
            return Err(bad_request("Invalid parameters: nothing to update"));
        }
        let archived = bool_field(&b, "archived")?;
        let converted = bool_field(&b, "converted")?;
        let cancel = bool_field(&b, "cancelQueuedReply")?;
        let snooze = match b.get("snoozedUntil") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) if is_future(&Some(s.clone())) => Some(Some(s.clone())),
            Some(_) => {
                return Err(bad_request(
                    "Invalid parameters: snoozedUntil must be a future ISO 8601 timestamp or null",
                ));
            }
        };
        let c = w.conversation(cid)?;
        let now = now_iso();
        if let Some(a) = archived {
            c.archived_at = a.then(|| now.clone());
            if a {
                c.queued_reply = None;
            }
        }
        if let Some(v) = converted {
            c.converted_at = v.then(|| now.clone());
        }
        if let Some(until) = snooze {
            if until.is_some() {
                c.queued_reply = None;
            }
            c.snoozed_until = until;
        }
        if cancel == Some(true) {
            c.queued_reply = None;
        }
        Ok(data(c.json()))
    })
}

/// Every route of the reference: (method, path, summary, scope).
const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("get", "/api/v1/me", "Account info and current plan", "read"),
    ("get", "/api/v1/products", "List products", "read"),
    ("get", "/api/v1/products/{id}", "Get a product", "read"),
    (
        "post",
        "/api/v1/products/{id}/scan",
        "Trigger an on-demand scan",
        "write",
    ),
    (
        "get",
        "/api/v1/products/{id}/leads",
        "List a product's leads",
        "read",
    ),
    ("get", "/api/v1/leads", "List leads", "read"),
    (
        "get",
        "/api/v1/leads/{id}",
        "Get a lead with its post content",
        "read",
    ),
    (
        "patch",
        "/api/v1/leads/{id}",
        "Update a lead's status",
        "write",
    ),
    (
        "delete",
        "/api/v1/leads/{id}",
        "Soft-delete a lead",
        "write",
    ),
    (
        "post",
        "/api/v1/leads/{id}/feedback",
        "Like or dislike a lead",
        "write",
    ),
    (
        "delete",
        "/api/v1/leads/{id}/feedback",
        "Clear feedback",
        "write",
    ),
    (
        "post",
        "/api/v1/leads/{id}/generate-dm",
        "Generate DM text (AI quota)",
        "write",
    ),
    (
        "post",
        "/api/v1/leads/{id}/draft",
        "Queue a DM draft",
        "write",
    ),
    ("get", "/api/v1/drafts", "List DM drafts", "read"),
    ("get", "/api/v1/conversations", "List conversations", "read"),
    (
        "get",
        "/api/v1/conversations/{id}",
        "Get a conversation with its lead",
        "read",
    ),
    (
        "post",
        "/api/v1/conversations/{id}/reply",
        "Queue a reply",
        "write",
    ),
    (
        "patch",
        "/api/v1/conversations/{id}",
        "Update a conversation",
        "write",
    ),
    ("get", "/api/v1/openapi.json", "This document", "read"),
    (
        "get",
        "/api/v1/agent-guide",
        "Workflow guide for agents",
        "read",
    ),
];

async fn openapi(State(db): State<Db>, headers: HeaderMap) -> Response {
    serve(&db, &headers, Access::Read, |_| {
        let mut paths = Map::new();
        for (method, path, summary, scope) in ROUTES {
            let entry = paths
                .entry((*path).to_string())
                .or_insert_with(|| json!({}));
            if let Value::Object(ops) = entry {
                ops.insert(
                    (*method).to_string(),
                    json!({"summary": summary, "security": [{"bearer": [scope]}],
                           "responses": {"200": {"description": "OK"}}}),
                );
            }
        }
        Ok(axum::Json(json!({
            "openapi": "3.1.0",
            "info": {"title": "LeadsRover API (sandbox)", "version": "1.0.0"},
            "servers": [{"url": "https://leadsrover.io"}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "paths": paths
        }))
        .into_response())
    })
}

/// The simulated agent guide (markdown), written from the API reference.
pub const AGENT_GUIDE: &str = "\
# LeadsRover agent guide (sandbox)

## Triage loop
1. List the inbox with `GET /api/v1/conversations?filter=needs_reply`.
2. For each thread, read `GET /api/v1/conversations/:id`: the messages and the lead's Reddit post.
3. Draft an answer and have your user confirm the exact text; queuing is the send decision.
4. Reply with `POST /api/v1/conversations/:id/reply`, or archive a dead end, snooze it, or mark it converted
   with `PATCH /api/v1/conversations/:id`.

## Feedback semantics
- Like leads that fit. Dislike the rest with a concrete reason (wrong_audience, seller_side, no_active_need,
  wrong_category, other): it improves future scoring. Deleting is cleanup, not feedback.

## DM draft lifecycle
- `POST /api/v1/leads/:id/generate-dm` suggests text and spends AI quota; it creates no draft.
- `POST /api/v1/leads/:id/draft` queues the final text: approved, then posted or failed when the browser
  extension sends it. One draft per lead. A successful send marks the lead contacted: never mark it
  contacted yourself while a draft is approved.
";

async fn agent_guide(State(db): State<Db>, headers: HeaderMap) -> Response {
    serve(&db, &headers, Access::Read, |_| {
        Ok((
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            AGENT_GUIDE,
        )
            .into_response())
    })
}

async fn not_found_route() -> ApiError {
    not_found("Resource not found")
}

pub fn router() -> Router {
    let db = Db::new(seed());
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/products", get(list_products))
        .route("/api/v1/products/{id}", get(get_product))
        .route("/api/v1/products/{id}/scan", post(scan))
        .route("/api/v1/products/{id}/leads", get(product_leads))
        .route("/api/v1/leads", get(list_leads))
        .route(
            "/api/v1/leads/{id}",
            get(get_lead).patch(update_lead).delete(delete_lead),
        )
        .route(
            "/api/v1/leads/{id}/feedback",
            post(set_feedback).delete(clear_feedback),
        )
        .route("/api/v1/leads/{id}/generate-dm", post(generate_dm))
        .route("/api/v1/leads/{id}/draft", post(create_draft))
        .route("/api/v1/drafts", get(list_drafts))
        .route("/api/v1/conversations", get(list_conversations))
        .route(
            "/api/v1/conversations/{id}",
            get(get_conversation).patch(update_conversation),
        )
        .route("/api/v1/conversations/{id}/reply", post(reply))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/agent-guide", get(agent_guide))
        .fallback(not_found_route)
        .with_state(db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Sandbox;
    use reqwest::Method;

    /// One bodiless request: status, Retry-After and the error code, if any.
    async fn call(
        sandbox: &Sandbox,
        key: &str,
        method: Method,
        path: &str,
    ) -> (u16, Option<String>, Value) {
        // The simulation serves plain HTTP, but reqwest is built with
        // `rustls-no-provider` across the workspace, so a client needs a
        // process-wide provider before it can be built.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("{}{path}", sandbox.base_url("leadsrover").unwrap());
        let resp = reqwest::Client::new()
            .request(method, url)
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        (status, retry, body)
    }

    async fn code(sandbox: &Sandbox, key: &str, method: Method, path: &str) -> (u16, String) {
        let (status, _, body) = call(sandbox, key, method, path).await;
        let code = body["error"]["code"].as_str().unwrap_or("").to_string();
        (status, code)
    }

    const FEEDBACK: &str = "/api/v1/leads/1202/feedback";

    #[tokio::test]
    async fn writes_beyond_sixty_a_minute_are_rate_limited() {
        let sandbox = Sandbox::start().await.unwrap();
        for _ in 0..WRITES_PER_MINUTE {
            assert_eq!(
                code(&sandbox, FULL_KEY, Method::DELETE, FEEDBACK).await.0,
                200
            );
        }
        let (status, retry, body) = call(&sandbox, FULL_KEY, Method::DELETE, FEEDBACK).await;
        assert_eq!(status, 429);
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
        assert_eq!(body["error"]["doc_url"], DOC_URL);
        let wait: u64 = retry.unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        // Reads are counted apart, and so is another key.
        assert_eq!(
            code(&sandbox, FULL_KEY, Method::GET, "/api/v1/me").await.0,
            200
        );
        assert_eq!(
            code(&sandbox, QUOTA_SPENT_KEY, Method::DELETE, FEEDBACK)
                .await
                .0,
            200
        );
    }

    #[tokio::test]
    async fn scopes_keys_the_quota_and_scans() {
        let sandbox = Sandbox::start().await.unwrap();
        let s = &sandbox;
        let cases = [
            (
                "lr_sk_wrong",
                Method::GET,
                "/api/v1/me",
                401,
                "UNAUTHORIZED",
            ),
            (
                READ_KEY,
                Method::POST,
                "/api/v1/products/42/scan",
                403,
                "FORBIDDEN",
            ),
            (
                QUOTA_SPENT_KEY,
                Method::POST,
                "/api/v1/leads/1202/generate-dm",
                403,
                "LIMIT_REACHED",
            ),
            (FULL_KEY, Method::GET, "/api/v1/leads/abc", 404, "NOT_FOUND"),
            (
                FULL_KEY,
                Method::GET,
                "/api/v1/leads?limit=101",
                400,
                "BAD_REQUEST",
            ),
            (FULL_KEY, Method::POST, "/api/v1/products/42/scan", 202, ""),
            (
                FULL_KEY,
                Method::POST,
                "/api/v1/products/42/scan",
                409,
                "CONFLICT",
            ),
        ];
        for (key, method, path, status, error) in cases {
            assert_eq!(
                code(s, key, method.clone(), path).await,
                (status, error.to_string()),
                "{method} {path}"
            );
        }
        let (_, _, body) = call(s, FULL_KEY, Method::POST, "/api/v1/leads/1202/generate-dm").await;
        assert_eq!(body["data"]["quota"], json!({"used": 15, "limit": 1000}));
    }
}
