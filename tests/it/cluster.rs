//! The embedded cluster: created from nothing, reused when running, and `/readyz` follows it.

use std::os::unix::fs::PermissionsExt;

use aixin::AppState;
use aixin::db::embedded::{Cluster, Durability};
use reqwest::StatusCode;
use reqwest::header;

use crate::harness::{client, test_config};

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_starts_from_an_empty_folder_is_reused_and_readyz_follows_it() {
    // Under the project's var/ so that, when the tests run as root, the postgres user can
    // reach it (a private temporary folder would not be).
    let var = crate::harness::test_cluster_dir()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::create_dir_all(&var).unwrap();
    let root = tempfile::Builder::new()
        .prefix("cluster-test-")
        .tempdir_in(&var)
        .unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.path().join("pg");

    let first = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || Cluster::ensure_running(&dir, Durability::Disposable)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(first.started_here(), "an empty folder gets a new cluster");
    assert!(first.data_dir().join("PG_VERSION").exists());

    let second = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || Cluster::ensure_running(&dir, Durability::Disposable)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        !second.started_here(),
        "a running cluster is reused, not started again"
    );
    second.stop_if_started_here().unwrap();
    assert!(
        first.is_running().unwrap(),
        "whoever found it running leaves it running"
    );

    // With DATABASE_URL set the service uses that server and creates its database.
    let url = format!(
        "postgres://aixin@localhost/aixin_from_url?host={}",
        first.socket_dir().display()
    );
    let config = aixin::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "AIXIN_SECRET_KEY" => Some("cd".repeat(32)),
        _ => None,
    })
    .unwrap();
    let database = aixin::open_database(&config).await.unwrap();
    assert!(
        database.cluster.is_none(),
        "no embedded cluster with DATABASE_URL"
    );
    let regions: i64 = sqlx::query_scalar("SELECT count(*) FROM region")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(regions, 40_874);
    database.close().await.unwrap();

    // The service on this cluster is ready; once the database stops it says so.
    aixin::db::create_database_if_missing(&first.connect_options("aixin"))
        .await
        .unwrap();
    let pool = aixin::db::pool_options(2)
        .acquire_timeout(std::time::Duration::from_secs(1))
        .connect_with(first.connect_options("aixin"))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(pool, test_config(addr)).unwrap();
    tokio::spawn(aixin::serve(listener, state, std::future::pending()));
    let http = client();
    let readyz = format!("http://{addr}/readyz");

    assert_eq!(
        http.get(&readyz).send().await.unwrap().status(),
        StatusCode::OK
    );

    tokio::task::spawn_blocking(move || first.stop())
        .await
        .unwrap()
        .unwrap();

    let down = http.get(&readyz).send().await.unwrap();
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.headers().contains_key(header::RETRY_AFTER));
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable");
}
