-- strata:message create notes

-- strata:up
CREATE TABLE notes (
    id bigint PRIMARY KEY,
    body text NOT NULL
);

-- strata:down
DROP TABLE notes;
