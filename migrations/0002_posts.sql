-- Posts, and a full-text index over the published ones.
CREATE TABLE posts (
    id           TEXT NOT NULL UNIQUE,
    author_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    slug         TEXT NOT NULL UNIQUE,
    content      TEXT NOT NULL,
    published    INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    published_at TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX posts_author ON posts (author_id, created_at, id);
CREATE INDEX posts_feed ON posts (published, published_at, id);
CREATE INDEX posts_created ON posts (published, created_at, id);
CREATE INDEX posts_title ON posts (published, title, id);

CREATE TRIGGER posts_touch AFTER UPDATE ON posts
FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE posts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE rowid = NEW.rowid;
END;

-- External-content FTS5 index holding only published posts: drafts can never
-- be found, and search work scales with what is public.
CREATE VIRTUAL TABLE posts_fts USING fts5 (
    title,
    content,
    content = 'posts',
    content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts
FOR EACH ROW WHEN NEW.published = 1
BEGIN
    INSERT INTO posts_fts (rowid, title, content) VALUES (NEW.rowid, NEW.title, NEW.content);
END;

CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts
FOR EACH ROW WHEN OLD.published = 1
BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content) VALUES ('delete', OLD.rowid, OLD.title, OLD.content);
END;

CREATE TRIGGER posts_fts_update_old AFTER UPDATE OF title, content, published ON posts
FOR EACH ROW WHEN OLD.published = 1
BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content) VALUES ('delete', OLD.rowid, OLD.title, OLD.content);
END;

CREATE TRIGGER posts_fts_update_new AFTER UPDATE OF title, content, published ON posts
FOR EACH ROW WHEN NEW.published = 1
BEGIN
    INSERT INTO posts_fts (rowid, title, content) VALUES (NEW.rowid, NEW.title, NEW.content);
END;
