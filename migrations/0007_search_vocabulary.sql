-- The search index's vocabulary (one row per indexed token, with how many
-- posts contain it). Search reads it to expand a prefix query such as `ru*`
-- into the few tokens it matches, which FTS5 then reads lazily; a bare FTS5
-- prefix query merges every matching token's posting list in full first.
CREATE VIRTUAL TABLE posts_fts_vocab USING fts5vocab(posts_fts, 'row');
