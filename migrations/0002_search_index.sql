-- Search index (worker/search/, layout in docs/storage.md). Hand-written:
-- drizzle-kit cannot express FTS5 virtual tables or triggers, and the index
-- is derived data that `POST /api/v1/search/reindex` can rebuild at any time.
--
-- search_servers has one row per indexed server: a small integer key, and
-- what searches filter on (tenant, enabled, path, tags). search_documents
-- holds one row per searchable thing (a tool of a server, or the server
-- itself) with the analysed text of each field (f_*); its rowid is
-- (server key << 20) + ordinal, so a ranking can tell a row's server from the
-- rowid alone and filter by a probe into the small server set instead of a
-- lookup per matching document. Two FTS5 tables index the f_* columns as
-- external content, kept in step by triggers: search_tools_fts for tool rows,
-- search_servers_fts for server rows.
CREATE TABLE `search_servers` (
	`key` integer PRIMARY KEY,
	`server_id` text NOT NULL,
	`tenant` text NOT NULL,
	`path` text NOT NULL,
	`tags` text NOT NULL DEFAULT '[]',
	`enabled` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_servers_server` ON `search_servers` (`server_id`);
--> statement-breakpoint
CREATE INDEX `search_servers_tenant` ON `search_servers` (`tenant`, `enabled`);
--> statement-breakpoint
CREATE TABLE `search_documents` (
	`rowid` integer PRIMARY KEY,
	`id` text NOT NULL,
	`tenant` text NOT NULL,
	`kind` text NOT NULL,
	`server_id` text NOT NULL,
	`server_path` text NOT NULL,
	`server_name` text NOT NULL,
	`name` text NOT NULL,
	`title` text,
	`description` text NOT NULL,
	`tags` text NOT NULL DEFAULT '[]',
	`input_schema` text,
	`enabled` integer NOT NULL,
	`content_hash` text NOT NULL,
	`f_name` text NOT NULL DEFAULT '',
	`f_description` text NOT NULL DEFAULT '',
	`f_details` text NOT NULL DEFAULT '',
	`f_params` text NOT NULL DEFAULT '',
	`f_server` text NOT NULL DEFAULT '',
	`f_tags` text NOT NULL DEFAULT '',
	`f_tools` text NOT NULL DEFAULT '',
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_documents_id` ON `search_documents` (`id`);
--> statement-breakpoint
CREATE INDEX `search_documents_server` ON `search_documents` (`tenant`, `server_id`);
--> statement-breakpoint
CREATE VIRTUAL TABLE `search_tools_fts` USING fts5(
	f_name, f_description, f_details, f_params, f_server, f_tags,
	content='search_documents', content_rowid='rowid',
	tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE VIRTUAL TABLE `search_servers_fts` USING fts5(
	f_name, f_description, f_tools, f_tags,
	content='search_documents', content_rowid='rowid',
	tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `search_documents_ai_tool` AFTER INSERT ON `search_documents` WHEN new.kind = 'tool' BEGIN
	INSERT INTO search_tools_fts(rowid, f_name, f_description, f_details, f_params, f_server, f_tags)
	VALUES (new.rowid, new.f_name, new.f_description, new.f_details, new.f_params, new.f_server, new.f_tags);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_ai_server` AFTER INSERT ON `search_documents` WHEN new.kind = 'server' BEGIN
	INSERT INTO search_servers_fts(rowid, f_name, f_description, f_tools, f_tags)
	VALUES (new.rowid, new.f_name, new.f_description, new.f_tools, new.f_tags);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_ad_tool` AFTER DELETE ON `search_documents` WHEN old.kind = 'tool' BEGIN
	INSERT INTO search_tools_fts(search_tools_fts, rowid, f_name, f_description, f_details, f_params, f_server, f_tags)
	VALUES ('delete', old.rowid, old.f_name, old.f_description, old.f_details, old.f_params, old.f_server, old.f_tags);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_ad_server` AFTER DELETE ON `search_documents` WHEN old.kind = 'server' BEGIN
	INSERT INTO search_servers_fts(search_servers_fts, rowid, f_name, f_description, f_tools, f_tags)
	VALUES ('delete', old.rowid, old.f_name, old.f_description, old.f_tools, old.f_tags);
END;
--> statement-breakpoint
-- Rows are replaced (delete + insert), never updated in their text; this
-- trigger keeps the FTS tables right should an UPDATE ever change a field.
CREATE TRIGGER `search_documents_au_tool` AFTER UPDATE OF f_name, f_description, f_details, f_params, f_server, f_tags ON `search_documents` WHEN old.kind = 'tool' BEGIN
	INSERT INTO search_tools_fts(search_tools_fts, rowid, f_name, f_description, f_details, f_params, f_server, f_tags)
	VALUES ('delete', old.rowid, old.f_name, old.f_description, old.f_details, old.f_params, old.f_server, old.f_tags);
	INSERT INTO search_tools_fts(rowid, f_name, f_description, f_details, f_params, f_server, f_tags)
	VALUES (new.rowid, new.f_name, new.f_description, new.f_details, new.f_params, new.f_server, new.f_tags);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_au_server` AFTER UPDATE OF f_name, f_description, f_tools, f_tags ON `search_documents` WHEN old.kind = 'server' BEGIN
	INSERT INTO search_servers_fts(search_servers_fts, rowid, f_name, f_description, f_tools, f_tags)
	VALUES ('delete', old.rowid, old.f_name, old.f_description, old.f_tools, old.f_tags);
	INSERT INTO search_servers_fts(rowid, f_name, f_description, f_tools, f_tags)
	VALUES (new.rowid, new.f_name, new.f_description, new.f_tools, new.f_tags);
END;
--> statement-breakpoint
-- The local vector index (self-hosting and local runs; production uses
-- Vectorize): one unit-length float32 vector per document (base64 of its
-- little-endian bytes), compared by exact cosine.
CREATE TABLE `search_vectors` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`model` text NOT NULL,
	`dimensions` integer NOT NULL,
	`vector` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `search_vectors_tenant` ON `search_vectors` (`tenant`);
--> statement-breakpoint
-- One counter per tenant, bumped on every change to its vectors, so isolates
-- know when their in-memory copy is stale (one single-row read per query).
CREATE TABLE `search_vector_revisions` (
	`tenant` text PRIMARY KEY NOT NULL,
	`revision` integer NOT NULL
);
