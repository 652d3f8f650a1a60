-- Schema pairs (A, B) for the chain test on SQLite (crates/strata-cli/src/chain_tests.rs): the
-- pairs of crates/strata-sqlite/tests/diff.rs, then pairs of their own. Each pair: `-- pair:
-- NAME`, optional `-- rename: OLD=NEW`, `-- before-down: SQL` (run before the downgrade, for
-- rows a destructive change left), then `-- a:` and `-- b:`.

-- pair: add_columns
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO t VALUES (1, 'a'), (2, 'b');
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT,
             email TEXT COLLATE NOCASE, n INT NOT NULL DEFAULT 0, flag BOOLEAN DEFAULT FALSE,
             data BLOB DEFAULT x'00ff', neg REAL DEFAULT -1.5, twice AS (id * 2));

-- pair: autoincrement
-- a:
CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
         INSERT INTO log (msg) VALUES ('a'), ('b'), ('c');
         DELETE FROM log WHERE id = 3;
-- b:
CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT NOT NULL,
             level INT DEFAULT 0 CHECK (level >= 0));

-- pair: case
-- a:
CREATE TABLE Users (id INTEGER PRIMARY KEY, n TEXT);
         CREATE INDEX users_n ON Users (n);
         INSERT INTO Users VALUES (1, 'a');
-- b:
CREATE TABLE users (id INTEGER PRIMARY KEY, n TEXT);
         CREATE INDEX users_n ON users (n);

-- pair: checks
-- a:
CREATE TABLE c (id INTEGER PRIMARY KEY, n INT CHECK (n > 0), m INT,
             CONSTRAINT m_small CHECK (m < 100), CHECK (n <> m));
         INSERT INTO c VALUES (1, 5, 6);
-- b:
CREATE TABLE c (id INTEGER PRIMARY KEY, n INT CHECK (n >= 0), m INT,
             CONSTRAINT m_small CHECK (m < 1000), CHECK (n <> m), CHECK (n + m < 2000));

-- pair: column_attributes
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty TEXT, price REAL DEFAULT 1.0,
             code TEXT, g AS (id + 1) STORED);
         INSERT INTO t (id, name, qty, price, code) VALUES (1, 'a', '5', 2.5, 'AB'), (2, 'b', '7', NULL, 'cd');
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', qty INTEGER,
             price REAL DEFAULT (round(2.5)), code TEXT COLLATE NOCASE, g AS (id + 2) VIRTUAL);

-- pair: comments
-- a:
CREATE TABLE c ( -- the table
             id INTEGER PRIMARY KEY, /* key */
             n INT CHECK (n > 0 -- positive
             ),
             g AS (n * 2 -- twice
             ) STORED
         );
         CREATE INDEX c_n ON c (n) WHERE n > 1 -- partial
         ;
         INSERT INTO c (id, n) VALUES (1, 2);
-- b:
CREATE TABLE c (
             id INTEGER PRIMARY KEY,
             n INT CHECK (n > 0 -- positive
             ) DEFAULT 1, -- one
             g AS (n * 3 -- thrice
             ) STORED
         );
         CREATE INDEX c_n ON c (n) WHERE n > 2 -- partial
         ;

-- pair: cycle
-- a:
CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE SET NULL);
         INSERT INTO a VALUES (1, NULL);
         INSERT INTO b VALUES (1, 1);
         UPDATE a SET b_id = 1;
-- b:
CREATE TABLE a (id INTEGER PRIMARY KEY CHECK (id > 0), b_id INTEGER REFERENCES b (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE SET NULL);

-- pair: data
-- a:
CREATE TABLE d (a TEXT, b, c REAL);
         INSERT INTO d (rowid, a, b, c) VALUES (10, 'x', x'0102', 1.5), (20, 'y', NULL, 2), (30, 'z', 'txt', NULL);
-- b:
CREATE TABLE d (a TEXT NOT NULL, b BLOB, c REAL CHECK (c IS NULL OR c > 0), UNIQUE (a));

-- pair: drop_column
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, old_col INT);
         INSERT INTO t VALUES (1, 'a', 5);
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, new_col TEXT DEFAULT 'n');

-- pair: dropped_parent
-- before-down: UPDATE products SET category_id = NULL; UPDATE tags SET category_id = NULL;
-- a:
CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE products (id INTEGER PRIMARY KEY,
             category_id INTEGER REFERENCES categories (id) ON DELETE CASCADE, name TEXT);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, category_id INTEGER REFERENCES categories (id));
         INSERT INTO categories VALUES (1, 'c');
         INSERT INTO products VALUES (1, 1, 'p'), (2, 1, 'q');
         INSERT INTO tags VALUES (1, 1);
-- b:
CREATE TABLE products (id INTEGER PRIMARY KEY, category_id INTEGER, name TEXT);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, category_id INTEGER);

-- pair: foreign_keys
-- a:
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE DEFAULT 'none');
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, code TEXT);
         INSERT INTO parent VALUES (1, 'one'), (2, 'two'), (3, 'none');
         INSERT INTO child VALUES (10, 1, 'one'), (11, 2, 'two');
-- b:
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE DEFAULT 'none');
         CREATE TABLE child (id INTEGER PRIMARY KEY,
             parent_id INTEGER REFERENCES parent ON DELETE CASCADE ON UPDATE SET NULL,
             code TEXT DEFAULT 'none',
             CONSTRAINT by_code FOREIGN KEY (code) REFERENCES Parent (code)
                 ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED);

-- pair: hostile_names
-- a:
CREATE TABLE "we""ird ""name" ("order" INTEGER PRIMARY KEY, "select" TEXT,
               "Mixed Case" TEXT, "naïve_ü" TEXT, [space col] INT);
           CREATE INDEX "idx ""q""" ON "we""ird ""name" ("select", "naïve_ü");
           CREATE VIEW "v ü" AS SELECT "order", "select" FROM "we""ird ""name";
           CREATE TRIGGER "trg""x" AFTER INSERT ON "we""ird ""name" BEGIN SELECT 1; END;
           CREATE TABLE "Child Table" (id INTEGER PRIMARY KEY,
               "ref" INTEGER REFERENCES "we""ird ""name" ("order") ON DELETE CASCADE);
           CREATE TABLE "order" ("select" INT, "from" TEXT);
           INSERT INTO "we""ird ""name" VALUES (1, 'it''s', 'M', 'ü', 3), (2, 'b', NULL, NULL, NULL);
           INSERT INTO "Child Table" VALUES (1, 1), (2, 2);
           INSERT INTO "order" VALUES (1, 'x');
-- b:
CREATE TABLE "we""ird ""name" ("order" INTEGER PRIMARY KEY,
               "select" TEXT NOT NULL DEFAULT 'it''s' COLLATE NOCASE,
               "mixed case" TEXT, "naïve_ü" TEXT, [space col] INT CHECK ("space col" > 0));
           CREATE INDEX "idx ""q""" ON "we""ird ""name" ("select", "naïve_ü" DESC);
           CREATE VIEW "v ü" AS SELECT "order", "select" FROM "we""ird ""name";
           CREATE TRIGGER "trg""x" AFTER INSERT ON "we""ird ""name" BEGIN SELECT 1; END;
           CREATE TABLE "Child Table" (id INTEGER PRIMARY KEY,
               "ref" INTEGER REFERENCES "we""ird ""name" ("order") ON DELETE CASCADE);
           CREATE TABLE "order" ("select" INT, "from" TEXT UNIQUE, "naïve_ü" TEXT);

-- pair: indexes
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score INT, deleted INT);
         CREATE INDEX t_name ON t (name);
         CREATE INDEX t_gone ON t (score);
         CREATE UNIQUE INDEX t_email ON t (email);
         INSERT INTO t VALUES (1, 'a', 'a@x', 1, 0), (2, 'b', 'A@X', 2, 1);
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score INT, deleted INT);
         CREATE INDEX t_name ON t (name COLLATE NOCASE DESC);
         CREATE UNIQUE INDEX t_email ON t (email);
         CREATE UNIQUE INDEX t_live_email ON t (lower(email)) WHERE deleted = 0;
         CREATE INDEX t_multi ON t (score DESC, id);

-- pair: primary_key_desc
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY DESC, v TEXT);
         CREATE TABLE u (id INTEGER, v TEXT, PRIMARY KEY (id DESC));
         INSERT INTO t (rowid, id, v) VALUES (7, 1, 'a');
         INSERT INTO u VALUES (8, 'b');
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY DESC, v TEXT NOT NULL);
         CREATE TABLE u (id INTEGER, v TEXT NOT NULL, PRIMARY KEY (id DESC));

-- pair: primary_keys
-- a:
CREATE TABLE pairs (a TEXT, b INTEGER, v TEXT);
         CREATE TABLE counters (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE wr (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
         INSERT INTO pairs VALUES ('x', 1, 'a'), ('x', 2, 'b');
         INSERT INTO counters VALUES (1, 'a'), (5, 'b');
         INSERT INTO wr VALUES ('k', 1);
-- b:
CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b DESC));
         CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
         CREATE TABLE wr (k TEXT, v INT NOT NULL DEFAULT 0, CONSTRAINT wr_key PRIMARY KEY (k, v)) WITHOUT ROWID;

-- pair: rebuilt_parent
-- a:
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT,
             boss INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE cascade_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE null_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE SET NULL);
         CREATE TABLE restrict_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE RESTRICT);
         CREATE TABLE plain_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent);
         CREATE TABLE grandchild (id INTEGER PRIMARY KEY, cid INTEGER REFERENCES cascade_child (id) ON DELETE CASCADE);
         CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
         INSERT INTO parent VALUES (1, 'a', NULL), (2, 'b', 1);
         INSERT INTO cascade_child VALUES (10, 1), (11, 2);
         INSERT INTO null_child VALUES (20, 1);
         INSERT INTO restrict_child VALUES (30, 2);
         INSERT INTO plain_child VALUES (40, 1);
         INSERT INTO grandchild VALUES (50, 10);
-- b:
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE,
             boss INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE cascade_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE null_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE SET NULL);
         CREATE TABLE restrict_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE RESTRICT);
         CREATE TABLE plain_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent);
         CREATE TABLE grandchild (id INTEGER PRIMARY KEY, cid INTEGER REFERENCES cascade_child (id) ON DELETE CASCADE);
         CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
         CREATE TABLE later (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id));

-- pair: rename_and_rebuild
-- rename: users=people
-- rename: people.name=full_name
-- a:
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, UNIQUE (name));
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users ON DELETE CASCADE);
         CREATE VIEW user_posts AS SELECT users.name, posts.id FROM users JOIN posts ON posts.user_id = users.id;
         INSERT INTO users VALUES (1, 'a'), (2, 'b');
         INSERT INTO posts VALUES (1, 2), (2, 2);
-- b:
CREATE TABLE people (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, UNIQUE (full_name));
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES people ON DELETE CASCADE);
         CREATE VIEW user_posts AS SELECT people.full_name, posts.id FROM people JOIN posts ON posts.user_id = people.id;

-- pair: rename_column
-- rename: users.name=full_name
-- a:
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT);
         CREATE INDEX users_name ON users (name);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES users (name));
         CREATE VIEW names AS SELECT name FROM users;
         INSERT INTO users VALUES (1, 'ann', NULL);
         INSERT INTO posts VALUES (1, 'ann');
-- b:
CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL UNIQUE, email TEXT);
         CREATE INDEX users_name ON users (full_name);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES users (full_name));
         CREATE VIEW names AS SELECT full_name FROM users;

-- pair: rename_table
-- rename: main.users=people
-- a:
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);
         CREATE INDEX users_by_name ON users (name);
         CREATE TRIGGER users_t AFTER DELETE ON users BEGIN SELECT 1; END;
         INSERT INTO users (name) VALUES ('a'), ('b');
         INSERT INTO posts VALUES (1, 2);
-- b:
CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES people (id) ON DELETE CASCADE);
         CREATE INDEX users_by_name ON people (name);
         CREATE TRIGGER users_t AFTER DELETE ON people BEGIN SELECT 1; END;

-- pair: tables
-- a:
CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE gone (id INTEGER PRIMARY KEY, note TEXT);
         INSERT INTO keep VALUES (1, 'a');
         INSERT INTO gone VALUES (1, 'x');
-- b:
CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE fresh (id INTEGER PRIMARY KEY, created TEXT DEFAULT CURRENT_TIMESTAMP, n REAL);

-- pair: triggers
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, updated TEXT);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, t_id INTEGER, what TEXT);
         CREATE TRIGGER t_stamp AFTER UPDATE OF v ON t BEGIN UPDATE t SET updated = 'then' WHERE id = new.id; END;
         CREATE TRIGGER audit_insert AFTER INSERT ON audit BEGIN SELECT count(*) FROM t; END;
         CREATE TRIGGER gone_trigger BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'no'); END;
         CREATE VIEW tv AS SELECT id, v FROM t;
         CREATE TRIGGER tv_insert INSTEAD OF INSERT ON tv BEGIN INSERT INTO t (id, v) VALUES (new.id, new.v); END;
         INSERT INTO t (id, v) VALUES (1, 'a');
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL DEFAULT '', updated TEXT);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, t_id INTEGER, what TEXT);
         CREATE TRIGGER t_stamp AFTER UPDATE OF v ON t BEGIN UPDATE t SET updated = 'now' WHERE id = new.id; END -- stamped
         ;
         CREATE TRIGGER audit_insert AFTER INSERT ON audit BEGIN SELECT count(*) FROM t; END;
         CREATE TRIGGER "t log" AFTER INSERT ON t BEGIN INSERT INTO audit (t_id, what) VALUES (new.id, 'insert'); END;
         CREATE VIEW tv AS SELECT id, v FROM t;
         CREATE TRIGGER tv_insert INSTEAD OF INSERT ON tv BEGIN INSERT INTO t (id, v) VALUES (new.id, new.v); END;

-- pair: unique
-- a:
CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE, a INT, b INT,
             CONSTRAINT ab UNIQUE (a, b));
         INSERT INTO u VALUES (1, 'A@x', 1, 1), (2, 'b@x', 1, 2);
-- b:
CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT, a INT, b INT, handle TEXT,
             UNIQUE (email COLLATE NOCASE) ON CONFLICT REPLACE, CONSTRAINT handle_key UNIQUE (handle));

-- pair: views
-- a:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount INT);
         CREATE VIEW big AS SELECT id, name FROM t WHERE amount > 10;
         CREATE VIEW big_names AS SELECT name FROM big;
         CREATE VIEW gone_view AS SELECT 1 AS one;
         CREATE VIEW other AS SELECT 2 AS two;
         INSERT INTO t VALUES (1, 'a', 20), (2, 'b', 5);
-- b:
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INT);
         CREATE VIEW big AS SELECT id, name FROM t WHERE amount > 10;
         CREATE VIEW big_names AS SELECT name FROM big;
         CREATE VIEW "new view" (a, b) AS SELECT id, amount FROM t;
         CREATE VIEW other AS SELECT 2 AS two;

-- pair: without_rowid__strict
-- a:
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);
         CREATE TABLE s (id INTEGER PRIMARY KEY, x TEXT) STRICT;
         INSERT INTO kv VALUES ('a', 1), ('b', 2);
         INSERT INTO s VALUES (1, 'x');
-- b:
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, extra ANY) WITHOUT ROWID, STRICT;
         CREATE TABLE s (id INTEGER PRIMARY KEY, x TEXT);

-- pair: added_column_leaves_the_trigger_that_names_the_table
-- a:
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, n int CHECK (n>0));
CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL, bio TEXT);
CREATE TRIGGER users_default_profile AFTER INSERT ON users
BEGIN
    INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, NEW.email);
END;
INSERT INTO users VALUES (1, 'a@example.com', 1);
-- b:
CREATE TABLE users (id INTEGER PRIMARY KEY, "email" TEXT NOT NULL, n INT CHECK ( n > 0 ));
CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL, bio TEXT, avatar TEXT);
CREATE TRIGGER users_default_profile AFTER INSERT ON users BEGIN INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, NEW.email); END;

