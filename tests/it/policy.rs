//! The authorization matrix: every route the router has, for every role and for anonymous
//! visitors, on a record inside and one outside the caller's scope.

use aixin::app::policy;
use aixin::domain::Role;
use aixin::web::Access;
use reqwest::{Method, StatusCode};
use serde_json::json;

use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp};

#[test]
fn the_policy_is_the_routes_as_registered() {
    let routes = policy();
    // Each route is registered once, with its rule beside it.
    for (i, r) in routes.iter().enumerate() {
        assert!(
            !routes[..i]
                .iter()
                .any(|o| o.method == r.method && o.path == r.path),
            "{} {} is registered twice",
            r.method,
            r.path
        );
    }
    let rule = |method: Method, path: &str| {
        routes
            .iter()
            .find(|r| r.method == method && r.path == path)
            .map(|r| r.access)
    };
    assert_eq!(
        rule(Method::POST, "/api/v1/pairings"),
        Some(Access::REGISTRARS)
    );
    assert_eq!(rule(Method::GET, "/admin/audit"), Some(Access::ADMIN));
    assert_eq!(
        rule(Method::POST, "/account/password"),
        Some(Access::ACCOUNT)
    );
    assert_eq!(rule(Method::GET, "/me"), Some(Access::VOLUNTEER));
    assert_eq!(rule(Method::GET, "/healthz"), Some(Access::PUBLIC));
    assert_eq!(rule(Method::PUT, "/api/v1/pairings"), None);

    // Who may call what is reviewed as one list: a change to any route's access, or a route
    // added or removed, must change `tests/it/policy.txt` in the same commit.
    let written: Vec<String> = routes
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, access_name(r.access)))
        .collect();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/policy.txt");
    let reviewed = std::fs::read_to_string(&file).unwrap_or_default();
    let mut reviewed: Vec<&str> = reviewed.lines().filter(|l| !l.is_empty()).collect();
    let mut written_sorted: Vec<&str> = written.iter().map(String::as_str).collect();
    reviewed.sort_unstable();
    written_sorted.sort_unstable();
    if std::env::var_os("AIXIN_WRITE_POLICY").is_some() {
        std::fs::write(&file, written_sorted.join("\n") + "\n").unwrap();
        return;
    }
    let added: Vec<_> = written_sorted
        .iter()
        .filter(|l| !reviewed.contains(l))
        .collect();
    let gone: Vec<_> = reviewed
        .iter()
        .filter(|l| !written_sorted.contains(l))
        .collect();
    assert!(
        added.is_empty() && gone.is_empty(),
        "the routes' access differs from tests/it/policy.txt (review, then rewrite it with \
         AIXIN_WRITE_POLICY=1 cargo test --test it policy::the_policy):\n  now: {added:?}\n  was: {gone:?}"
    );
}

/// An access rule as `tests/it/policy.txt` writes it.
fn access_name(access: Access) -> String {
    match access {
        Access::Public => "public".to_owned(),
        Access::Account => "account".to_owned(),
        Access::LoggedIn => "logged_in".to_owned(),
        Access::Roles(roles) => roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    As(Role),
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_every_role_as_the_policy_says() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    // The callers: an admin of 德阳市 (5106), staff of 广汉市 (510681), and the manager and a
    // volunteer of a station in 广汉市.
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let admin = app.regional_user("admin", "5106").await;
    let staff = app.regional_user("staff", "510681").await;
    let manager = app.station_manager(&[station]).await;
    let volunteer_user = app.volunteer_user(volunteer).await;
    // The records, by the path they are reached under: one inside every caller's scope, one
    // outside all of them (in 南江县 or 达州市).
    let inside_user = app.regional_user("staff", "510681").await.id;
    let outside_user = app.regional_user("staff", "5117").await.id;
    let outside_station = fixtures::station(p, YUNDING).await;
    let outside_volunteer = fixtures::volunteer(p, outside_station, "applied", 2).await;
    let (inside_child, inside_guardian) = fixtures::child(p, station).await;
    let inside_consent = fixtures::consent(p, inside_child, inside_guardian, "pairing").await;
    let (outside_child, outside_guardian) = fixtures::child(p, outside_station).await;
    let outside_consent = fixtures::consent(p, outside_child, outside_guardian, "pairing").await;
    let inside_pairing = fixtures::pair(p, inside_child, volunteer, station)
        .await
        .unwrap();
    let outside_partner = fixtures::volunteer(p, outside_station, "active", 2).await;
    let outside_pairing = fixtures::pair(p, outside_child, outside_partner, outside_station)
        .await
        .unwrap();
    let contact = |pairing: Uuid, by: Uuid| {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, concern_category, concern_detail, created_by)
             VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'call', 20, 'health', '咳嗽', $2) RETURNING id",
        )
        .bind(pairing)
        .bind(by)
        .fetch_one(p)
    };
    let inside_contact = contact(inside_pairing, volunteer_user.id).await.unwrap();
    let outside_contact = contact(outside_pairing, outside_user).await.unwrap();
    // A follow-up on each contact, for someone who reaches its pairing.
    let outside_assignee = app.regional_user("staff", "511922").await.id;
    let follow_up = |contact: Uuid, pairing: Uuid, assignee: Uuid| {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO follow_up (pairing_id, contact_id, assignee_id, action, due_on)
             VALUES ($2, $1, $3, '问问学校', (now() AT TIME ZONE 'Asia/Shanghai')::date) RETURNING id",
        )
        .bind(contact)
        .bind(pairing)
        .bind(assignee)
        .fetch_one(p)
    };
    let inside_follow_up = follow_up(inside_contact, inside_pairing, staff.id)
        .await
        .unwrap();
    let outside_follow_up = follow_up(outside_contact, outside_pairing, outside_assignee)
        .await
        .unwrap();
    // An import report is its author's alone: every caller here gets 404 for someone else's.
    let stranger = app.regional_user("staff", "510681").await;
    let report: Uuid = sqlx::query_scalar("INSERT INTO import_report (user_id, entity, errors) VALUES ($1, 'volunteer', '[]') RETURNING id")
        .bind(stranger.id)
        .fetch_one(p)
        .await
        .unwrap();
    // Station life: a session at each station, and a wish of a child paired with the
    // volunteer (so that a wish inside every caller's scope is inside hers too).
    let inside_activity = fixtures::activity(p, station).await;
    let outside_activity = fixtures::activity(p, outside_station).await;
    let paired_child = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, paired_child, volunteer, station)
        .await
        .unwrap();
    let inside_wish = fixtures::wish(p, paired_child).await;
    let outside_wish = fixtures::wish(p, outside_child).await;
    // A request: the volunteer's own about herself (inside every caller's scope, hers too),
    // and one about the child beyond them.
    let request = |child: Option<Uuid>, volunteer: Option<Uuid>| {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO data_request (kind, child_id, volunteer_id, requester_name, requester_relation,
                                       channel, received_on, identity_check, due_on)
             VALUES ('access', $1, $2, '王秀兰', 'self', 'online', DATE '2026-11-01', 'signed_in',
                     DATE '2026-11-16') RETURNING id",
        )
        .bind(child)
        .bind(volunteer)
        .fetch_one(p)
    };
    let inside_request = request(None, Some(volunteer)).await.unwrap();
    let outside_request = request(Some(outside_child), None).await.unwrap();
    let records = |pattern: &str| -> (Uuid, Uuid) {
        if pattern.contains("/activities/") {
            (inside_activity, outside_activity)
        } else if pattern.contains("/wishes/") {
            (inside_wish, outside_wish)
        } else if pattern.contains("/children/") && pattern.ends_with("/wishes") {
            (paired_child, outside_child)
        } else if pattern.contains("/users/") {
            (inside_user, outside_user)
        } else if pattern.contains("/stations/") {
            (station, outside_station)
        } else if pattern.contains("/volunteers/") {
            (volunteer, outside_volunteer)
        } else if pattern.contains("/children/") {
            (inside_child, outside_child)
        } else if pattern.contains("/guardians/") {
            (inside_guardian, outside_guardian)
        } else if pattern.contains("/requests/") {
            (inside_request, outside_request)
        } else if pattern.contains("/consents/") {
            (inside_consent, outside_consent)
        } else if pattern.contains("/contacts/") || pattern.contains("/concerns/") {
            (inside_contact, outside_contact)
        } else if pattern.contains("/follow-ups/") {
            (inside_follow_up, outside_follow_up)
        } else if pattern.contains("/pairings/") {
            (inside_pairing, outside_pairing)
        } else if pattern.contains("/imports/") {
            (report, report)
        } else {
            panic!("the matrix test does not know the records of {pattern}: add them")
        }
    };

    let callers = [
        (Caller::Anonymous, None),
        (Caller::As(Role::Admin), Some(admin.username.as_str())),
        (Caller::As(Role::Staff), Some(staff.username.as_str())),
        (
            Caller::As(Role::StationManager),
            Some(manager.username.as_str()),
        ),
        (
            Caller::As(Role::Volunteer),
            Some(volunteer_user.username.as_str()),
        ),
    ];
    let mut browsers = Vec::new();
    for (_, username) in &callers {
        browsers.push(log_in(&app, *username).await);
    }

    let mut failures = Vec::new();
    for route in policy() {
        let (method, pattern, rule) = (route.method, route.path, route.access);
        let targets: Vec<(String, bool)> = if pattern.contains("{id}") {
            let (inside, outside) = records(pattern);
            let mut targets = vec![(pattern.replace("{id}", &outside.to_string()), false)];
            if inside != outside {
                targets.push((pattern.replace("{id}", &inside.to_string()), true));
            }
            targets
        } else {
            vec![(
                pattern
                    .replace("{code}", "510623")
                    .replace("{*path}", "app.css"),
                true,
            )]
        };
        for (path, in_scope) in targets {
            for (i, (caller, username)) in callers.iter().enumerate() {
                let status = call(&browsers[i], &method, &path).await;
                if let Some(why) = judge(rule, *caller, status, pattern.contains("{id}"), in_scope)
                {
                    failures.push(format!("{method} {path} as {caller:?}: {status} — {why}"));
                }
                // Some calls end the session (logging out); start a fresh one for the next.
                if username.is_some()
                    && browsers[i].get_json("/api/v1/me").await.0 != StatusCode::OK
                {
                    browsers[i] = log_in(&app, *username).await;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls broke the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn log_in(app: &TestApp, username: Option<&str>) -> Browser {
    let browser = app.browser();
    if let Some(username) = username {
        browser.log_in(username, PASSWORD).await;
    }
    browser
}

/// The status, with a redirect to the login page reported as 401 (what a page does instead).
async fn call(browser: &Browser, method: &Method, path: &str) -> StatusCode {
    let url = browser.url(path);
    let request = browser.http.request(method.clone(), &url);
    let request = if method == Method::GET {
        request
    } else if path.starts_with("/api/") {
        request.json(&json!({}))
    } else {
        request.header("origin", browser.url("")).form(&[("", "")])
    };
    let response = request.send().await.unwrap();
    let to_login = response
        .headers()
        .get("location")
        .is_some_and(|l| l.to_str().unwrap_or("").starts_with("/login?next="));
    if response.status() == StatusCode::SEE_OTHER && to_login {
        StatusCode::UNAUTHORIZED
    } else {
        response.status()
    }
}

/// Why a status breaks the rule, or `None` when it keeps it.
fn judge(
    rule: Access,
    caller: Caller,
    status: StatusCode,
    has_record: bool,
    in_scope: bool,
) -> Option<&'static str> {
    let denied = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    let allowed = match (rule, caller) {
        (Access::Public, _) => true,
        (Access::Account | Access::LoggedIn, Caller::As(_)) => true,
        (Access::Roles(roles), Caller::As(role)) => roles.contains(&role),
        (_, Caller::Anonymous) => false,
    };
    if !allowed {
        return (!denied).then_some("should be refused");
    }
    if denied {
        return Some("should be allowed");
    }
    if status.is_server_error() {
        return Some("server error");
    }
    if has_record && rule != Access::Public {
        if !in_scope && status != StatusCode::NOT_FOUND {
            return Some("a record outside the scope must answer 404");
        }
        if in_scope && status == StatusCode::NOT_FOUND {
            return Some("a record inside the scope must be found");
        }
    }
    None
}
