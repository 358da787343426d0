CREATE TABLE `catalog_entries` (
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`position` integer NOT NULL,
	`title` text,
	`description` text,
	`definition` text NOT NULL,
	`fingerprint` text NOT NULL,
	PRIMARY KEY(`server_id`, `kind`, `key`),
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `catalog_entries_order` ON `catalog_entries` (`server_id`,`kind`,`position`);--> statement-breakpoint
CREATE TABLE `servers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`path` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`endpoints` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`egress` text,
	`license` text,
	`version` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`enabled` integer NOT NULL,
	`visibility` text NOT NULL,
	`owner` text NOT NULL,
	`source` text NOT NULL,
	`lifecycle` text NOT NULL,
	`catalog_status` text NOT NULL,
	`catalog_checked_at` text,
	`catalog_detail` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `servers_path_unique` ON `servers` (`path`);--> statement-breakpoint
CREATE INDEX `servers_tenant_path` ON `servers` (`tenant`,`path`);