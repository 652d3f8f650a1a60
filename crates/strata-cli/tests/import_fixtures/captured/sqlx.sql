CREATE TABLE public._sqlx_migrations (
    version bigint NOT NULL,
    description text NOT NULL,
    installed_on timestamp with time zone DEFAULT now() NOT NULL,
    success boolean NOT NULL,
    checksum bytea NOT NULL,
    execution_time bigint NOT NULL
);

INSERT INTO public._sqlx_migrations VALUES (20240101120000, 'settings', '2026-12-07 23:42:05.241325+00', true, '\xc7229b7fc45eed220496181ce9b1bc58b52a3f4251d5ae6d2123d48caf0b8c1aa36018a640389f68e973d7531b9c7c1d', 7991543);
INSERT INTO public._sqlx_migrations VALUES (20240102120000, 'create users', '2026-12-07 23:42:05.256546+00', true, '\xc7edae2ce9cf6781fd0b3e4cfd68d3cbb39130883603b5faadde5fb243a9794150d5b6bd3ce7266352841fbe10305dfb', 13347757);
INSERT INTO public._sqlx_migrations VALUES (20240103120000, 'create posts', '2026-12-07 23:42:05.269344+00', true, '\xb5b3739c127d8e45836ea984f69dd69c262342947779a8f630ae1baf2e1090fe0ef0c17608d8d8f6e0a34df92ee48f9e', 12386911);
INSERT INTO public._sqlx_migrations VALUES (20240104120000, 'touch function', '2026-12-07 23:42:05.285342+00', true, '\x94d120b40f524ffb37b7691305544707584859228f49eb3a982b1db0a13ba434fc9e63dbb299c97c0be0ab8e2eca189a', 3982196);
INSERT INTO public._sqlx_migrations VALUES (20240105120000, 'posts updated at', '2026-12-07 23:42:05.293579+00', true, '\xe8e39e5beaa1a3e29cca8a244f753d8f82474eb2669cd3be063e80654956ba1afd93efbafc34ad097ed50b720ffc6cd8', 933925);
INSERT INTO public._sqlx_migrations VALUES (20240106120000, 'posts user index', '2026-12-07 23:42:05.309596+00', true, '\xd30703dd7c69fd6ae1dcd4c18ffb57309d6a70832b0a5afb0482517f33fbb2cb9dc1e6cbc640548c804d8fcb405e0373', 18545055);
INSERT INTO public._sqlx_migrations VALUES (20240107120000, 'post state', '2026-12-07 23:42:05.313969+00', true, '\x44dccd415ae5d8a1ef66901611b76a99a7acb4a57631d05ef924f8553d0cc2159244848cfd39673f5c1ddda590f079b0', 3004556);
INSERT INTO public._sqlx_migrations VALUES (20240108120000, 'published view', '2026-12-07 23:42:05.318981+00', true, '\x069e0f6e1afcb1b83429bc00308f1cc12377b133162ae128ffdd77d35dc80b7d50ee792b98aa45f69668c7c0ebbee69f', 4711388);
INSERT INTO public._sqlx_migrations VALUES (20240109120000, 'more settings', '2026-12-07 23:42:05.325394+00', true, '\xacf5ea0c9593b377af121d18fd2c477b215b5c4ebbfbc2f5017e80a9991817d11e37a92a3f598204002c372a817b7f50', 3961315);
INSERT INTO public._sqlx_migrations VALUES (20240110120000, 'comment users', '2026-12-07 23:42:05.329779+00', true, '\x6477f328a7759797c0cca652f1fbdcc802e4ecc635af80d70d33d4f5e3fa0a1e834fa5b36da74a710fa3b3f6291125ff', 5168535);
INSERT INTO public._sqlx_migrations VALUES (20240111120000, 'email check', '2026-12-07 23:42:05.336923+00', true, '\xff6defc114b84ffe0dbcb578b89baa92dc974e81bda8e14b36d83e68e8f8c23931bd0204b353e905dcd5a62fbf20253b', 4434697);

ALTER TABLE ONLY public._sqlx_migrations
    ADD CONSTRAINT _sqlx_migrations_pkey PRIMARY KEY (version);

