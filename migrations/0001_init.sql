-- Herald registry storage model (one model for SQLite and PostgreSQL; only portable SQL).
-- Integers are BIGINT everywhere and booleans are BIGINT 0/1 so both backends decode them alike.

-- Every context ever used, with the highest schema id ever assigned in it (never decreases).
CREATE TABLE contexts (
    name   TEXT   NOT NULL PRIMARY KEY,
    max_id BIGINT NOT NULL DEFAULT 0
);

-- Schema content by (context, id): immutable once written; removed only when no version uses it.
CREATE TABLE schemas (
    context     TEXT   NOT NULL,
    id          BIGINT NOT NULL,
    guid        TEXT   NOT NULL,
    schema_type TEXT   NOT NULL,
    schema_text TEXT   NOT NULL,
    refs        TEXT   NOT NULL,
    metadata    TEXT,
    rule_set    TEXT,
    ts          BIGINT NOT NULL,
    PRIMARY KEY (context, id)
);
CREATE INDEX schemas_by_guid ON schemas (context, guid);

-- The references of a schema, resolved to (context, subject, version), for referencedby and delete checks.
CREATE TABLE schema_refs (
    context     TEXT   NOT NULL,
    schema_id   BIGINT NOT NULL,
    ordinal     BIGINT NOT NULL,
    ref_context TEXT   NOT NULL,
    ref_subject TEXT   NOT NULL,
    ref_version BIGINT NOT NULL,
    PRIMARY KEY (context, schema_id, ordinal)
);
CREATE INDEX schema_refs_by_target ON schema_refs (ref_context, ref_subject, ref_version);

-- Subject versions. The primary key makes a duplicate version impossible even across replicas.
CREATE TABLE versions (
    context   TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    version   BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    deleted   BIGINT NOT NULL DEFAULT 0,
    ts        BIGINT NOT NULL,
    PRIMARY KEY (context, subject, version)
);
CREATE INDEX versions_by_schema ON versions (context, schema_id);

-- Compatibility configuration; subject '' is the context-level (for context '.', the global) config.
CREATE TABLE configs (
    context TEXT NOT NULL,
    subject TEXT NOT NULL,
    config  TEXT NOT NULL,
    PRIMARY KEY (context, subject)
);

-- Modes; subject '' is the context-level (for context '.', the global) mode.
CREATE TABLE modes (
    context TEXT NOT NULL,
    subject TEXT NOT NULL,
    mode    TEXT NOT NULL,
    PRIMARY KEY (context, subject)
);
