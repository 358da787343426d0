-- Search index tables (FTS5 keyword index, local vector store): filled in by the
-- discovery work. A placeholder statement keeps the migration valid until then.
SELECT 1;
