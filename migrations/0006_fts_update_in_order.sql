-- Fix: editing a published post dropped the words its old and new text share
-- from the search index.
--
-- 0002 kept the index in step on UPDATE with two triggers, one removing the
-- old text and one adding the new. SQLite does not promise an order between
-- triggers (it runs the newer first), so the new text went in before the old
-- came out, and removing the old text took the shared words with it: after
-- retitling "Zebra crossing" to "Okapi crossing", "crossing" no longer
-- found the post. One trigger now does both, in order.
DROP TRIGGER posts_fts_update_old;
DROP TRIGGER posts_fts_update_new;

CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, content, published ON posts
FOR EACH ROW WHEN OLD.published = 1 OR NEW.published = 1
BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content)
        SELECT 'delete', OLD.rowid, OLD.title, OLD.content WHERE OLD.published = 1;
    INSERT INTO posts_fts (rowid, title, content)
        SELECT NEW.rowid, NEW.title, NEW.content WHERE NEW.published = 1;
END;

-- Indexes built with the old triggers may miss words of edited posts: build
-- the index again from the published posts (drafts stay out of it).
INSERT INTO posts_fts (posts_fts) VALUES ('delete-all');
INSERT INTO posts_fts (rowid, title, content)
    SELECT rowid, title, content FROM posts WHERE published = 1;
