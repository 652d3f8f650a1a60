use strata_testkit::{TempPg, TempProject, TempSqlite};

fn database_exists(name: &str) -> bool {
    let mut admin =
        postgres::Client::connect(&strata_testkit::admin_url(), postgres::NoTls).unwrap();
    admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

#[test]
fn temp_pg_creates_and_drops_its_database() {
    let pg = TempPg::new();
    let name = pg.name.clone();
    assert!(name.starts_with("strata_test_"));
    assert!(pg.url.ends_with(&format!("/{name}")), "{}", pg.url);
    let mut client = pg.client();
    let db: String = client
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    assert_eq!(db, name);
    drop(client);
    assert!(database_exists(&name));
    drop(pg);
    assert!(!database_exists(&name));
}

#[test]
fn temp_pg_names_are_unique_and_drop_forces_out_sessions() {
    let a = TempPg::new();
    let b = TempPg::new();
    assert_ne!(a.name, b.name);
    let name = a.name.clone();
    let _open_session = a.client();
    drop(a);
    assert!(!database_exists(&name));
}

fn role_exists(name: &str) -> bool {
    let mut admin =
        postgres::Client::connect(&strata_testkit::admin_url(), postgres::NoTls).unwrap();
    admin
        .query_one("SELECT count(*) FROM pg_roles WHERE rolname = $1", &[&name])
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

#[test]
fn url_with_password_connects_with_that_password() {
    let pg = TempPg::new();
    let role = format!("{}_u", pg.name);
    let url = pg.url_with_password("s3cr3t");
    assert!(url.contains(&format!("{role}:s3cr3t@")), "{url}");
    assert!(url.ends_with(&format!("/{}", pg.name)));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let user: String = client.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(user, role);
    drop(client);
    // percent-encoded: the role gets the decoded password
    let url = pg.url_with_password("p%40ss%2Fw%3Ard");
    assert!(url.contains(":p%40ss%2Fw%3Ard@"), "{url}");
    postgres::Client::connect(&url, postgres::NoTls).unwrap();
    assert!(role_exists(&role));
    drop(pg);
    assert!(!role_exists(&role));
}

#[test]
fn temp_sqlite_and_project() {
    let db = TempSqlite::new();
    assert!(db.path.is_absolute());
    assert!(db.path.starts_with(db.dir()));
    assert_eq!(db.url, format!("sqlite://{}", db.path.display()));
    assert!(db.dir().is_dir());

    let project = TempProject::new("default_env = \"dev\"\n");
    assert_eq!(
        std::fs::read_to_string(project.path().join("strata.toml")).unwrap(),
        "default_env = \"dev\"\n"
    );
    assert!(project.path().join("migrations").is_dir());
    let file = project.write_migration("1_a.sql", "-- strata:up\n");
    assert_eq!(file, project.path().join("migrations/1_a.sql"));
    assert_eq!(std::fs::read_to_string(file).unwrap(), "-- strata:up\n");
    let dir = project.path().to_owned();
    drop(project);
    assert!(!dir.exists());
}
