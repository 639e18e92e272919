-- Search index changes now wait in posts_fts_pending and reach posts_fts
-- once per write batch, in one statement (the writer runs it just before
-- COMMIT, in the same transaction, so nothing committed ever lacks them).
--
-- Why: FTS5 writes its in-memory changes out as a new index segment at
-- every statement savepoint, and an INSERT into posts with triggers opens
-- one. Writing posts_fts from the posts triggers therefore made one tiny
-- segment per post, plus the merging of them all: 10-15 % of the writer's
-- time per created post. A batch now makes one segment.
--
-- Each row carries the text it adds or removes, copied when the trigger
-- fired, so replaying them in order does exactly what the triggers did.
CREATE TABLE posts_fts_pending (
    seq     INTEGER PRIMARY KEY,
    op      TEXT CHECK (op IS NULL OR op = 'delete'),  -- NULL adds, 'delete' removes
    rid     INTEGER NOT NULL,
    title   TEXT NOT NULL,
    content TEXT NOT NULL
);

DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_delete;
DROP TRIGGER posts_fts_update;

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts
FOR EACH ROW WHEN NEW.published = 1
BEGIN
    INSERT INTO posts_fts_pending (op, rid, title, content)
        VALUES (NULL, NEW.rowid, NEW.title, NEW.content);
END;

CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts
FOR EACH ROW WHEN OLD.published = 1
BEGIN
    INSERT INTO posts_fts_pending (op, rid, title, content)
        VALUES ('delete', OLD.rowid, OLD.title, OLD.content);
END;

CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, content, published ON posts
FOR EACH ROW WHEN OLD.published = 1 OR NEW.published = 1
BEGIN
    INSERT INTO posts_fts_pending (op, rid, title, content)
        SELECT 'delete', OLD.rowid, OLD.title, OLD.content WHERE OLD.published = 1;
    INSERT INTO posts_fts_pending (op, rid, title, content)
        SELECT NULL, NEW.rowid, NEW.title, NEW.content WHERE NEW.published = 1;
END;
