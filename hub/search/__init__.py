"""Search across languages and scripts: the index (kept in the transaction of every
version, translation, post-edit, kill and withhold), the query language and /v1/search."""
