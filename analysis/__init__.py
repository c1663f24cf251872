"""Analysis: what analysts read. The views themselves are schema (``datasets/views/*.sql``, created
by ``lendcorpus.corpus`` on every write-open); this package holds the report and the explorer."""
