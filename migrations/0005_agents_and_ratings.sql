-- A2A agents, star ratings of servers and agents, and the groups that may see a
-- `group`-visibility server (issue 12). Hand-written; layout in docs/storage.md.
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`path` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`card` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`visibility` text NOT NULL,
	`visibility_groups` text DEFAULT '[]' NOT NULL,
	`trust_level` text NOT NULL,
	`enabled` integer NOT NULL,
	`owner` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_path_unique` ON `agents` (`path`);--> statement-breakpoint
CREATE INDEX `agents_tenant_path` ON `agents` (`tenant`,`path`);--> statement-breakpoint
CREATE TABLE `ratings` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`entity_kind` text NOT NULL,
	`entity_id` text NOT NULL,
	`rater` text NOT NULL,
	`rating` integer NOT NULL,
	`rated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ratings_one_per_rater` ON `ratings` (`tenant`,`entity_kind`,`entity_id`,`rater`);--> statement-breakpoint
CREATE INDEX `ratings_entity_order` ON `ratings` (`tenant`,`entity_kind`,`entity_id`,`seq`);--> statement-breakpoint
ALTER TABLE `servers` ADD `visibility_groups` text DEFAULT '[]' NOT NULL;
