"""Translation packages through the object store: stored when installed on any machine,
fetched by a worker that lacks one a job needs."""
