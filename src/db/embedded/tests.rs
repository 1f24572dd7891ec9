//! The embedded cluster's own rules: where it lives, which server it runs, its folders.

use super::*;

#[test]
fn without_postgresql_the_message_names_both_fixes() {
    let empty = tempfile::tempdir().unwrap();
    let err = find_bin_dir_in(
        Some(empty.path().as_os_str()),
        &empty.path().join("no-pg_config"),
        empty.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("apt-get install postgresql"), "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[test]
fn the_newest_installed_version_is_chosen() {
    let root = tempfile::tempdir().unwrap();
    for version in ["13", "15", "9"] {
        let bin = root.path().join(version).join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::write(bin.join("initdb"), "").unwrap();
        fs::write(bin.join("pg_ctl"), "").unwrap();
    }
    let found = find_bin_dir_in(None, &root.path().join("none"), root.path()).unwrap();
    assert_eq!(found, root.path().join("15").join("bin"));
}

#[test]
fn a_new_runtime_folder_is_its_owners_alone() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("aixin-abc").join("pg-socket");
    runtime_dir(&dir, None).unwrap();
    assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    runtime_dir(&dir, None).expect("one's own folder is used again");
}

#[test]
fn a_runtime_folder_made_open_to_all_is_closed_to_its_owner() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("aixin-old");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    runtime_dir(&dir, None).unwrap();
    assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
}

#[test]
fn a_folder_of_ours_the_cluster_owner_passes_through_stays_passable() {
    let Ok(postgres) = postgres_user() else {
        return; // no postgres system user: the cluster runs as this user
    };
    if !nix::unistd::geteuid().is_root() {
        return; // only root runs the cluster as another user
    }
    let root = tempfile::tempdir().unwrap();
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let var = root.path().join("var");
    fs::create_dir(&var).unwrap();
    fs::set_permissions(&var, fs::Permissions::from_mode(0o777)).unwrap();
    let data = var.join("pg");
    assert!(reachable_by(&data, &postgres));
    runtime_dir(&var, Some(&postgres)).unwrap();
    assert_eq!(fs::metadata(&var).unwrap().mode() & 0o777, 0o711);
    assert!(
        reachable_by(&data, &postgres),
        "closing the folder must not lock the cluster out of its data"
    );
    assert_eq!(usable_data_dir(&data, Some(&postgres)).unwrap(), data);
}

#[test]
fn a_runtime_folder_of_another_user_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        return; // only root can make a folder someone else owns
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("aixin-abc");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    let err = runtime_dir(&dir, None).unwrap_err().to_string();
    assert!(
        err.contains(&dir.display().to_string()) && err.contains("another user"),
        "{err}"
    );
    let link = root.path().join("aixin-link");
    std::os::unix::fs::symlink(root.path(), &link).unwrap();
    assert!(
        runtime_dir(&link, None).is_err(),
        "a link is not a folder of ours"
    );
}

#[test]
fn long_paths_put_the_socket_in_a_short_folder() {
    let short = Path::new("/srv/aixin/var/pg");
    assert_eq!(socket_dir_for(short), short);
    let long = PathBuf::from(format!("/{}/var/pg", "d".repeat(120)));
    let dir = socket_dir_for(&long);
    assert!(
        dir.to_str().unwrap().starts_with("/tmp/aixin-"),
        "{}",
        dir.display()
    );
    assert!(dir.join(".s.PGSQL.5432").as_os_str().len() < 108);
    assert_eq!(
        dir,
        socket_dir_for(&long),
        "the same cluster finds the same socket"
    );
}
