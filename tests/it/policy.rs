//! The authorization matrix: every route the router has, for every role and for anonymous
//! visitors, on a record inside and one outside the caller's scope.

use aixin::app::route_table;
use aixin::auth::Role;
use aixin::auth::policy::{Access, POLICY, access};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp};

#[test]
fn every_route_has_a_policy_entry_and_every_entry_a_route() {
    let routes = route_table();
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| access(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a policy entry: {missing:?}"
    );
    let stale: Vec<_> = POLICY
        .iter()
        .filter(|(m, p, _)| !routes.iter().any(|(rm, rp)| rm.as_str() == *m && rp == p))
        .collect();
    assert!(
        stale.is_empty(),
        "policy entries without a route: {stale:?}"
    );
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
    // The callers: an admin of 德阳市 (5106), staff of 中江县, a manager and a volunteer of a
    // station in 广汉市.
    let station = fixtures::station(app.pool(), LONGJU).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let admin = app.regional_user("admin", "5106").await;
    let staff = app.regional_user("staff", "510623").await;
    let manager = app.station_manager(&[station]).await;
    let volunteer_user = app.volunteer_user(volunteer).await;
    // The records: an account inside 5106 and one in 5117 (达州市), outside it.
    let inside = app.regional_user("staff", "510681").await;
    let outside = app.regional_user("staff", "5117").await;

    let callers = [
        (Caller::Anonymous, None),
        (Caller::As(Role::Admin), Some(admin.username.clone())),
        (Caller::As(Role::Staff), Some(staff.username.clone())),
        (
            Caller::As(Role::StationManager),
            Some(manager.username.clone()),
        ),
        (
            Caller::As(Role::Volunteer),
            Some(volunteer_user.username.clone()),
        ),
    ];

    let mut failures = Vec::new();
    for (method, pattern) in route_table() {
        let rule = access(&method, pattern).expect("checked by the test above");
        for (record, record_in_scope) in [(inside.id, true), (outside.id, false)] {
            if !pattern.contains("{id}") && !record_in_scope {
                continue;
            }
            let path = pattern
                .replace("{id}", &record.to_string())
                .replace("{code}", "510623")
                .replace("{*path}", "app.css");
            for (caller, username) in &callers {
                // A fresh login for every call: some routes log out or change the account.
                let browser = app.browser();
                if let Some(username) = username {
                    browser.log_in(username, PASSWORD).await;
                }
                let status = call(&browser, &method, &path).await;
                if let Some(why) = judge(
                    rule,
                    *caller,
                    status,
                    pattern.contains("{id}"),
                    record_in_scope,
                ) {
                    failures.push(format!("{method} {path} as {caller:?}: {status} — {why}"));
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
        (Access::LoggedIn, Caller::As(_)) => true,
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
