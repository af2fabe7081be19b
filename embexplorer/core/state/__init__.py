"""What the user looks at and keeps: the workspace (rows, embeddings, one selection), sessions
and their checks, exports of rows, error reports and autosaves."""
