-- Issue 13: the MCP Registry API (names, version history), server.json
-- import/export and federation between registries. Hand-written (see
-- docs/storage.md "Registry API and federation").
ALTER TABLE `servers` ADD `registry_name` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `registry_details` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `provenance` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `federation_source_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `servers_tenant_registry_name` ON `servers` (`tenant`,`registry_name`);--> statement-breakpoint
CREATE INDEX `servers_federation_source` ON `servers` (`tenant`,`federation_source_id`);--> statement-breakpoint
CREATE TABLE `server_versions` (
	`server_id` text NOT NULL REFERENCES `servers`(`id`) ON DELETE cascade,
	`tenant` text NOT NULL,
	`version` text NOT NULL,
	`detail` text NOT NULL,
	`published_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`server_id`, `version`)
);--> statement-breakpoint
CREATE INDEX `server_versions_updated` ON `server_versions` (`tenant`,`updated_at`);--> statement-breakpoint
-- Servers registered before this migration get their current version as history.
INSERT INTO `server_versions` (`server_id`, `tenant`, `version`, `detail`, `published_at`, `updated_at`)
SELECT `id`, `tenant`, coalesce(`version`, '0.0.0'), json_object('title', `name`, 'description', `description`), `created_at`, `updated_at` FROM `servers`;--> statement-breakpoint
CREATE TABLE `federation_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`mode` text NOT NULL,
	`servers` text DEFAULT '[]' NOT NULL,
	`sync_interval_minutes` integer,
	`auth` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_sync_at` text,
	`last_sync` text
);--> statement-breakpoint
CREATE UNIQUE INDEX `federation_sources_tenant_name` ON `federation_sources` (`tenant`,`name`);--> statement-breakpoint
CREATE INDEX `federation_sources_due` ON `federation_sources` (`last_sync_at`);
