-- How many posts each author has, published and not, kept by triggers, so a
-- list's `total` (and the dashboard's counts) need not count every row: at
-- 1M posts `count(*)` over the published ones takes ~120 ms, a sum over this
-- table well under one.
CREATE TABLE post_counts (
    author_id TEXT NOT NULL,
    published INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (author_id, published)
) WITHOUT ROWID;

INSERT INTO post_counts (author_id, published, n)
    SELECT author_id, published, count(*) FROM posts GROUP BY author_id, published;

CREATE TRIGGER post_counts_insert AFTER INSERT ON posts
FOR EACH ROW
BEGIN
    INSERT INTO post_counts (author_id, published, n) VALUES (NEW.author_id, NEW.published, 1)
        ON CONFLICT (author_id, published) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER post_counts_delete AFTER DELETE ON posts
FOR EACH ROW
BEGIN
    UPDATE post_counts SET n = n - 1
        WHERE author_id = OLD.author_id AND published = OLD.published;
END;

CREATE TRIGGER post_counts_update AFTER UPDATE OF author_id, published ON posts
FOR EACH ROW WHEN OLD.author_id IS NOT NEW.author_id OR OLD.published IS NOT NEW.published
BEGIN
    UPDATE post_counts SET n = n - 1
        WHERE author_id = OLD.author_id AND published = OLD.published;
    INSERT INTO post_counts (author_id, published, n) VALUES (NEW.author_id, NEW.published, 1)
        ON CONFLICT (author_id, published) DO UPDATE SET n = n + 1;
END;
